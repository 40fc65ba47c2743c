"""Media RSS (``media:`` elements, https://www.rssboard.org/media-rss) of RSS and Atom items.

feedparser reads ``media:description`` as if it were the item's ``description``:
the second of the two becomes the item's content, so the alt text of a
Mastodon post's image replaced the post (and a YouTube entry's only text was a
summary run together). Here ``media:description`` is kept apart
(``entry["media_descriptions"]``, see ``install``) and read for what it is:

- the caption or alt text of the ``media:content`` it sits in (an image or a
  video attached to the item): shown with that media, never as the body;
- the description of the whole item when it sits in ``media:group`` or directly
  in the item (YouTube, PeerTube): the body when the item has no
  ``description``/``content`` of its own.

``media_body`` builds what the item's body gains from its media. A YouTube
video becomes an ``/embed/<id>`` iframe, which the sanitizer rewrites to
youtube-nocookie.com (embed policy 6 of ``../shared/cases/README.md``); other
videos show their thumbnail, linked to the item. Plain-text descriptions keep
their paragraphs and line breaks and get their URLs linked
(``feeds.pipeline.sanitize.text_to_linked_html``). The result is raw HTML: the store
sanitizes it like every other body.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import feedparser.mixin

from feeds.pipeline.parse.fields import http_url
from feeds.pipeline.sanitize import collapse_whitespace, html_to_text, text_to_linked_html

__all__ = ["install", "media_body", "media_descriptions"]

_YOUTUBE_ID_RE = re.compile(r"^[A-Za-z0-9_-]{11}$")
_YOUTUBE_HOSTS = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be"})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


# --- feedparser: media:description kept apart ---------------------------------------------
def _start_media_content(self: Any, attrs_d: Any) -> None:
    context = self._get_context()
    context.setdefault("media_content", []).append(attrs_d)
    self.tidings_media_content_depth = getattr(self, "tidings_media_content_depth", 0) + 1


def _end_media_content(self: Any) -> None:
    self.tidings_media_content_depth = max(0, getattr(self, "tidings_media_content_depth", 0) - 1)


def _start_media_description(self: Any, attrs_d: Any) -> None:
    if not self.inentry:  # a channel's media:description stays its description
        self._start_description(attrs_d)
        return
    # As a content element: both of feedparser's parsers then decode its text the same way.
    self.push_content("media_description", attrs_d, "text/plain", 1)


def _end_media_description(self: Any) -> None:
    if not self.inentry:
        self._end_description()
        return
    value = self.pop("media_description") or ""
    kind = self.contentparams.get("type") or "text/plain"  # text/html when it says so
    self.incontent -= 1
    self.contentparams.clear()
    context = self._get_context()
    context.pop("media_description", None)
    context.pop("media_description_detail", None)
    index = None
    if getattr(self, "tidings_media_content_depth", 0) and context.get("media_content"):
        index = len(context["media_content"]) - 1
    context.setdefault("media_descriptions", []).append(
        {
            "value": value,
            "type": kind,
            "content_index": index,
        }
    )


def install() -> None:
    """Adjust feedparser's parser class (idempotent; called once at import of ``xmlfeed``).

    Afterwards an entry's ``media:description`` elements are in
    ``entry["media_descriptions"]``: ``[{"value": str, "type": "text/plain" | "text/html",
    "content_index": int | None}]`` (``content_index``: position in
    ``entry["media_content"]`` of the ``media:content`` it sits in, None for an
    item-level or ``media:group`` description). They no longer fill ``summary``
    or ``content``.
    """
    mixin = feedparser.mixin._FeedParserMixin
    mixin._start_media_content = _start_media_content
    mixin._end_media_content = _end_media_content
    mixin._start_media_description = _start_media_description
    mixin._end_media_description = _end_media_description


# --- the body an item gains from its media --------------------------------------------------
def media_descriptions(entry: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(item-level descriptions, media:content captions) of a feedparser entry, non-empty ones."""
    found = [d for d in entry.get("media_descriptions") or () if (d.get("value") or "").strip()]
    item_level = [d for d in found if d.get("content_index") is None]
    captions = [d for d in found if d.get("content_index") is not None]
    return item_level, captions


def _description_html(description: dict[str, Any]) -> str:
    if description.get("type") in _HTML_TYPES:
        return description["value"]
    return text_to_linked_html(description["value"])


def _caption_text(description: dict[str, Any]) -> str:
    if description.get("type") in _HTML_TYPES:
        return html_to_text(description["value"])
    return collapse_whitespace(description["value"])


def youtube_video_id(*urls: str) -> str:
    """The 11-character id of a YouTube video named by one of ``urls`` (watch, youtu.be,
    ``/v/``, ``/embed/``, ``/shorts/`` forms), else ""."""
    for url in urls:
        try:
            parts = urlsplit(url or "")
        except ValueError:
            continue
        if (parts.hostname or "").lower() not in _YOUTUBE_HOSTS:
            continue
        candidates = parse_qs(parts.query).get("v", [])
        candidates.append(parts.path.rstrip("/").rsplit("/", 1)[-1])
        for candidate in candidates:
            if _YOUTUBE_ID_RE.match(candidate):
                return candidate
    return ""


def _media_item_html(media: dict[str, Any], caption: str, base: str) -> str:
    """A ``media:content`` image or video as a figure ("" for other media)."""
    url = http_url(media.get("url"), base)
    kind = (media.get("type") or "").lower()
    medium = (media.get("medium") or "").lower()
    if not url:
        return ""
    quoted_url = html.escape(url, quote=True)
    quoted_caption = html.escape(caption, quote=True)
    if medium == "image" or kind.startswith("image/"):
        return f'<figure><img src="{quoted_url}" alt="{quoted_caption}"></figure>'
    if medium == "video" or kind.startswith("video/"):
        figcaption = f"<figcaption>{quoted_caption}</figcaption>" if caption else ""
        return f'<figure><video src="{quoted_url}" controls></video>{figcaption}</figure>'
    return ""


def _attached_media_html(entry: Any, body: str, base: str, *, captioned_only: bool) -> str:
    """Figures of the item's media:content images and videos that ``body`` does not show.

    With ``captioned_only`` (the item has a body of its own) only media that carry a
    caption are added: a blog's featured image without one is already in its post.
    """
    _, captions = media_descriptions(entry)
    by_index = {d["content_index"]: _caption_text(d) for d in captions}
    figures = []
    for index, media in enumerate(entry.get("media_content") or ()):
        caption = by_index.get(index, "")
        if captioned_only and not caption:
            continue
        url = http_url(media.get("url"), base)
        if url and url in body:
            continue
        figures.append(_media_item_html(media, caption, base))
    return "".join(figures)


def _video_html(entry: Any, link: str, thumbnail: str, title: str) -> str:
    """The privacy-friendly YouTube embed of the item, else its thumbnail linked to the item."""
    media_urls = [m.get("url") or "" for m in entry.get("media_content") or ()]
    video_id = youtube_video_id(link, *media_urls)
    if not video_id and _YOUTUBE_ID_RE.match(str(entry.get("yt_videoid") or "")):
        video_id = str(entry["yt_videoid"])
    if video_id:
        return f'<p><iframe src="https://www.youtube.com/embed/{video_id}"></iframe></p>'
    if thumbnail:
        src, alt = html.escape(thumbnail, quote=True), html.escape(title, quote=True)
        image = f'<img src="{src}" alt="{alt}">'
        if link:
            image = f'<a href="{html.escape(link, quote=True)}">{image}</a>'
        return f"<p>{image}</p>"
    return ""


def media_body(
    entry: Any, *, body: str, base: str, link: str, thumbnail: str, title: str
) -> tuple[str, bool]:
    """The item's body with what its Media RSS elements add, as ``(raw HTML, replaced)``.

    ``entry``: the feedparser entry. ``body``: the raw HTML body from the item's own
    ``description``/``content`` ("" when it has none). ``base``: absolute base URL;
    ``link``: the item link; ``thumbnail``: the item's thumbnail URL (absolute or "");
    ``title``: its plain-text title (alt text of a thumbnail).

    With a body: captioned images and videos it does not show are appended (the
    caption as ``alt``, or ``figcaption`` of a video); ``replaced`` is False unless
    something was added. Without one: the body is the video (embed or thumbnail),
    the item-level description (paragraphs, line breaks, links) and the attached
    media; ``replaced`` is True when that is not empty. Never raises.
    """
    if body.strip():
        extra = _attached_media_html(entry, body, base, captioned_only=True)
        return (body + extra, True) if extra else (body, False)
    item_level, _ = media_descriptions(entry)
    parts = []
    if item_level:
        parts.append(_video_html(entry, link, thumbnail, title))
        parts.extend(_description_html(d) for d in item_level[:1])
    parts.append(_attached_media_html(entry, "".join(parts), base, captioned_only=False))
    built = "".join(parts)
    return (built, True) if built else ("", False)
