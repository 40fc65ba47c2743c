"""Test data for the API tests: a user's categories, subscriptions, entries and states.

Rows are created directly (the feed pipeline is tested elsewhere) so that API
tests control ids and times; the per-user state goes through the reader services.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from feeds.models import Entry, Feed


def make_feed(url: str, *, title: str = "", entries: int = 3, start=None) -> Feed:
    """A feed at ``url`` with ``entries`` entries one minute apart (newest last)."""
    feed = Feed.objects.create(url=url, title=title or url, site_url=url.rsplit("/", 1)[0])
    start = start or timezone.now() - timedelta(hours=1)
    for i in range(entries):
        Entry.objects.create(
            feed=feed,
            identity_hash=f"{feed.pk}-{i}".ljust(64, "0"),
            url=f"{url}#e{i}",
            title=f"{feed.title} entry {i}",
            content=f"<p>Entry <b>{i}</b></p>",
            summary=f"Entry {i}",
            published_at=start + timedelta(minutes=i),
            created_at=start + timedelta(minutes=i),
        )
    return feed


def seed_reader_data(user: Any) -> dict[str, Any]:
    """Give ``user`` nothing yet (filled in as the reading services land)."""
    return {}
