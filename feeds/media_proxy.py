"""The media proxy's addresses: signed Tidings URLs for feed images, audio and video.

A reader who opens an entry should not tell the publisher (and its CDNs and ad networks) their
IP address, browser and reading time. So the URLs of images, audio and video in entry content,
enclosures and thumbnails are rewritten, when a page or an API answer is rendered, to
``/media/<signature>/<address>`` on Tidings, which fetches them (``feeds.media_views``).

- ``<address>`` is the URL in URL-safe base64 without padding; ``<signature>`` is an HMAC-SHA256
  of the URL (Django's ``salted_hmac`` with its own salt, :data:`SIGNING_SALT`, over
  ``SECRET_KEY``), cut to 18 bytes (144 bits) and base64-encoded: 24 characters. Only URLs that
  Tidings signed are fetched, so the proxy is no open proxy. Signatures made with a key of
  ``SECRET_KEY_FALLBACKS`` are still accepted (key rotation); the comparison takes constant time.
- The rewriting happens at render time, never in the stored HTML, so changing the mode or the
  key needs no re-store. :func:`proxy_html` is the one function every face calls (the page
  filter in ``reader/templatetags/tidings_media.py``, the REST serializer).
- Modes (``settings.MEDIA_PROXY``): ``off`` (URLs as published), ``http-only`` (only ``http://``
  URLs, which an https Tidings could not load: mixed content), ``all`` (every media URL; the
  default).
- Per reader, images can be ``on``, ``click`` (shown after a click: the address moves to
  ``data-src``/``data-srcset`` and ``static/js/tidings.js`` puts it back) or ``off`` (removed).

The HTML given to :func:`proxy_html` is what ``feeds.pipeline.sanitize`` stored: nh3's
serialization, where ``<`` and ``>`` are escaped outside tags and inside attribute values,
and every attribute value is double-quoted without a ``"`` inside. So the tag pattern below,
scanning from the start, meets only real tags and consumes each one whole (quoted values
included); only URL values are replaced, by escaped Tidings URLs, so no new markup can appear.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import html
import re

from django.conf import settings
from django.utils.crypto import salted_hmac

__all__ = [
    "IMAGE_CHOICES",
    "MODES",
    "PATH_PREFIX",
    "SIGNING_SALT",
    "InvalidMediaAddress",
    "for_apps",
    "media_path",
    "media_url_for",
    "proxy_html",
    "proxy_mode",
    "signature",
    "url_from_media_path",
]

MODES = ("off", "http-only", "all")
IMAGE_CHOICES = ("on", "click", "off")
PATH_PREFIX = "/media/"
SIGNING_SALT = "tidings.feeds.media_proxy"
_SIGNATURE_BYTES = 18
_MAX_URL = 4096

# A whole tag of nh3's serialization: name, then attributes whose values are "..." without '"'.
_TAG_RE = re.compile(r'<([a-zA-Z][a-zA-Z0-9]*)((?:[^>"]|"[^"]*")*)>')
_ATTR_RE = re.compile(r'(\s)([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:="([^"]*)")?')
_MEDIA_TAGS = frozenset({"img", "source", "video", "audio"})
_URL_ATTRIBUTES = frozenset({"src", "poster"})


class InvalidMediaAddress(Exception):
    """A ``/media/`` path whose signature does not match its address, or is malformed."""


def proxy_mode() -> str:
    """The site's media proxy mode: ``off``, ``http-only`` or ``all`` (``settings.MEDIA_PROXY``)."""
    mode = getattr(settings, "MEDIA_PROXY", "all")
    return mode if mode in MODES else "all"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signature(url: str, *, secret: str | bytes | None = None) -> str:
    """The 24-character signature of ``url`` (HMAC-SHA256 with :data:`SIGNING_SALT`, 18 bytes,
    URL-safe base64); ``secret`` defaults to ``settings.SECRET_KEY``."""
    digest = salted_hmac(SIGNING_SALT, url, secret=secret, algorithm="sha256").digest()
    return _b64(digest[:_SIGNATURE_BYTES])


def media_path(url: str) -> str:
    """``/media/<signature>/<address>``: the Tidings path that serves ``url`` (absolute http(s))."""
    return f"{PATH_PREFIX}{signature(url)}/{_b64(url.encode('utf-8'))}"


def url_from_media_path(sig: str, encoded: str) -> str:
    """The URL a ``/media/<sig>/<encoded>`` path stands for, once its signature is checked.

    Accepts signatures made with ``SECRET_KEY`` or any of ``SECRET_KEY_FALLBACKS`` (compared in
    constant time). Raises InvalidMediaAddress for bad base64, a URL that is not absolute
    http(s), or a signature that does not match.
    """
    if len(encoded) > _MAX_URL * 2 or len(sig) > 64:
        raise InvalidMediaAddress("too long")
    try:
        url = _unb64(encoded).decode("utf-8")
        given = _unb64(sig)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidMediaAddress("malformed") from exc
    if not url.startswith(("http://", "https://")):
        raise InvalidMediaAddress("not a web address")
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    matched = False
    for secret in secrets:
        expected = _unb64(signature(url, secret=secret))
        matched |= hmac.compare_digest(expected, given)
    if not matched:
        raise InvalidMediaAddress("signature mismatch")
    return url


def media_url_for(url: str, *, mode: str | None = None, origin: str = "") -> str:
    """``url`` as the reader's browser should load it under the proxy ``mode``.

    ``mode`` defaults to :func:`proxy_mode`; ``origin`` (``https://tidings.example``, no slash)
    makes the result absolute, for API clients. An empty or non-http(s) ``url`` is returned as
    it is; so is every URL when the mode is ``off``, and https URLs under ``http-only``.
    """
    mode = mode or proxy_mode()
    if not url or mode == "off" or len(url) > _MAX_URL:
        return url
    if url.startswith("http://") or (mode == "all" and url.startswith("https://")):
        return origin + media_path(url)
    return url


def _srcset(value: str, mode: str, origin: str) -> str:
    candidates = []
    for part in value.split(","):
        bits = part.strip().split()
        if bits:
            candidates.append(
                " ".join([media_url_for(bits[0], mode=mode, origin=origin), *bits[1:]])
            )
    return ", ".join(candidates)


def _rewrite_tag(match: re.Match[str], mode: str, origin: str, images: str) -> str:
    name = match.group(1).lower()
    if name not in _MEDIA_TAGS:
        return match.group(0)
    is_image = name == "img" or (name == "source" and 'srcset="' in match.group(2))
    if images == "off" and is_image:
        return ""
    hide = images == "click" and is_image
    rebuilt = []
    for attribute in _ATTR_RE.finditer(match.group(2)):
        space, attr, raw = attribute.groups()
        attr = attr.lower()
        if not raw or attr not in _URL_ATTRIBUTES | {"srcset"}:
            rebuilt.append(attribute.group(0))
            continue
        if attr == "poster" and images != "on":
            continue
        value = html.unescape(raw)
        if attr == "srcset":
            value = _srcset(value, mode, origin)
        else:
            value = media_url_for(value, mode=mode, origin=origin)
        prefix = "data-" if hide else ""
        rebuilt.append(f'{space}{prefix}{attr}="{html.escape(value, quote=True)}"')
    if hide and name == "img":
        rebuilt.append(' data-remote-image=""')
    return f"<{match.group(1)}{''.join(rebuilt)}>"


def proxy_html(
    fragment: str, *, mode: str | None = None, images: str = "on", origin: str = ""
) -> str:
    """Sanitized entry HTML with its media URLs rewritten for the reader's browser.

    ``fragment``: HTML as ``feeds.pipeline.sanitize`` stored it. ``mode``: proxy mode (default
    :func:`proxy_mode`). ``images``: the reader's choice, ``on``, ``click`` (image addresses
    moved to ``data-src``/``data-srcset``, the image marked ``data-remote-image``) or ``off``
    (``img`` elements and picture sources removed, video posters dropped). ``origin``: prefix
    for absolute URLs (API answers). ``src``/``srcset``/``poster`` of ``img``, ``source``,
    ``video`` and ``audio`` are the only values changed. Returns str; pure.
    """
    mode = mode or proxy_mode()
    if not fragment or (mode == "off" and images == "on"):
        return fragment
    if images not in IMAGE_CHOICES:
        images = "on"
    lowered = fragment.lower()
    if not any(f"<{tag}" in lowered for tag in _MEDIA_TAGS):
        return fragment
    return _TAG_RE.sub(lambda m: _rewrite_tag(m, mode, origin, images), fragment)


def for_apps(value: str, *, address: bool = False) -> str:
    """Entry HTML (or, with ``address``, one media URL) as the client APIs give it to apps.

    With ``settings.MEDIA_PROXY_CLIENT_APIS`` on, media addresses go through the proxy as
    absolute URLs under ``settings.SITE_URL`` (apps fetch them from Tidings); off (the
    default), they stay as published, since some apps fetch and cache media themselves.
    Used by the Google Reader, Fever, Miniflux, Nextcloud News and Tiny Tiny RSS faces.
    """
    if not getattr(settings, "MEDIA_PROXY_CLIENT_APIS", False) or not value:
        return value
    origin = str(getattr(settings, "SITE_URL", "")).rstrip("/")
    if address:
        return media_url_for(value, origin=origin)
    return proxy_html(value, origin=origin)
