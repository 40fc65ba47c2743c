"""Field normalizers shared by the feed formats: URLs, enclosures, categories, plain text."""

from __future__ import annotations

import html as html_module
from typing import Any

from feeds.pipeline.parse.model import MAX_CATEGORIES, MAX_CATEGORY, MAX_URL
from feeds.pipeline.sanitize import clean_url, collapse_whitespace, html_to_text

__all__ = ["categories", "duration_seconds", "enclosures", "http_url", "plain_to_html"]


def http_url(value: Any, base: str) -> str:
    """An absolute http(s) URL (max 2048 chars) or ""."""
    if not isinstance(value, str) or not value.strip():
        return ""
    url = clean_url(value, base_url=base)
    return url if len(url) <= MAX_URL else ""


def plain_to_html(text: str) -> str:
    """Plain text as HTML: characters escaped, line breaks as ``<br>``."""
    return html_module.escape(text.strip(), quote=False).replace("\n", "<br>")


_MAX_DURATION = 7 * 24 * 3600  # seconds: anything longer is a typo


def duration_seconds(value: Any) -> int | None:
    """A media duration in whole seconds, or None: ``itunes:duration`` (Apple Podcasts:
    ``"1830"``, ``"30:30"``, ``"0:30:30"``, fractions dropped) or JSON Feed 1.1's
    ``duration_in_seconds`` (a number). Values over a week or malformed give None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        seconds = int(value) if value == value else -1  # NaN
    else:
        parts = str(value).strip().split(":")
        if not 1 <= len(parts) <= 3:
            return None
        try:
            numbers = [float(p) if i == len(parts) - 1 else int(p) for i, p in enumerate(parts)]
        except ValueError:
            return None
        if any(n < 0 for n in numbers) or any(n >= 60 for n in numbers[1:]):
            return None
        seconds = 0
        for number in numbers:
            seconds = seconds * 60 + int(number)
    return seconds if 0 < seconds <= _MAX_DURATION else None


def enclosures(items: Any, base: str, *, duration: Any = None) -> list[dict[str, Any]]:
    """Enclosures (RSS ``enclosure``, Atom ``rel="enclosure"``, JSON ``attachments``) as
    ``[{"url": absolute http(s), "type": str (max 100), "length": int | None}]``, unique by URL,
    plus ``"duration"`` (int seconds) when known: the attachment's ``duration_in_seconds``,
    else the item's ``duration`` (``itunes:duration``) for audio and video."""
    result: list[dict[str, Any]] = []
    seen = set()
    item_duration = duration_seconds(duration)
    for item in items:
        url = http_url(item.get("href") or item.get("url"), base)
        if not url or url in seen:
            continue
        seen.add(url)
        length = str(item.get("length") or item.get("size_in_bytes") or "").strip()
        media_type = collapse_whitespace(str(item.get("type") or item.get("mime_type") or ""))
        enclosure = {
            "url": url,
            "type": media_type[:100],
            "length": int(length) if length.isdigit() and len(length) < 19 else None,
        }
        seconds = duration_seconds(item.get("duration_in_seconds"))
        if seconds is None and media_type.startswith(("audio/", "video/")):
            seconds = item_duration
        if seconds is not None:
            enclosure["duration"] = seconds
        result.append(enclosure)
    return result


def categories(values: Any) -> list[str]:
    """Plain-text category names, unique, in order, at most MAX_CATEGORIES (non-strings skipped)."""
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
