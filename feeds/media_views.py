"""The media proxy: ``GET /media/<signature>/<address>`` fetches a feed's image, audio or video.

What it guarantees (docs/privacy.md):

- only addresses Tidings signed are fetched (``feeds.media_proxy.url_from_media_path``);
- the fetch goes through the fetch package's guard (``feeds.pipeline.fetch.open_stream``):
  private, loopback and reserved addresses refused unless the operator allowed them
  (``FETCH_ALLOWED_NETWORKS``/``FETCH_ALLOWED_HOSTS``), every redirect checked again;
- the body is streamed in pieces of at most 64 KiB, never held whole, and cut at
  ``MEDIA_PROXY_MAX_BYTES`` (a larger declared ``Content-Length`` is refused at once);
- ``Range``, ``If-Range``, ``If-None-Match`` and ``If-Modified-Since`` are passed on, so audio
  and video can seek (``206 Partial Content``, RFC 9110 section 14) and caches revalidate;
  nothing else of the reader's request (cookies, address, browser, referrer) reaches the
  publisher;
- only image, audio and video types are served; SVG is refused (it can carry script); a body
  labelled ``application/octet-stream`` or unlabelled is recognised by its first bytes (or, for
  a part of it, by the extension of the address);
- refusals are short plain-text sentences that never repeat the address; every answer carries
  a strict Content-Security-Policy (:data:`MEDIA_CSP`), ``Cache-Control`` and no cookie.
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Iterator
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from feeds.media_proxy import InvalidMediaAddress, url_from_media_path
from feeds.pipeline.fetch import FetchError, StreamedResponse, open_stream
from feeds.pipeline.icons import sniff_image_type

logger = logging.getLogger("tidings.media")

#: The policy of every proxy answer: nothing may run, and an image or a video opened on its own
#: shows as such (the browser's viewer document needs the inline style and the media itself).
MEDIA_CSP = (
    "default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; sandbox"
)
CACHE_CONTROL = "public, max-age=86400"
MEDIA_ACCEPT = "image/avif, image/webp, image/*, audio/*, video/*;q=0.9, */*;q=0.1"
_PASSED_REQUEST_HEADERS = ("Range", "If-Range", "If-None-Match", "If-Modified-Since")
_PASSED_RESPONSE_HEADERS = (
    "content-length",
    "content-range",
    "accept-ranges",
    "etag",
    "last-modified",
    "content-encoding",
)
_UNLABELLED = frozenset({"", "application/octet-stream", "binary/octet-stream"})


def is_media_type(media_type: str) -> bool:
    """True for the types the proxy serves: ``image/*`` (SVG excluded), ``audio/*``, ``video/*``."""
    major, _sep, minor = media_type.partition("/")
    if not minor or major not in ("image", "audio", "video"):
        return False
    return "svg" not in minor


def sniff_media_type(head: bytes) -> str:
    """The media type of a body from its first bytes, or "" (raster images, MP3, Ogg, FLAC,
    WAV, MP4/M4A, WebM/Matroska; magic numbers as the WHATWG MIME Sniffing standard lists them)."""
    image = sniff_image_type(head)
    if image:
        return image
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return "image/avif"
        return "audio/mp4" if brand in (b"M4A ", b"M4B ") else "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    return ""


def _guessed_type(url: str) -> str:
    guessed = mimetypes.guess_type(urlsplit(url).path)[0] or ""
    return guessed if is_media_type(guessed) else ""


def refusal(status: int, message: str) -> HttpResponse:
    """A plain-text refusal with the proxy's headers (the address is never repeated)."""
    response = HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")
    return _with_proxy_headers(response, cache=False)


def _with_proxy_headers(response: HttpResponse | StreamingHttpResponse, *, cache: bool):
    response["Content-Security-Policy"] = MEDIA_CSP
    response["Cache-Control"] = CACHE_CONTROL if cache else "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def _fetch_refusal(exc: FetchError) -> HttpResponse:
    if exc.kind == "blocked":
        return refusal(403, _("This media address is not allowed."))
    if exc.kind == "timeout":
        return refusal(504, _("The media server did not answer in time."))
    if exc.kind == "too_large":
        return refusal(502, _("The media file is too large."))
    if exc.kind == "gone" or exc.status == 404:
        return refusal(404, _("The media server does not have this file."))
    return refusal(502, _("The media file could not be loaded."))


@require_safe
def media_proxy(request: HttpRequest, signature: str, address: str) -> HttpResponse:
    """Serve the image, audio or video at the signed ``address`` (GET and HEAD).

    Answers the upstream status (200, 206, 304, 416) with the body streamed; 403 for an
    unsigned or tampered address or a refused host, 404 when the publisher has no such file,
    502 for a type that is not media, a body over the cap or another failure, 504 on timeout.
    """
    try:
        url = url_from_media_path(signature, address)
    except InvalidMediaAddress:
        return refusal(403, _("This media address is not valid."))
    passed = {
        name: request.headers[name] for name in _PASSED_REQUEST_HEADERS if name in request.headers
    }
    try:
        upstream = open_stream(
            url,
            max_bytes=settings.MEDIA_PROXY_MAX_BYTES,
            total_seconds=settings.MEDIA_PROXY_TIMEOUT,
            accept=MEDIA_ACCEPT,
            extra_headers=passed,
        )
    except FetchError as exc:
        return _fetch_refusal(exc)
    try:
        return _answer(request, upstream)
    except FetchError as exc:
        upstream.close()
        return _fetch_refusal(exc)
    except BaseException:
        upstream.close()
        raise


def _answer(request: HttpRequest, upstream: StreamedResponse) -> HttpResponse:
    if upstream.status in (304, 416):
        upstream.close()
        response = HttpResponse(status=upstream.status)
        _copy_headers(upstream, response, body=False)
        return _with_proxy_headers(response, cache=upstream.status == 304)
    pieces = upstream.chunks()
    first = next(pieces, b"")
    media_type = upstream.content_type
    if media_type in _UNLABELLED:
        media_type = (sniff_media_type(first) if upstream.status == 200 else "") or _guessed_type(
            upstream.final_url
        )
    if not is_media_type(media_type):
        upstream.close()
        return refusal(502, _("The address does not point to an image, audio or video file."))
    if request.method == "HEAD":
        upstream.close()
        response = HttpResponse(status=upstream.status, content_type=media_type)
        _copy_headers(upstream, response, body=True)
        return _with_proxy_headers(response, cache=True)
    response = StreamingHttpResponse(
        _relay(upstream, first, pieces), status=upstream.status, content_type=media_type
    )
    _copy_headers(upstream, response, body=True)
    return _with_proxy_headers(response, cache=True)


def _copy_headers(upstream: StreamedResponse, response, *, body: bool) -> None:
    for name in _PASSED_RESPONSE_HEADERS:
        if name in upstream.headers and (
            body or name not in ("content-length", "content-encoding")
        ):
            response[name] = upstream.headers[name]


def _relay(upstream: StreamedResponse, first: bytes, pieces: Iterator[bytes]) -> Iterator[bytes]:
    """The body to the browser; a failure mid-way ends the stream (the status is already sent)."""
    try:
        if first:
            yield first
        yield from pieces
    except FetchError as exc:
        logger.info("media stream ended early: %s", exc.kind)
    finally:
        upstream.close()
