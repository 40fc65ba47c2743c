"""Retention (feeds.tasks.prune_entries -> feeds.services.entries_prune): starred entries stay,
pruned ones leave tombstones so that a feed still listing them cannot bring them back."""

from __future__ import annotations

from datetime import timedelta

import pytest

from feeds.models import Entry, EntryTombstone
from tests.admin.conftest import RSS_TWO_ITEMS
from tests.factories import EntryStateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def refreshed_feed(feed_server):
    """A feed refreshed once through the pipeline from the loopback server (2 entries)."""
    services = pytest.importorskip("feeds.services")
    feed_server.add_route(
        "/retention.xml", body=RSS_TWO_ITEMS, headers={"Content-Type": "application/rss+xml"}
    )
    feed, _ = services.feed_get_or_create(url=feed_server.url("/retention.xml"))
    result = services.feed_refresh(feed_id=feed.pk, force=True)
    assert (result.outcome, result.new) == ("ok", 2)
    return feed


def test_pruning_keeps_starred_entries_and_tombstones_the_others(
    refreshed_feed, alice, settings, now
):
    from feeds.services import feed_refresh
    from feeds.tasks import prune_entries

    old = now - timedelta(days=settings.FEED_RETENTION_DAYS + 10)
    Entry.objects.filter(feed=refreshed_feed).update(published_at=old, created_at=old)
    starred, plain = Entry.objects.filter(feed=refreshed_feed).order_by("guid")
    EntryStateFactory(user=alice, entry=starred, starred=True, starred_at=now)

    assert prune_entries() == 1
    assert list(Entry.objects.filter(feed=refreshed_feed)) == [starred]
    assert EntryTombstone.objects.filter(
        feed=refreshed_feed, identity_hash=plain.identity_hash
    ).exists()
    assert prune_entries() == 0

    # The feed still lists the pruned entry: the tombstone keeps it out.
    result = feed_refresh(feed_id=refreshed_feed.pk, force=True)
    assert result.outcome == "ok"
    assert result.new == 0
    assert list(Entry.objects.filter(feed=refreshed_feed)) == [starred]


def test_recent_entries_are_not_pruned(refreshed_feed):
    from feeds.tasks import prune_entries

    assert prune_entries() == 0
    assert Entry.objects.filter(feed=refreshed_feed).count() == 2
    assert not EntryTombstone.objects.exists()
