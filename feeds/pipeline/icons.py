"""Feed icons: the site's favicon fetched through the SSRF guard, or a generated letter avatar.

:func:`icon_refresh` looks at the site page's ``<link rel="icon">`` / ``shortcut icon`` /
``apple-touch-icon`` links, then ``/favicon.ico``, fetches each through ``feeds.pipeline.fetch``
with a small size cap (:data:`ICON_MAX_BYTES`) and stores the first real raster image (PNG, GIF,
JPEG, WebP, ICO, recognised by its magic bytes, never by the server's Content-Type). SVG is not
accepted: Tidings serves icons from its own origin and an SVG can carry script.
:func:`icon_for_feed` returns what the icon view serves.
"""

from __future__ import annotations

import hashlib
import html
from urllib.parse import urljoin, urlsplit

import lxml.html
from django.utils import timezone
from lxml import etree

from feeds.models import Feed, FeedIcon
from feeds.pipeline.fetch import FetchError, check_url, fetch

ICON_MAX_BYTES = 256 * 1024
PAGE_MAX_BYTES = 2 * 1024 * 1024
MAX_CANDIDATES = 6
_ICON_ACCEPT = "image/png, image/x-icon, image/vnd.microsoft.icon, image/*;q=0.8"
_PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x00\x00\x01\x00", "image/x-icon"),
)


def sniff_image_type(data: bytes) -> str | None:
    """The media type of a raster image from its magic bytes, or None (SVG and HTML give None)."""
    for magic, media_type in _MAGIC:
        if data.startswith(magic):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def find_icon_links(page: bytes | str, base_url: str) -> list[str]:
    """Icon URLs a page declares, best first: ``icon``/``shortcut icon`` links, then
    ``apple-touch-icon`` ones; SVG links skipped; absolute http(s) URLs only (pure)."""
    if isinstance(page, str):
        page = page.encode("utf-8")
    try:
        document = lxml.html.document_fromstring(page) if page.strip() else None
    except (etree.ParserError, ValueError):
        document = None
    if document is None:
        return []
    base_tag = document.find(".//base[@href]")
    base = urljoin(base_url, base_tag.get("href").strip()) if base_tag is not None else base_url
    icons: list[str] = []
    touch: list[str] = []
    for link in document.iter("link"):
        rel = set((link.get("rel") or "").lower().split())
        href = (link.get("href") or "").strip()
        is_svg = "svg" in (link.get("type") or "").lower() or href.lower().endswith(".svg")
        if not href or is_svg:
            continue
        if "icon" in rel:
            icons.append(href)
        elif rel & {"apple-touch-icon", "apple-touch-icon-precomposed"}:
            touch.append(href)
    found: list[str] = []
    for href in icons + touch:
        try:
            url = check_url(urljoin(base, href), resolve=False)
        except FetchError:
            continue
        if url not in found:
            found.append(url)
    return found


def _site_url(feed: Feed) -> str:
    return feed.site_url or _origin(feed.url) + "/"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _candidates(feed: Feed) -> list[str]:
    site = _site_url(feed)
    found: list[str] = []
    try:
        page = fetch(site, max_bytes=PAGE_MAX_BYTES, extra_headers={"Accept": _PAGE_ACCEPT})
        found = find_icon_links(page.content, page.final_url)
        site = page.final_url
    except FetchError:
        pass
    for origin in (_origin(site), _origin(feed.url)):
        favicon = origin + "/favicon.ico"
        if favicon not in found:
            found.append(favicon)
    return found[:MAX_CANDIDATES]


def icon_refresh(*, feed: Feed) -> FeedIcon | None:
    """Fetch the site icon of ``feed`` and store it as its FeedIcon; return it, or None.

    Tries the site page's icon links (``feed.site_url``, else the feed URL's origin), then
    ``/favicon.ico`` of the site and of the feed's host, each through the SSRF guard with a cap
    of :data:`ICON_MAX_BYTES`. Keeps the existing icon when nothing usable is found. Never raises
    FetchError (a missing icon is not an error).
    """
    for url in _candidates(feed):
        try:
            result = fetch(url, max_bytes=ICON_MAX_BYTES, extra_headers={"Accept": _ICON_ACCEPT})
        except FetchError:
            continue
        media_type = sniff_image_type(result.content)
        if media_type is None:
            continue
        icon, _ = FeedIcon.objects.update_or_create(
            feed=feed,
            defaults={
                "url": result.final_url,
                "content_type": media_type,
                "data": result.content,
                "fetched_at": timezone.now(),
            },
        )
        return icon
    return None


def icon_for_feed(feed: Feed) -> tuple[str, bytes]:
    """``(content type, bytes)`` to serve as ``feed``'s icon: the stored one, else a letter avatar.

    Uses ``feed.icon`` (load it with ``select_related("icon")`` to avoid a query). The stored
    content type comes from the image's magic bytes; the avatar is ``image/svg+xml``.
    """
    try:
        icon = feed.icon
    except FeedIcon.DoesNotExist:
        icon = None
    if icon is not None and icon.data and sniff_image_type(bytes(icon.data)):
        return icon.content_type, bytes(icon.data)
    host = urlsplit(feed.url).hostname or ""
    host = host[4:] if host.startswith("www.") else host  # "SMBC", not "W" for every www site
    return "image/svg+xml", letter_avatar(feed.title or host)


def letter_avatar(name: str) -> bytes:
    """A 64x64 SVG: the first letter or digit of ``name`` (escaped) on a colour from its hash.

    The same name always gives the same colour; a name with no letter gives "?".
    """
    letter = next((c for c in name.strip() if c.isalnum()), "?").upper()
    hue = int(hashlib.sha256(name.strip().lower().encode("utf-8")).hexdigest()[:8], 16) % 360
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">'
        f'<rect width="64" height="64" rx="12" fill="hsl({hue}, 45%, 42%)"/>'
        '<text x="32" y="32" dy="0.35em" text-anchor="middle" fill="#fff" font-size="34" '
        f'font-family="system-ui, sans-serif" font-weight="600">{html.escape(letter)}</text></svg>'
    )
    return svg.encode("utf-8")
