"""Test data for the API tests: feeds and entries, and a user's categories and subscriptions.

Feeds and entries are created as rows (the feed pipeline is tested in
tests/feeds); everything per user goes through the reader services, the same
code the API calls. Feed URLs are under the reserved .invalid domain, so that
an accidental refresh fails at name resolution at once, never a network wait.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from feeds.models import Entry, Feed
from reader import services
from tests.factories import EntryFactory, FeedFactory


def make_feed(url: str, *, title: str = "", entries: int = 3, start=None) -> Feed:
    """A feed at ``url`` with ``entries`` entries one minute apart (newest last)."""
    feed = FeedFactory(url=url, title=title or url, site_url=url.rsplit("/", 1)[0] + "/")
    start = start or timezone.now() - timedelta(hours=1)
    Entry.objects.bulk_create(
        [
            EntryFactory.build(
                feed=feed,
                guid="",
                identity_hash=f"{feed.pk}-{i}".ljust(64, "0"),
                url=f"{url}#e{i}",
                title=f"{feed.title} entry {i}",
                content=f"<p>Entry <b>{i}</b> of {feed.title}</p>",
                summary=f"Entry {i}",
                published_at=start + timedelta(minutes=i),
                created_at=start + timedelta(minutes=i),
                enclosures=[{"url": f"{url}/{i}.mp3", "type": "audio/mpeg", "length": "12"}],
                categories=["news"],
            )
            for i in range(entries)
        ]
    )
    return feed


def entries_of(feed: Feed) -> list[Entry]:
    """The feed's entries, oldest first."""
    return list(Entry.objects.filter(feed=feed).order_by("published_at", "id"))


def seed_reader_data(user: Any, *, prefix: str = "seed") -> dict[str, Any]:
    """Give ``user`` a category, two subscriptions (one in the category) and a starred entry.

    Returns the objects by name: category, feed1, feed2, sub1, sub2, entries1, entries2.
    """
    category = services.category_create(user=user, title=f"{prefix} Tech")
    feed1 = Feed.objects.filter(
        url=f"https://{prefix}-one.tidings.invalid/feed.xml"
    ).first() or make_feed(
        f"https://{prefix}-one.tidings.invalid/feed.xml", title=f"{prefix} One", entries=5
    )
    feed2 = Feed.objects.filter(
        url=f"https://{prefix}-two.tidings.invalid/feed.xml"
    ).first() or make_feed(
        f"https://{prefix}-two.tidings.invalid/feed.xml", title=f"{prefix} Two", entries=3
    )
    sub1 = services.subscription_create(user=user, url=feed1.url, category=category)
    sub2 = services.subscription_create(user=user, url=feed2.url)
    entries1, entries2 = entries_of(feed1), entries_of(feed2)
    services.entries_set_starred(user=user, entry_ids=[entries1[0].pk], starred=True)
    return {
        "category": category,
        "feed1": feed1,
        "feed2": feed2,
        "sub1": sub1,
        "sub2": sub2,
        "entries1": entries1,
        "entries2": entries2,
    }
