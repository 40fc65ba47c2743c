"""Charset decoding of XML feeds: the BOM, the HTTP charset and the XML declaration.

Follows RFC 7303 section 3 (the HTTP charset wins over the declaration) with WHATWG
encoding labels (https://encoding.spec.whatwg.org/: gb2312 reads as GB18030,
ISO-8859-1 as windows-1252, Shift_JIS as cp932), so legacy feeds decode as in browsers.
"""

from __future__ import annotations

import codecs
import re

__all__ = ["BOMS", "decode", "split_content_type"]

# WHATWG Encoding Standard labels -> the Python codec that decodes like browsers.
_CODEC_ALIASES = {
    "gb2312": "gb18030",
    "gb_2312": "gb18030",
    "gb_2312-80": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "csgb2312": "gb18030",
    "iso-ir-58": "gb18030",
    "chinese": "gb18030",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "csshiftjis": "cp932",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "big5": "big5hkscs",
    "iso-8859-9": "cp1254",
    "tis-620": "cp874",
    "iso-8859-11": "cp874",
}
_SINGLE_BYTE = re.compile(r"^(cp125\d|cp874|iso8859_\d+|latin_1|ascii|koi8_[ru]|mac_roman)$")
_XML_DECL_RE = re.compile(rb"^<\?xml[^>]{0,200}?encoding\s*=\s*[\"']([A-Za-z0-9._:\-]{1,40})[\"']")

BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def split_content_type(content_type: str) -> tuple[str, str]:
    """(media type lower-cased, charset label or "") of a Content-Type header value."""
    media_type, _, params = (content_type or "").partition(";")
    charset = ""
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip("\"'")
    return media_type.strip().lower(), charset


def _codec(label: str) -> str:
    """Python codec name for an encoding label, or "" when unknown."""
    label = (label or "").strip().lower()
    if not label:
        return ""
    label = _CODEC_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return ""


def _bom_codec(content: bytes) -> tuple[str, int]:
    for bom, name in BOMS:
        if content.startswith(bom):
            return name, len(bom)
    if content[:4] == b"<\x00?\x00":
        return "utf-16-le", 0
    if content[:4] == b"\x00<\x00?":
        return "utf-16-be", 0
    return "", 0


def _try_decode(content: bytes, codec: str) -> str | None:
    try:
        return content.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def decode(content: bytes, *, http_charset: str, media_type: str) -> str:
    """Decode feed bytes to text: BOM, then HTTP charset, then XML declaration.

    The HTTP charset wins over the declaration (RFC 7303) except when it names a
    single-byte legacy charset while the declaration says UTF-8 and the bytes
    are valid UTF-8 with non-ASCII characters (a server default, not the truth),
    or when the bytes are not valid in it. Falls back to UTF-8, then
    windows-1252/latin-1 (never fails).
    """
    bom, skip = _bom_codec(content)
    if bom:
        text = _try_decode(content[skip:], bom)
        if text is not None:
            return text
    match = _XML_DECL_RE.match(content.lstrip())
    declared = _codec(match.group(1).decode("ascii")) if match else ""
    http = _codec(http_charset)
    if http and declared == "utf-8" and _SINGLE_BYTE.match(http) and not content.isascii():
        text = _try_decode(content, "utf-8")
        if text is not None:
            return text
    for codec in (http, declared, "utf-8", "cp1252", "latin-1"):
        if codec:
            text = _try_decode(content, codec)
            if text is not None:
                return text
    return content.decode("utf-8", "replace")  # unreachable: latin-1 never fails
