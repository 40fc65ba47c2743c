"""Content codings (RFC 9110 section 8.4.1) decoded in bounded pieces: gzip, deflate, br."""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import brotli
from django.utils.translation import gettext as _

from feeds.pipeline.fetch.errors import FetchError

ACCEPT_ENCODING = "gzip, deflate, br"  # exactly the codings decoders_for() can decode
_DECODE_CHUNK = 256 * 1024


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


def decoders_for(content_encoding: str, status: int) -> list[_ZlibDecoder | _BrotliDecoder]:
    """Decoders in the order to apply them (reverse of the header's order, RFC 9110 8.4)."""
    decoders: list[_ZlibDecoder | _BrotliDecoder] = []
    for coding in reversed([c.strip().lower() for c in content_encoding.split(",") if c.strip()]):
        if coding in ("identity", ""):
            continue
        if coding in ("gzip", "x-gzip"):
            decoders.append(_ZlibDecoder("gzip"))
        elif coding == "deflate":
            decoders.append(_ZlibDecoder("deflate"))
        elif coding == "br":
            decoders.append(_BrotliDecoder())
        else:
            message = _("The server used an unsupported content encoding (%(coding)s).")
            raise FetchError("http", message % {"coding": coding}, status=status)

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
