"""The scheduler hands due feeds to workers in batches (``feeds.tasks.refresh_feeds``).

``refresh_due_feeds`` claims the due feeds and sends them, most overdue first, in
``refresh_feeds`` tasks of at most ``FEED_REFRESH_BATCH`` ids on queue ``feeds``; each batch
refreshes its feeds one after another, each with its own lease, goes on past a feed whose
refresh failed on the database, and returns its outcomes counted. The end-to-end run with
real workers is in test_worker.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings, strategies

from feeds import services, tasks
from feeds.models import Feed
from feeds.services.results import NOT_MODIFIED, SKIPPED, RefreshResult
from tests.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db


def _due_feeds(user, count: int) -> list[int]:
    """``count`` subscribed feeds, due at distinct past times; ids, most overdue first."""
    now = timezone.now()
    feeds = []
    for n in range(count):
        feed = Feed.objects.create(
            url=f"https://batch{n}.example.org/feed", next_fetch_at=now - timedelta(minutes=n + 1)
        )
        SubscriptionFactory(user=user, feed=feed)
        feeds.append(feed)
    return [f.pk for f in reversed(feeds)]


def _sent_batches(monkeypatch) -> list[tuple[list[int], str]]:
    sent: list[tuple[list[int], str]] = []

    def apply_async(args, kwargs=None, queue=None, **options):
        sent.append((list(args[0]), queue))

    monkeypatch.setattr(tasks.refresh_feeds, "apply_async", apply_async)
    return sent


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(due=strategies.integers(0, 23), batch=strategies.integers(1, 8))
def test_every_due_feed_is_sent_once_in_batches_of_at_most_the_batch_size_most_overdue_first(
    alice, monkeypatch, django_capture_on_commit_callbacks, due, batch
):
    Feed.objects.all().delete()
    expected = _due_feeds(alice, due)
    sent = _sent_batches(monkeypatch)

    with (
        override_settings(FEED_REFRESH_BATCH=batch),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert tasks.refresh_due_feeds() == due
        size = tasks.refresh_batch_size(due)  # at most the batch size, spread over a few tasks

    assert [feed_id for ids, _ in sent for feed_id in ids] == expected
    assert size <= batch
    assert [len(ids) for ids, _ in sent] == [
        min(size, due - start) for start in range(0, due, size)
    ]
    assert {queue for _, queue in sent} <= {"feeds"}
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.refresh_due_feeds() == 0  # claimed: not handed out twice
    assert sent == []


def test_a_batch_goes_on_past_a_feed_whose_refresh_failed_on_the_database(alice, monkeypatch):
    ids = _due_feeds(alice, 3)
    refreshed: list[int] = []

    def feed_refresh(*, feed_id, force=False):
        if feed_id == ids[1]:
            raise DatabaseError("connection lost")
        refreshed.append(feed_id)
        return RefreshResult(feed_id=feed_id, outcome=NOT_MODIFIED)

    monkeypatch.setattr(services, "feed_refresh", feed_refresh)

    assert tasks.refresh_feeds([*ids]) == {NOT_MODIFIED: 2, "error": 1}
    assert refreshed == [ids[0], ids[2]]


def test_a_batch_refreshes_only_feeds_that_are_still_due(alice, monkeypatch):
    ids = _due_feeds(alice, 2)
    Feed.objects.filter(pk=ids[0]).update(next_fetch_at=timezone.now() + timedelta(hours=1))
    monkeypatch.setattr("feeds.services.refresh.fetch", _no_fetch)

    # The feed refreshed meanwhile (by "refresh now") is skipped; the other one is fetched.
    outcomes = tasks.refresh_feeds(ids)
    assert outcomes[SKIPPED] == 1 and sum(outcomes.values()) == 2
    assert Feed.objects.get(pk=ids[1]).error_count == 1  # its fetch was attempted


def _no_fetch(url, **kwargs):
    from feeds.pipeline.fetch import FetchError

    raise FetchError("dns", "no such host")
