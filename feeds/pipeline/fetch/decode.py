"""Content codings (RFC 9110 section 8.4.1) decoded in bounded pieces: gzip, deflate, br.

Codings are read as browsers read them (WHATWG Fetch, "handle content codings": only the
codings a browser decodes change the body): a token Tidings does not know (``aws-chunked``,
``UTF-8``, ``none``, ``binary``...) means identity; a body labelled gzip, deflate or br that
is not so encoded (sniffed from its first bytes) is used as is. Codings that are known but not
decoded here (:data:`UNDECODED_CODINGS`, e.g. ``zstd``) stay an error: the body would be
garbage.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import brotli
from django.utils.translation import gettext as _

from feeds.pipeline.fetch.errors import FetchError

ACCEPT_ENCODING = "gzip, deflate, br"  # exactly the codings decoders_for() can decode
#: Registered codings (IANA HTTP Content Coding Registry) that Tidings does not decode.
UNDECODED_CODINGS = frozenset(
    {"compress", "x-compress", "zstd", "dcb", "dcz", "exi", "pack200-gzip", "aes128gcm"}
)
_DECODE_CHUNK = 256 * 1024
_SNIFF_BYTES = 512  # how much of a body is looked at to tell whether it is really encoded
_GZIP_MAGIC = b"\x1f\x8b"


class _ZlibDecoder:
    """gzip (multi-member) or deflate (zlib-wrapped or raw), emitting bounded pieces."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._obj: zlib._Decompress | None = None  # type: ignore[name-defined]

    def _new(self, first: bytes) -> zlib._Decompress:  # type: ignore[name-defined]
        if self.coding == "gzip":
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        zlib_wrapped = (
            len(first) >= 2 and first[0] & 0x0F == 8 and (first[0] << 8 | first[1]) % 31 == 0
        )
        return zlib.decompressobj(zlib.MAX_WBITS if zlib_wrapped else -zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data:
            if self._obj is None:
                self._obj = self._new(data)
            out = self._obj.decompress(data, _DECODE_CHUNK)
            data = self._obj.unconsumed_tail
            if out:
                yield out
            if self._obj.eof:
                rest = self._obj.unused_data
                # A new gzip member may follow (RFC 1952 section 2.2); anything else is ignored.
                data = rest if self.coding == "gzip" and rest[:2] == b"\x1f\x8b" else b""
                self._obj = None

    def flush(self) -> Iterator[bytes]:
        if self._obj is not None:
            out = self._obj.flush()
            if out:
                yield out


class _BrotliDecoder:
    coding = "br"

    def __init__(self) -> None:
        self._obj = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        # brotli 1.2's can_accept_more_data() can say True while output is still pending, so
        # drain with empty input until a call yields nothing (or the stream is finished).
        out = self._obj.process(data, output_buffer_limit=_DECODE_CHUNK)
        while out:
            yield out
            if self._obj.is_finished():
                return
            out = self._obj.process(b"", output_buffer_limit=_DECODE_CHUNK)

    def flush(self) -> Iterator[bytes]:
        return iter(())


class _Identity:
    """The body as it is (a coding label the bytes do not bear out)."""

    def __init__(self, coding: str) -> None:
        self.coding = coding

    def feed(self, data: bytes) -> Iterator[bytes]:
        if data:
            yield data

    def flush(self) -> Iterator[bytes]:
        return iter(())


def _looks_like_text(head: bytes) -> bool:
    """Whether ``head`` starts like a plain feed or page: ``<`` or ``{`` after a BOM/whitespace."""
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        if head.startswith(bom):
            return True
    stripped = head.lstrip(b" \t\r\n\x0c")
    return not stripped or stripped[:1] in (b"<", b"{")


def looks_encoded(coding: str, head: bytes) -> bool:
    """Whether a body whose first bytes are ``head`` really is in ``coding`` (gzip/deflate/br).

    gzip by its magic bytes (RFC 1952 section 2.3.1); deflate by the zlib header (RFC 1950
    section 2.2) or, failing that, by not starting like text (raw deflate has no header);
    br, which has no magic bytes (RFC 7932), by not starting like text or, when it does, by
    the first bytes decoding without error. Pure; ``head`` is at most a few hundred bytes.
    """
    if coding == "gzip":
        return head.startswith(_GZIP_MAGIC)
    if coding == "deflate":
        zlib_wrapped = len(head) >= 2 and head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0
        return zlib_wrapped or not _looks_like_text(head)
    if not _looks_like_text(head):
        return True
    try:
        brotli.Decompressor().process(head, output_buffer_limit=_DECODE_CHUNK)
    except brotli.error:
        return False
    return True


class _Sniffing:
    """Decode a claimed coding only if the body bears it out, else pass the body through."""

    def __init__(self, decoder: _ZlibDecoder | _BrotliDecoder) -> None:
        self.decoder = decoder
        self.coding = decoder.coding
        self._head = b""
        self._chosen: _ZlibDecoder | _BrotliDecoder | _Identity | None = None

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._chosen is not None:
            yield from self._chosen.feed(data)
            return
        self._head += data
        if len(self._head) >= _SNIFF_BYTES:
            yield from self._choose()

    def flush(self) -> Iterator[bytes]:
        if self._chosen is None:
            yield from self._choose()
        assert self._chosen is not None
        yield from self._chosen.flush()

    def _choose(self) -> Iterator[bytes]:
        head, self._head = self._head, b""
        encoded = looks_encoded(self.coding, head[:_SNIFF_BYTES])
        self._chosen = self.decoder if encoded else _Identity(self.coding)
        yield from self._chosen.feed(head)


Decoder = _Sniffing


def decoders_for(content_encoding: str, status: int) -> list[Decoder]:
    """Decoders in the order to apply them (reverse of the header's order, RFC 9110 8.4).

    ``content_encoding`` is the raw Content-Encoding header ("" when absent). gzip (and
    x-gzip), deflate and br get a decoder that first checks the body really is encoded;
    ``identity`` and tokens that are no registered coding are skipped, as browsers do.
    Raises ``FetchError`` (kind ``http``, ``status``) for a coding in
    :data:`UNDECODED_CODINGS`.
    """
    decoders: list[Decoder] = []
    for coding in reversed([c.strip().lower() for c in content_encoding.split(",") if c.strip()]):
        if coding in ("gzip", "x-gzip"):
            decoders.append(_Sniffing(_ZlibDecoder("gzip")))
        elif coding == "deflate":
            decoders.append(_Sniffing(_ZlibDecoder("deflate")))
        elif coding == "br":
            decoders.append(_Sniffing(_BrotliDecoder()))
        elif coding in UNDECODED_CODINGS:
            message = _("The server used an unsupported content encoding (%(coding)s).")
            raise FetchError("http", message % {"coding": coding}, status=status)
        # anything else (identity, aws-chunked, UTF-8, none, binary...): the body as is
    return decoders


def decode_stream(
    pieces: Iterator[bytes], decoders: list, *, final: bool = False
) -> Iterator[bytes]:
    if not decoders:
        yield from pieces
        return
    head, rest = decoders[0], decoders[1:]

    def produced() -> Iterator[bytes]:
        for piece in pieces:
            yield from head.feed(piece)
        if final:
            yield from head.flush()

    yield from decode_stream(produced(), rest, final=final)
