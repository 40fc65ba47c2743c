"""Exports of a user's reading data: the starred entries as JSON.

The OPML export of subscriptions is in ``reader.opml`` (``opml_export``).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from accounts.models import User
from reader.models import EntryState


def starred_export(*, user: User) -> dict[str, Any]:
    """The user's starred entries as a JSON-ready dict, newest star first.

    Shape: ``{"exported_at": iso8601, "user": username, "count": n, "entries": [{"id",
    "title", "url", "author", "published_at", "starred_at", "content", "feed": {"title",
    "url", "site_url"}}]}``; times are ISO 8601 strings (None when unset), ``content``
    falls back to the entry's summary. Reads ``EntryState`` rows with ``starred=True``.
    """
    states = (
        EntryState.objects.filter(user=user, starred=True)
        .select_related("entry__feed")
        .order_by("-starred_at", "-id")
    )
    entries = [_starred_entry(state) for state in states]
    return {
        "exported_at": timezone.now().isoformat(),
        "user": user.get_username(),
        "count": len(entries),
        "entries": entries,
    }


def _starred_entry(state: EntryState) -> dict[str, Any]:
    entry, feed = state.entry, state.entry.feed
    return {
        "id": entry.pk,
        "title": entry.title,
        "url": entry.url,
        "author": entry.author,
        "published_at": entry.published_at.isoformat() if entry.published_at else None,
        "starred_at": state.starred_at.isoformat() if state.starred_at else None,
        "content": entry.content or entry.summary,
        "feed": {"title": feed.title, "url": feed.url, "site_url": feed.site_url},
    }
