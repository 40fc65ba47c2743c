"""Read and starred state: watermark + exceptions, counts after each action, P25 bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reader import selectors, services
from reader.errors import InvalidInput, NotFound
from reader.models import EntryState
from tests.reader.factories import (
    CategoryFactory,
    EntryFactory,
    FeedFactory,
    SubscriptionFactory,
    entries,
)

pytestmark = pytest.mark.django_db


def unread(user, sub=None) -> int:
    counts = selectors.unread_counts(user=user)
    return counts["subscriptions"][sub.pk] if sub else counts["total"]


def unread_ids(user, **filters) -> list[int]:
    page = selectors.entry_list(user=user, filters={"status": "unread", **filters}, limit=500)
    return [e.pk for e in page.entries]


def test_a_new_subscriber_sees_recent_entries_unread_and_older_ones_read(alice, settings):
    settings.NEW_SUBSCRIPTION_UNREAD_DAYS = 30
    feed = FeedFactory()
    now = timezone.now()
    old = [EntryFactory(feed=feed, published_at=now - timedelta(days=d)) for d in (40, 31)]
    recent = [EntryFactory(feed=feed, published_at=now - timedelta(days=d)) for d in (29, 1)]
    sub = services.subscription_create(user=alice, url=feed.url)
    assert unread(alice, sub) == 2
    assert unread_ids(alice) == [recent[1].pk, recent[0].pk]
    assert all(selectors.entry_get(user=alice, entry_id=e.pk).is_read for e in old)
    # Entries arriving later: an old-dated one is read, a fresh one unread.
    EntryFactory(feed=feed, published_at=now - timedelta(days=45))
    fresh = EntryFactory(feed=feed, published_at=now)
    assert unread(alice, sub) == 3
    assert unread_ids(alice)[0] == fresh.pk


def test_counts_follow_every_action(alice):
    sub = SubscriptionFactory(user=alice)
    e = entries(sub.feed, 5)
    assert unread(alice, sub) == 5
    services.entries_set_read(user=alice, entry_ids=[e[0].pk, e[1].pk], read=True)
    assert unread(alice, sub) == 3
    services.entries_set_read(user=alice, entry_ids=[e[0].pk], read=False)
    assert unread(alice, sub) == 4
    services.mark_all_read(user=alice, subscription_id=sub.pk)
    assert unread(alice, sub) == 0
    assert not EntryState.objects.filter(user=alice).exists()
    services.entries_set_read(user=alice, entry_ids=[e[2].pk], read=False)
    assert unread(alice, sub) == 1
    assert unread_ids(alice) == [e[2].pk]
    new = EntryFactory(feed=sub.feed)
    assert unread(alice, sub) == 2
    assert unread_ids(alice) == [new.pk, e[2].pk]
    services.mark_all_read(user=alice, subscription_id=sub.pk)
    assert unread(alice, sub) == 0
    assert not EntryState.objects.filter(user=alice).exists()


def test_exception_rows_are_written_only_when_they_differ_from_the_watermark(alice):
    sub = SubscriptionFactory(user=alice)
    e = entries(sub.feed, 3)
    services.entries_set_read(user=alice, entry_ids=[e[0].pk], read=False)  # already unread
    assert not EntryState.objects.exists()
    services.entries_set_read(user=alice, entry_ids=[e[0].pk], read=True)
    services.entries_set_read(user=alice, entry_ids=[e[0].pk], read=True)  # idempotent
    assert EntryState.objects.get().read is True
    services.entries_set_read(user=alice, entry_ids=[e[0].pk], read=False)
    assert not EntryState.objects.exists()


def test_read_and_star_flags_show_in_lists_and_in_entry_get(alice):
    sub = SubscriptionFactory(user=alice)
    e = entries(sub.feed, 3)
    services.entries_set_read(user=alice, entry_ids=[e[1].pk], read=True)
    services.entries_set_starred(user=alice, entry_ids=[e[2].pk], starred=True)
    page = selectors.entry_list(user=alice, filters={"status": "all"})
    flags = [(x.pk, x.is_read, x.is_starred) for x in page.entries]
    assert flags == [(e[2].pk, False, True), (e[1].pk, True, False), (e[0].pk, False, False)]
    got = selectors.entry_get(user=alice, entry_id=e[2].pk)
    assert (got.is_read, got.is_starred, got.subscription_id) == (False, True, sub.pk)
    assert got.starred_at is not None
    read_page = selectors.entry_list(user=alice, filters={"status": "read"})
    assert [x.pk for x in read_page.entries] == [e[1].pk]
    starred = selectors.entry_list(user=alice, filters={"status": "starred"})
    assert [x.pk for x in starred.entries] == [e[2].pk]
    assert selectors.unread_counts(user=alice)["starred"] == 1


def test_starring_keeps_the_first_star_time_and_unstarring_drops_the_row(alice):
    sub = SubscriptionFactory(user=alice)
    (entry,) = entries(sub.feed, 1)
    services.entries_set_starred(user=alice, entry_ids=[entry.pk], starred=True)
    first = EntryState.objects.get().starred_at
    services.entries_set_starred(user=alice, entry_ids=[entry.pk], starred=True)
    assert EntryState.objects.get().starred_at == first
    services.entries_set_starred(user=alice, entry_ids=[entry.pk], starred=False)
    assert not EntryState.objects.exists()


def test_starred_entries_stay_readable_after_unsubscribing(alice):
    sub = SubscriptionFactory(user=alice)
    kept, gone = entries(sub.feed, 2)
    services.entries_set_starred(user=alice, entry_ids=[kept.pk], starred=True)
    services.entries_set_read(user=alice, entry_ids=[gone.pk], read=True)
    services.subscription_delete(user=alice, subscription_id=sub.pk)
    starred = selectors.entry_list(user=alice, filters={"status": "starred"})
    assert [e.pk for e in starred.entries] == [kept.pk]
    assert starred.entries[0].subscription_id is None
    assert selectors.entry_get(user=alice, entry_id=kept.pk).is_starred
    with pytest.raises(NotFound):
        selectors.entry_get(user=alice, entry_id=gone.pk)
    assert selectors.unread_counts(user=alice) == {
        "subscriptions": {},
        "categories": {},
        "total": 0,
        "starred": 1,
    }
    # Still starrable/unstarrable through the star, and then it is gone.
    services.entries_set_starred(user=alice, entry_ids=[kept.pk], starred=False)
    with pytest.raises(NotFound):
        selectors.entry_get(user=alice, entry_id=kept.pk)


def test_counts_cover_every_subscription_and_category_in_one_query(alice):
    tech = CategoryFactory(user=alice, title="Tech")
    a = SubscriptionFactory(user=alice, category=tech)
    b = SubscriptionFactory(user=alice, category=tech)
    c = SubscriptionFactory(user=alice)
    entries(a.feed, 2)
    entries(b.feed, 3)
    with CaptureQueriesContext(connection) as queries:
        counts = selectors.unread_counts(user=alice)
    assert len(queries) == 1
    assert counts["subscriptions"] == {a.pk: 2, b.pk: 3, c.pk: 0}
    assert counts["categories"] == {tech.pk: 5, None: 0}
    assert counts["total"] == 5


def test_mark_all_read_of_a_category_or_of_everything(alice):
    tech = CategoryFactory(user=alice)
    a = SubscriptionFactory(user=alice, category=tech)
    b = SubscriptionFactory(user=alice)
    entries(a.feed, 2)
    entries(b.feed, 2)
    services.mark_all_read(user=alice, category_id=tech.pk)
    assert selectors.unread_counts(user=alice)["subscriptions"] == {a.pk: 0, b.pk: 2}
    EntryFactory(feed=a.feed)
    services.mark_all_read(user=alice, category_id=0)  # Uncategorized
    assert selectors.unread_counts(user=alice)["subscriptions"] == {a.pk: 1, b.pk: 0}
    services.mark_all_read(user=alice)
    assert unread(alice) == 0


def _race_feed(user):
    """P25: entries 1-3 first seen at 10:00, entries 4-5 at 10:05 (fetch1.xml, fetch2.xml)."""
    sub = SubscriptionFactory(user=user)
    day = datetime(2026, 3, 2, tzinfo=UTC)
    first = [
        EntryFactory(
            feed=sub.feed,
            title=f"Race Feed item {i}",
            published_at=day.replace(hour=i),
            created_at=day.replace(hour=10),
        )
        for i in (1, 2, 3)
    ]
    later = [
        EntryFactory(
            feed=sub.feed,
            title=f"Race Feed item {i}",
            published_at=day.replace(hour=i),
            created_at=day.replace(hour=10, minute=5),
        )
        for i in (4, 5)
    ]
    return sub, first, later, day.replace(hour=10, minute=1)


def test_mark_all_read_up_to_the_max_entry_id_the_client_saw(alice):
    """Case P25: mark all read upper bound."""
    sub, first, later, _ = _race_feed(alice)
    services.mark_all_read(user=alice, subscription_id=sub.pk, max_entry_id=first[-1].pk)
    assert sorted(unread_ids(alice)) == sorted(e.pk for e in later)
    assert unread(alice, sub) == 2


def test_mark_all_read_before_a_time_leaves_later_arrivals_unread(alice):
    """Case P25: mark all read upper bound."""
    sub, _, later, seen_at = _race_feed(alice)
    services.mark_all_read(user=alice, before=seen_at)
    assert sorted(unread_ids(alice)) == sorted(e.pk for e in later)
    services.mark_all_read(user=alice, subscription_id=sub.pk, before=seen_at)
    assert unread(alice, sub) == 2


def test_mark_all_read_without_bound_never_marks_entries_created_after_the_call(alice):
    """Case P25: mark all read upper bound."""
    sub, _, _, _ = _race_feed(alice)
    services.mark_all_read(user=alice, subscription_id=sub.pk)
    arrived = EntryFactory(feed=sub.feed, published_at=datetime(2026, 3, 1, tzinfo=UTC))
    assert unread_ids(alice) == [arrived.pk]


def test_a_bound_above_the_newest_entry_is_capped_at_the_request(alice):
    """Case P25: mark all read upper bound."""
    sub, _, _, _ = _race_feed(alice)
    services.mark_all_read(user=alice, subscription_id=sub.pk, max_entry_id=2**62)
    arrived = EntryFactory(feed=sub.feed)
    assert unread_ids(alice) == [arrived.pk]


def test_mark_all_read_makes_kept_unread_entries_read_and_keeps_stars(alice):
    sub = SubscriptionFactory(user=alice)
    e = entries(sub.feed, 4)
    services.mark_all_read(user=alice, subscription_id=sub.pk)
    services.entries_set_read(user=alice, entry_ids=[e[0].pk], read=False)
    services.entries_set_starred(user=alice, entry_ids=[e[1].pk], starred=True)
    services.entries_set_read(user=alice, entry_ids=[e[1].pk], read=False)
    assert unread(alice, sub) == 2
    services.mark_all_read(user=alice, subscription_id=sub.pk)
    assert unread(alice, sub) == 0
    state = EntryState.objects.get()
    assert (state.entry_id, state.starred, state.read) == (e[1].pk, True, None)


def test_mark_all_read_costs_the_same_queries_for_5_or_500_entries(alice):
    counts = []
    for n in (5, 500):
        sub = SubscriptionFactory(user=alice)
        EntryFactory.create_batch(n, feed=sub.feed)
        with CaptureQueriesContext(connection) as queries:
            services.mark_all_read(user=alice, subscription_id=sub.pk)
        counts.append(len(queries))
        assert unread(alice, sub) == 0
    assert counts[0] == counts[1]


def test_batches_are_capped_at_1000_ids_and_junk_ids_are_skipped(alice):
    sub = SubscriptionFactory(user=alice)
    (entry,) = entries(sub.feed, 1)
    with pytest.raises(InvalidInput):
        services.entries_set_read(user=alice, entry_ids=range(1, 1002), read=True)
    applied = services.entries_set_read(
        user=alice, entry_ids=[entry.pk, "x", None, -3, 2**70, entry.pk + 10_000], read=True
    )
    assert applied == [entry.pk]


def test_a_thousand_ids_are_marked_in_a_constant_number_of_queries(alice):
    sub = SubscriptionFactory(user=alice)
    ids = [e.pk for e in EntryFactory.create_batch(1000, feed=sub.feed)]
    with CaptureQueriesContext(connection) as queries:
        assert len(services.entries_set_read(user=alice, entry_ids=ids, read=True)) == 1000
    # SQLite splits the upsert into batches (its limit on query parameters).
    assert len(queries) <= (6 if connection.vendor == "postgresql" else 12)
    assert unread(alice, sub) == 0
