"""Parse: feed bytes -> one normalized ``ParsedFeed`` with ``ParsedEntry`` items.

RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 (RFC 4287) are read by feedparser with its
own HTML sanitizer and relative-URI resolution turned off: nh3 and our resolver
do that work later (``feeds.pipeline.sanitize``), using the base URL feedparser
reports for each content element (``xml:base``). JSON Feed 1.0/1.1
(https://jsonfeed.org/version/1.1) is read here into the same shape.

Before feedparser sees a document we (1) decode it ourselves, reconciling the
HTTP charset, the BOM and the XML declaration (RFC 7303 section 3; WHATWG
encoding labels, so gb2312 reads as GB18030, ISO-8859-1 as windows-1252,
Shift_JIS as cp932), (2) drop bytes before the XML declaration (BOM, blank
lines) and (3) rebuild any DOCTYPE so that only simple internal entities
survive: no external entity, no external DTD, no entity that refers to another
entity (billion laughs). Expat additionally never loads external entities.

Text fields follow policy 3 of ``../shared/cases/README.md`` (titles are plain
text; html/xhtml constructs are reduced to their text, entities decoded once)
and dates policy 2 (aware UTC ``datetime``; a value that cannot be parsed is
``None``, never a guess, so the store uses the first-seen time).
"""

from __future__ import annotations

import codecs
import datetime as dt
import email.utils
import html as html_module
import io
import json
import re
import time
import xml.sax
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import feedparser
import feedparser.api
import feedparser.datetimes
import feedparser.mixin
import feedparser.namespaces._base

from feeds.pipeline import saxdriver
from feeds.pipeline.identity import normalize_url
from feeds.pipeline.sanitize import clean_url, collapse_whitespace, first_image_url, html_to_text

__all__ = ["NotAFeedError", "ParseError", "ParsedEntry", "ParsedFeed", "parse_feed"]

UTC = dt.UTC
MAX_TITLE = 2000
MAX_AUTHOR = 512
MAX_URL = 2048
MAX_CATEGORIES = 50
MAX_CATEGORY = 200


class ParseError(Exception):
    """The document is not a readable feed; ``str(error)`` is a message for users."""


class NotAFeedError(ParseError):
    """The address returned an HTML page instead of a feed (autodiscovery applies)."""

    def __init__(self, message: str = "The address returned an HTML page, not a feed") -> None:
        super().__init__(message)


@dataclass(slots=True)
class ParsedEntry:
    """One item, normalized (RSS ``item``, Atom ``entry``, JSON Feed ``items[]``).

    - ``guid``: the publisher's id as a string ("" when absent).
    - ``url``: the item link, absolute http(s), tracking parameters removed (normalized) or "".
    - ``title``: plain text (never markup), whitespace collapsed, may be "".
    - ``author``: plain text name, may be "".
    - ``content_html``: the main body, raw (unsanitized): the feed's content
      element, else its summary/description. If ``content_is_text`` it is plain
      text (Atom ``type="text"``, JSON Feed ``content_text``) for
      ``sanitize.text_to_html``, else HTML for ``sanitize.sanitize_html``.
    - ``summary_html``: raw HTML of a summary distinct from the content, else "".
    - ``base_url``: absolute URL relative references in the content resolve
      against (innermost xml:base; for RSS and JSON Feed without xml:base the
      item link; else the feed URL).
    - ``published``/``updated``: aware UTC datetimes or None (unparseable or absent).
    - ``enclosures``: ``[{"url": str (absolute http(s)), "type": str, "length": int | None}]``.
    - ``categories``: plain-text strings, unique, in document order.
    - ``thumbnail_url``: absolute http(s) URL or "" (media:thumbnail, media:content
      image, itunes:image / JSON ``image``, else the first image of the content).
    """

    guid: str = ""
    url: str = ""
    title: str = ""
    author: str = ""
    summary_html: str = ""
    content_html: str = ""
    content_is_text: bool = False
    base_url: str = ""
    published: dt.datetime | None = None
    updated: dt.datetime | None = None
    enclosures: list[dict[str, Any]] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    thumbnail_url: str = ""


@dataclass(slots=True)
class ParsedFeed:
    """A parsed document.

    ``title``, ``description`` plain text; ``site_url``, ``hub_url`` (WebSub
    ``rel="hub"``), ``self_url`` (``rel="self"``) absolute http(s) or "";
    ``language`` as declared (max 35 chars); ``ttl_seconds`` from RSS ``ttl``
    (minutes) or ``sy:updatePeriod``/``sy:updateFrequency``, else None;
    ``bozo_message`` a readable warning when the document was malformed but
    still yielded entries, else ""; ``version`` feedparser's name of the format
    ("rss20", "atom10", ...; "json11"/"json10" for JSON Feed).
    """

    title: str = ""
    site_url: str = ""
    description: str = ""
    language: str = ""
    entries: list[ParsedEntry] = field(default_factory=list)
    bozo_message: str = ""
    ttl_seconds: int | None = None
    hub_url: str = ""
    self_url: str = ""
    version: str = ""


def parse_feed(content: bytes, *, url: str, content_type: str = "") -> ParsedFeed:
    """Parse feed bytes into a ``ParsedFeed``.

    ``content``: the response body (decompressed bytes). ``url``: the final URL
    after redirects (base of relative references). ``content_type``: the HTTP
    Content-Type header, a hint (the body is sniffed): its charset wins over the
    XML declaration for XML media types (RFC 7303), unless the bytes say otherwise.

    Raises ``NotAFeedError`` for an HTML page, ``ParseError`` (readable message)
    for an empty document, invalid JSON, or a malformed feed that yields no
    entries. A malformed feed that still yields entries is returned with
    ``bozo_message`` set. A well-formed feed with no items returns no entries.
    """
    if not content or not content.strip():
        raise ParseError("The address returned an empty document, not a feed")
    media_type, charset = _split_content_type(content_type)
    head = _sniff_head(content)
    if head[:1] in (b"{", b"[") or (media_type.endswith("json") and head[:1] != b"<"):
        return _parse_json_feed(content, url=url)
    if _looks_like_html(head):
        raise NotAFeedError()
    text = _decode(content, http_charset=charset, media_type=media_type)
    text = _prepare_xml(text)
    return _parse_xml(text.encode("utf-8"), url=url)


# --- encoding ---------------------------------------------------------------
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
_XML_DECL_TEXT_RE = re.compile(r"^<\?xml[^>]{0,200}?\?>")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _split_content_type(content_type: str) -> tuple[str, str]:
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
    for bom, name in _BOMS:
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


def _decode(content: bytes, *, http_charset: str, media_type: str) -> str:
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


# --- XML preparation --------------------------------------------------------
_FEED_ROOT_RE = re.compile(rb"<(?:[A-Za-z0-9_]+:)?(?:rss|feed|RDF|channel)\b")
_HTML_RE = re.compile(rb"<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE)
_FIRST_ELEMENT_RE = re.compile(r"<[A-Za-z_]")
_DOCTYPE_RE = re.compile(r"<!DOCTYPE\b", re.IGNORECASE)
_ENTITY_DECL_RE = re.compile(r"""<!ENTITY\s+([A-Za-z_][\w.\-]*)\s+(?:"([^"]*)"|'([^']*)')\s*>""")
_SAFE_ENTITY_VALUE_RE = re.compile(r"^(?:&#(?:\d{1,7}|x[0-9A-Fa-f]{1,6});|[^&<%\"]{0,200})$")


def _sniff_head(content: bytes) -> bytes:
    """The first bytes of the document without BOM, whitespace or NULs (UTF-16)."""
    head = content[:2048]
    for bom, _ in _BOMS:
        if head.startswith(bom):
            head = head[len(bom) :]
            break
    if b"\x00" in head[:8]:
        head = head.replace(b"\x00", b"")
    return head.lstrip()


def _looks_like_html(head: bytes) -> bool:
    match = _HTML_RE.search(head)
    if not match:
        return False
    root = _FEED_ROOT_RE.search(head)
    return root is None or root.start() > match.start()


_HTML_ELEMENTS = frozenset(
    [
        "html",
        "head",
        "body",
        "div",
        "p",
        "span",
        "a",
        "figure",
        "picture",
        "img",
        "section",
        "article",
        "main",
        "header",
        "footer",
        "nav",
        "table",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "meta",
        "link",
        "script",
        "style",
        "form",
        "br",
    ]
)
_FIRST_TAG_RE = re.compile(rb"<([A-Za-z][A-Za-z0-9]*)[\s>/]")


def _starts_with_html_element(data: bytes) -> bool:
    """Whether the first element of a document that is not a feed is an HTML one."""
    match = _FIRST_TAG_RE.search(data[:4096])
    return bool(match) and match.group(1).decode().lower() in _HTML_ELEMENTS


def _prepare_xml(text: str) -> str:
    """Make decoded XML safe and self-consistent for feedparser.

    Drops anything before the first ``<`` (BOM, blank lines: P09), marks the
    declaration as UTF-8 (we re-encode), and replaces a DOCTYPE by one that
    keeps only simple internal entities (no SYSTEM/PUBLIC entities, no
    parameter entities, no entity referring to another one: P28).
    """
    start = text.find("<")
    if start > 0:
        text = text[start:]
    elif start < 0:
        raise ParseError("The address returned text that is not XML, not a feed")
    decl = _XML_DECL_TEXT_RE.match(text)
    if decl:
        text = '<?xml version="1.0" encoding="utf-8"?>' + text[decl.end() :]
    first = _FIRST_ELEMENT_RE.search(text)
    prolog_end = first.start() if first else len(text)
    doctype = _DOCTYPE_RE.search(text, 0, prolog_end)
    if doctype:
        text = _replace_doctype(text, doctype.start(), prolog_end)
    return text


def _doctype_end(text: str, start: int, limit: int) -> int:
    """Index just past the DOCTYPE declaration that starts at ``start``."""
    quote = ""
    depth = 0
    i = start + 2
    while i < limit:
        char = text[i]
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == ">" and depth <= 0:
            return i + 1
        i += 1
    return limit


def _replace_doctype(text: str, start: int, limit: int) -> str:
    end = _doctype_end(text, start, limit)
    declaration = text[start:end]
    name_match = re.match(r"<!DOCTYPE\s+([A-Za-z_][\w.:\-]*)", declaration, re.IGNORECASE)
    name = name_match.group(1) if name_match else "rss"
    safe = []
    for entity, value_dq, value_sq in _ENTITY_DECL_RE.findall(declaration):
        value = value_dq or value_sq
        if _SAFE_ENTITY_VALUE_RE.match(value):
            safe.append(f'<!ENTITY {entity} "{value}">')
    # One declaration per line: feedparser re-reads them with line-anchored patterns.
    replacement = f"\n<!DOCTYPE {name} [\n" + "\n".join(safe) + "\n]>" if safe else ""
    return text[:start] + replacement + text[end:]


# --- XML feeds through feedparser ---------------------------------------------
# feedparser resolves permalink guids against the feed URL. A guid is an opaque
# identity that must not change when the feed moves (or with the base), so it
# stays as published. (Class attribute of feedparser's parser mixin.)
feedparser.mixin._FeedParserMixin.can_be_relative_uri = frozenset(
    feedparser.mixin._FeedParserMixin.can_be_relative_uri - {"id"}
)
# feedparser forgets the item title's depth at any <image> (e.g. an Open Graph
# block inside an item), so a later nested <title> (an author's job title)
# replaces the item's title. Inside an item the depth is kept.
_feedparser_start_image = feedparser.namespaces._base.Namespace._start_image


def _start_image_keeping_item_title(self: Any, attrs_d: Any) -> Any:
    title_depth = self.title_depth
    result = _feedparser_start_image(self, attrs_d)
    if self.inentry:
        self.title_depth = title_depth
    return result


feedparser.namespaces._base.Namespace._start_image = _start_image_keeping_item_title
# Our expat driver first: character data in one call per text run inside parse_feed
# (feeds.pipeline.saxdriver; stock behaviour for any other caller).
if saxdriver.__name__ not in feedparser.api.PREFERRED_XML_PARSERS:
    feedparser.api.PREFERRED_XML_PARSERS.insert(0, saxdriver.__name__)
_IGNORED_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


def _bozo_message(exc: BaseException | None) -> str:
    if exc is None or isinstance(exc, _IGNORED_BOZO):
        return ""
    if isinstance(exc, xml.sax.SAXParseException):
        return (
            f"The feed is not well-formed XML (line {exc.getLineNumber()}, "
            f"column {exc.getColumnNumber()}: {exc.getMessage()})"
        )
    message = str(exc) or exc.__class__.__name__
    return f"The feed is not well-formed: {message}"


def _parse_xml(data: bytes, *, url: str) -> ParsedFeed:
    with saxdriver.buffered():
        result = feedparser.parse(
            io.BytesIO(data),
            sanitize_html=False,
            resolve_relative_uris=False,
            # No content-location: feedparser would urljoin every link against it
            # (a quarter of its time); bases are resolved against ``url`` below.
            response_headers={"content-type": "application/xml; charset=utf-8"},
        )
    bozo = _bozo_message(result.get("bozo_exception")) if result.get("bozo") else ""
    version = result.get("version") or ""
    if not result.entries:
        if not version:
            if _looks_like_html(data[:2048]) or _starts_with_html_element(data):
                raise NotAFeedError()
            raise ParseError(bozo or "The address returned XML that is not an RSS or Atom feed")
        if bozo:
            raise ParseError(f"{bozo}; no entries could be read")
    fp_feed = result.feed
    feed = ParsedFeed(
        title=_text_construct(fp_feed.get("title_detail"), fp_feed.get("title")),
        site_url=_http_url(fp_feed.get("link"), _base(fp_feed.get("title_detail"), url)),
        description=_text_construct(fp_feed.get("subtitle_detail"), fp_feed.get("subtitle")),
        language=collapse_whitespace(fp_feed.get("language") or "")[:35],
        bozo_message=bozo,
        ttl_seconds=_ttl_seconds(fp_feed),
        hub_url=_rel_link(fp_feed, "hub", url),
        self_url=_rel_link(fp_feed, "self", url),
        version=version,
    )
    is_rss = version.startswith("rss") or not version
    feed.entries = [_xml_entry(entry, url=url, is_rss=is_rss) for entry in result.entries]
    return feed


def _text_construct(detail: Any, fallback: str | None = None) -> str:
    """Plain text of an RSS/Atom text construct (policy 3; RFC 4287 section 3.1)."""
    if detail:
        value = detail.get("value") or ""
        kind = detail.get("type") or "text/plain"
    else:
        value, kind = fallback or "", "text/plain"
    if "html" in kind:  # text/html and application/xhtml+xml
        return html_to_text(value)[:MAX_TITLE]
    return collapse_whitespace(value)[:MAX_TITLE]


def _http_url(value: Any, base: str) -> str:
    """An absolute http(s) URL (max 2048 chars) or ""."""
    if not isinstance(value, str) or not value.strip():
        return ""
    url = clean_url(value, base_url=base)
    return url if len(url) <= MAX_URL else ""


def _rel_link(node: Any, rel: str, base: str) -> str:
    for link in node.get("links") or ():
        if link.get("rel") == rel and link.get("href"):
            return _http_url(link["href"], base)
    return ""


_SY_PERIODS = {
    "hourly": 3600,
    "daily": 86400,
    "weekly": 604800,
    "monthly": 2592000,
    "yearly": 31536000,
}


def _ttl_seconds(fp_feed: Any) -> int | None:
    """RSS 2.0 ``ttl`` (minutes) or RSS 1.0 ``sy:updatePeriod / sy:updateFrequency``, in seconds."""
    ttl = str(fp_feed.get("ttl") or "").strip()
    if ttl.isdigit() and 0 < int(ttl) < 10**6:
        return int(ttl) * 60
    period = _SY_PERIODS.get(str(fp_feed.get("sy_updateperiod") or "").strip().lower())
    if period:
        frequency = str(fp_feed.get("sy_updatefrequency") or "1").strip()
        frequency_n = int(frequency) if frequency.isdigit() and int(frequency) > 0 else 1
        return max(1, period // frequency_n)
    return None


def _pick_content(entry: Any) -> Any:
    """The entry's main content element: the first non-empty HTML one, else the first non-empty."""
    contents = [c for c in entry.get("content") or () if (c.get("value") or "").strip()]
    for item in contents:
        if "html" in (item.get("type") or ""):
            return item
    return contents[0] if contents else None


def _base(detail: Any, url: str) -> str:
    """The absolute base of a feedparser element: its resolved xml:base over ``url``."""
    xml_base = (detail.get("base") if detail else "") or ""
    return urljoin(url, xml_base) if xml_base else url


def _xml_entry(entry: Any, *, url: str, is_rss: bool) -> ParsedEntry:
    entry_base = _base(entry.get("title_detail"), url)
    link = _http_url(entry.get("link"), entry_base)
    content = _pick_content(entry)
    summary = entry.get("summary_detail")
    if summary is not None and not (summary.get("value") or "").strip():
        summary = None
    if content is None and summary is not None:
        content, summary = summary, None
    if summary is not None and content is not None and summary.get("value") == content.get("value"):
        summary = None
    detail = content or summary
    base = _base(detail, url) if detail else entry_base
    if is_rss and link and not (detail or {}).get("base"):
        base = link  # policy 4: RSS item content without xml:base resolves against the item link
    content_html = content.get("value", "") if content else ""
    content_is_text = bool(content) and (content.get("type") or "") == "text/plain"
    summary_html = ""
    if summary is not None:
        summary_html = summary.get("value", "")
        if (summary.get("type") or "") == "text/plain":
            summary_html = _plain_to_html(summary_html)
    author_detail = entry.get("author_detail") or {}
    author = html_to_text(author_detail.get("name") or entry.get("author") or "")[:MAX_AUTHOR]
    published = _date(entry.get("published"), entry.get("published_parsed"))
    if published is None:
        published = _date(entry.get("created"), entry.get("created_parsed"))
    # dict.get: FeedParserDict["updated"] silently falls back to "published".
    updated = _date(dict.get(entry, "updated"), dict.get(entry, "updated_parsed"))
    parsed = ParsedEntry(
        guid=collapse_whitespace(str(entry.get("id") or "")),
        url=normalize_url(link),
        title=_text_construct(entry.get("title_detail"), entry.get("title")),
        author=author,
        summary_html=summary_html,
        content_html=content_html,
        content_is_text=content_is_text,
        base_url=base,
        published=published,
        updated=updated,
        enclosures=_enclosures(entry.get("enclosures") or (), base),
        categories=_categories(
            tag.get("term") or tag.get("label") for tag in entry.get("tags") or ()
        ),
    )
    parsed.thumbnail_url = _xml_thumbnail(entry, base) or (
        "" if content_is_text else first_image_url(content_html or summary_html, base_url=base)
    )
    return parsed


def _plain_to_html(text: str) -> str:
    return html_module.escape(text.strip(), quote=False).replace("\n", "<br>")


def _xml_thumbnail(entry: Any, base: str) -> str:
    for thumb in entry.get("media_thumbnail") or ():
        url = _http_url(thumb.get("url"), base)
        if url:
            return url
    for media in entry.get("media_content") or ():
        kind = (media.get("type") or "").lower()
        if media.get("medium") == "image" or kind.startswith("image/"):
            url = _http_url(media.get("url"), base)
            if url:
                return url
    image = entry.get("image")
    if isinstance(image, dict):
        return _http_url(image.get("href") or image.get("url"), base)
    return ""


def _enclosures(items: Any, base: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    seen = set()
    for item in items:
        url = _http_url(item.get("href") or item.get("url"), base)
        if not url or url in seen:
            continue
        seen.add(url)
        length = str(item.get("length") or item.get("size_in_bytes") or "").strip()
        result.append(
            {
                "url": url,
                "type": collapse_whitespace(str(item.get("type") or item.get("mime_type") or ""))[
                    :100
                ],
                "length": int(length) if length.isdigit() and len(length) < 19 else None,
            }
        )
    return result


def _categories(values: Any) -> list[str]:
    result: list[str] = []
    for value in values:
        if not isinstance(value, str):
            continue
        text = html_to_text(value)[:MAX_CATEGORY]
        if text and text not in result:
            result.append(text)
        if len(result) >= MAX_CATEGORIES:
            break
    return result


# --- dates --------------------------------------------------------------------
_ISO_RE = re.compile(r"^\d{4}-?\d{2}-?\d{2}(?:[T ]|$)")
_SLASH_RE = re.compile(
    r"^(\d{4})/(\d{1,2})/(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*(Z|UTC|GMT)?$",
    re.IGNORECASE,
)


def _aware(value: dt.datetime) -> dt.datetime | None:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # policy 2: zone-less values are UTC
    value = value.astimezone(UTC)
    return value if value.year >= 1900 else None


def parse_date(raw: str | None, parsed: time.struct_time | None = None) -> dt.datetime | None:
    """A feed date string as an aware UTC datetime, or None when it cannot be read.

    ISO 8601/RFC 3339 (Atom, JSON Feed) and ``YYYY/M/D h:m:s`` are read here;
    RFC 822 and the other spellings feedparser knows come from ``parsed``
    (feedparser's UTC struct_time), kept only when the year it found appears in
    the raw text, so a misread never becomes a different date (P06).
    """
    raw = (raw or "").strip()
    if not raw:
        return None
    if _ISO_RE.match(raw):
        try:
            return _aware(dt.datetime.fromisoformat(raw.replace(" ", "T", 1)))
        except ValueError:
            pass
    slash = _SLASH_RE.match(raw)
    if slash:
        year, month, day, hour, minute, second = (int(g or 0) for g in slash.groups()[:6])
        try:
            return _aware(dt.datetime(year, month, day, hour, minute, second, tzinfo=UTC))
        except ValueError:
            return None
    if parsed is None:
        parsed = feedparser.datetimes._parse_date(raw)
    if parsed is None:
        return _rfc822_date(raw)
    try:
        value = dt.datetime(*parsed[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None
    years = {str(value.year), str(value.year - 1), str(value.year + 1)}
    if not any(year in raw for year in years):
        return None
    return _aware(value)


def _rfc822_date(raw: str) -> dt.datetime | None:
    """RFC 822 spellings feedparser refuses (e.g. no seconds), via the email package."""
    try:
        fields = email.utils.parsedate_tz(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if not fields or str(fields[0]) not in raw:
        return None
    try:
        return _aware(dt.datetime.fromtimestamp(email.utils.mktime_tz(fields), UTC))
    except (OverflowError, ValueError, OSError):
        return None


def _date(raw: Any, parsed: Any) -> dt.datetime | None:
    return parse_date(raw if isinstance(raw, str) else None, parsed)


# --- JSON Feed ------------------------------------------------------------------
def _json_text(value: Any) -> str:
    if value is None or isinstance(value, (dict, list, bool)):
        return ""
    return collapse_whitespace(str(value))


def _json_title(value: Any) -> str:
    """JSON Feed titles are plain text, but publishers often leave HTML character
    references in them ("Blog &#8211; InfluxData"): decoded once, like RSS (policy 3)."""
    return collapse_whitespace(html_module.unescape(_json_text(value)))[:MAX_TITLE]


def _json_id(value: Any) -> str:
    """JSON Feed ids are strings; numbers are compared as their decimal string (P22)."""
    if value is None or isinstance(value, (bool, dict, list)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _json_author(node: dict[str, Any]) -> str:
    authors = node.get("authors")
    if isinstance(authors, list):
        names = [_json_text(a.get("name")) for a in authors if isinstance(a, dict)]
        names = [n for n in names if n]
        if names:
            return ", ".join(names)[:MAX_AUTHOR]
    author = node.get("author")
    if isinstance(author, dict):
        return _json_text(author.get("name"))[:MAX_AUTHOR]
    return ""


def _parse_json_feed(content: bytes, *, url: str) -> ParsedFeed:
    """JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1) into a ParsedFeed."""
    try:
        document = json.loads(content)
    except (UnicodeDecodeError, ValueError) as exc:
        detail = (
            f" (line {exc.lineno}, column {exc.colno}: {exc.msg})" if hasattr(exc, "lineno") else ""
        )
        raise ParseError(f"The address returned invalid JSON, not a readable feed{detail}") from exc
    if not isinstance(document, dict):
        raise ParseError("The address returned JSON that is not a JSON Feed")
    version = document.get("version")
    items = document.get("items")
    if not isinstance(items, list):
        raise ParseError(
            "The address returned JSON that is not a JSON Feed "
            '(no "items" list; see https://jsonfeed.org/version/1.1)'
        )
    bozo = ""
    if not (isinstance(version, str) and version.startswith("https://jsonfeed.org/version/")):
        bozo = 'The JSON Feed has no valid "version"; read as JSON Feed 1.1'
    hubs = document.get("hubs") if isinstance(document.get("hubs"), list) else []
    feed_author = _json_author(document)
    feed = ParsedFeed(
        title=_json_title(document.get("title")),
        site_url=_http_url(document.get("home_page_url"), url),
        description=_json_text(document.get("description")),
        language=_json_text(document.get("language"))[:35],
        bozo_message=bozo,
        hub_url=next(
            (_http_url(h.get("url"), url) for h in hubs if isinstance(h, dict) and h.get("url")), ""
        ),
        self_url=_http_url(document.get("feed_url"), url),
        version="json10" if str(version).endswith("/1") else "json11",
    )
    feed.entries = [
        _json_entry(item, url=url, feed_author=feed_author)
        for item in items
        if isinstance(item, dict)
    ]
    return feed


def _json_entry(item: dict[str, Any], *, url: str, feed_author: str) -> ParsedEntry:
    link = _http_url(item.get("url"), url)
    base = link or url
    content_html = item.get("content_html") if isinstance(item.get("content_html"), str) else ""
    content_text = item.get("content_text") if isinstance(item.get("content_text"), str) else ""
    summary = _json_text(item.get("summary"))
    is_text = not content_html.strip() and bool(content_text.strip())
    body = content_html if content_html.strip() else content_text
    summary_html = _plain_to_html(summary) if summary else ""
    if not body.strip() and summary:
        body, summary_html, is_text = summary, "", True
    attachments = item.get("attachments") if isinstance(item.get("attachments"), list) else []
    tags = item.get("tags") if isinstance(item.get("tags"), list) else []
    entry = ParsedEntry(
        guid=_json_id(item.get("id")),
        url=normalize_url(link),
        title=_json_title(item.get("title")),
        author=_json_author(item) or feed_author,
        summary_html=summary_html,
        content_html=body,
        content_is_text=is_text,
        base_url=base,
        published=parse_date(_json_text(item.get("date_published"))),
        updated=parse_date(_json_text(item.get("date_modified"))),
        enclosures=_enclosures((a for a in attachments if isinstance(a, dict)), base),
        categories=_categories(tags),
    )
    entry.thumbnail_url = (
        _http_url(item.get("image"), base)
        or _http_url(item.get("banner_image"), base)
        or ("" if is_text else first_image_url(body, base_url=base))
    )
    return entry
