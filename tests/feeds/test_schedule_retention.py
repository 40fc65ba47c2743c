"""Retention: old entries nobody starred are pruned in batches and leave tombstones."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from feeds.models import Entry, EntryTombstone, Feed
from feeds.services import entries_prune
from feeds.tasks import prune_entries
from reader.models import EntryState
from reader.project.celery import app
from tests.factories import EntryStateFactory

pytestmark = pytest.mark.django_db


def _entry(feed: Feed, name: str, *, age_days: float, seen_days: float | None = None) -> Entry:
    now = timezone.now()
    return Entry.objects.create(
        feed=feed,
        identity_hash=name.ljust(64, "0"),
        title=name,
        published_at=now - timedelta(days=age_days),
        created_at=now - timedelta(days=age_days if seen_days is None else seen_days),
    )


@pytest.fixture
def feed():
    return Feed.objects.create(url="https://retention.example.org/feed")


def test_old_entries_are_deleted_and_leave_a_tombstone(feed):
    old = _entry(feed, "old", age_days=200)
    fresh = _entry(feed, "fresh", age_days=2)

    assert entries_prune(older_than_days=180) == 1

    assert list(feed.entries.all()) == [fresh]
    assert list(EntryTombstone.objects.values_list("feed_id", "identity_hash")) == [
        (feed.pk, old.identity_hash)
    ]


def test_starred_entries_are_never_pruned_but_read_state_goes_with_the_entry(feed, alice, bob):
    starred = _entry(feed, "starred", age_days=400)
    read_only = _entry(feed, "readonly", age_days=400)
    EntryStateFactory(user=alice, entry=starred, starred=True, starred_at=timezone.now())
    EntryStateFactory(user=bob, entry=starred, read=True)
    EntryStateFactory(user=bob, entry=read_only, read=True)

    assert entries_prune(older_than_days=180) == 1

    assert list(feed.entries.all()) == [starred]
    assert EntryState.objects.filter(entry=starred).count() == 2
    assert not EntryState.objects.filter(entry_id=read_only.pk).exists()


def test_an_old_article_seen_for_the_first_time_recently_is_kept(feed):
    _entry(feed, "archive", age_days=3000, seen_days=1)
    assert entries_prune(older_than_days=180) == 0
    assert feed.entries.count() == 1


def test_pruning_runs_in_batches_until_nothing_is_left(feed):
    for i in range(7):
        _entry(feed, f"e{i}", age_days=300)
    assert entries_prune(older_than_days=180, batch_size=2) == 7
    assert not feed.entries.exists()
    assert EntryTombstone.objects.count() == 7


def test_pruning_twice_is_harmless(feed):
    _entry(feed, "once", age_days=300)
    assert entries_prune(older_than_days=180) == 1
    assert entries_prune(older_than_days=180) == 0


def test_the_nightly_task_uses_the_retention_setting(feed, settings):
    settings.FEED_RETENTION_DAYS = 10
    _entry(feed, "eleven", age_days=11)
    _entry(feed, "nine", age_days=9)
    assert prune_entries() == 1
    assert list(feed.entries.values_list("title", flat=True)) == ["nine"]


def test_beat_runs_the_prune_nightly_and_the_refresh_every_minute():
    schedule = {entry["task"]: entry["schedule"] for entry in app.conf.beat_schedule.values()}
    assert schedule["feeds.tasks.refresh_due_feeds"] == 60.0
    nightly = schedule["feeds.tasks.prune_entries"]
    assert len(nightly.hour) == 1 and len(nightly.minute) == 1
