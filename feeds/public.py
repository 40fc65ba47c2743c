"""Public reads for visitors: the directory's active sources and their entries.

Only entries of feeds linked to an ACTIVE directory ``Source`` are public; any
other source or entry id is an ``Http404`` here, so the public pages cannot be
used to read a private subscription's entries.
"""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import get_language

from feeds.models import Entry, Source, SourceCategory


def category_name(category: SourceCategory | None, language: str | None = None) -> str:
    """The category's name in the active language (Chinese name when the UI is zh-hans)."""
    if category is None:
        return ""
    language = (language or get_language() or "en").lower()
    if language.startswith("zh") and category.name_zh_hans:
        return category.name_zh_hans
    return category.name_en or category.slug


def public_source_get(*, source_id: int) -> Source:
    """The active directory source ``source_id`` with its category and feed.

    Raises Http404 when it does not exist or is inactive.
    """
    source = (
        Source.objects.filter(pk=source_id, active=True).select_related("category", "feed").first()
    )
    if source is None:
        raise Http404("No such source")
    return source


def public_entries(
    *, source: Source, limit: int = 20, exclude_id: int | None = None
) -> list[Entry]:
    """The newest ``limit`` entries of the source's feed (empty while the source has no feed)."""
    if source.feed_id is None:
        return []
    qs = Entry.objects.filter(feed_id=source.feed_id).order_by("-published_at", "-id")
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    return list(qs.select_related("feed")[:limit])


def public_entry_get(*, entry_id: int) -> tuple[Entry, Source]:
    """The entry ``entry_id`` and the active directory source of its feed.

    Raises Http404 when the entry does not exist or its feed is not the feed of an
    active directory source.
    """
    entry = Entry.objects.filter(pk=entry_id).select_related("feed").first()
    if entry is None:
        raise Http404("No such entry")
    source = (
        Source.objects.filter(feed_id=entry.feed_id, active=True)
        .select_related("category")
        .order_by("pk")
        .first()
    )
    if source is None:
        raise Http404("No such entry")
    return entry, source
