"""Small display helpers shared by the feeds admins: icons, short URLs, times, durations."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.urls import NoReverseMatch, reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.timezone import localtime

__all__ = [
    "ERROR_CHARS",
    "TITLE_CHARS",
    "URL_CHARS",
    "duration_text",
    "feed_icon",
    "full_time",
    "short_time",
    "short_url",
]

#: Characters of a feed's title, URL and last error shown in the feed health list (the full
#: text is in the cell's title attribute).
TITLE_CHARS = 40
URL_CHARS = 28
ERROR_CHARS = 40


def feed_icon(feed_id: int | None, name: str):
    """An <img> of the feed's icon (the public icon view), or a letter when not linked yet."""
    if feed_id:
        try:
            return format_html(
                '<img src="{}" alt="" width="16" height="16" loading="lazy">',
                reverse("feed_icon", args=[feed_id]),
            )
        except NoReverseMatch:
            pass
    return (name or "?")[:1].upper()


def short_url(url: str) -> str:
    """The URL without its scheme, truncated to URL_CHARS: "example.org/feeds/…"."""
    bare = url.split("://", 1)[-1]
    return Truncator(bare).chars(URL_CHARS)


def short_time(value: datetime) -> str:
    """A short local date and time: "Nov 29, 18:28"."""
    return date_format(localtime(value), "M j, H:i")


def full_time(value: datetime) -> str:
    """The full local date and time, for a title attribute."""
    return date_format(localtime(value), "DATETIME_FORMAT")


def duration_text(delta: timedelta | None) -> str:
    """A short human duration: 45 min, 6.0 h, 3.5 d."""
    if delta is None:
        return "-"
    seconds = delta.total_seconds()
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"
