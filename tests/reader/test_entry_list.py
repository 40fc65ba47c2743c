"""Entry lists: order, filters, cursor pagination stable while entries arrive, query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reader import selectors, services
from reader.errors import InvalidInput
from tests.reader.factories import CategoryFactory, EntryFactory, SubscriptionFactory, entries

pytestmark = pytest.mark.django_db


def walk(user, filters, limit, between_pages=None) -> list[int]:
    """Every id of a listing, page by page; ``between_pages()`` runs before each next page."""
    seen, cursor = [], None
    while True:
        page = selectors.entry_list(user=user, filters=filters, cursor=cursor, limit=limit)
        seen += [e.pk for e in page.entries]
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor
        if between_pages:
            between_pages()


@pytest.mark.parametrize("status", ["all", "unread"])
def test_lists_are_sorted_by_published_then_id_both_ways(alice, status):
    sub = SubscriptionFactory(user=alice)
    now = timezone.now()
    same = now - timedelta(hours=1)
    e = [EntryFactory(feed=sub.feed, published_at=t) for t in (same, now, same, now - timedelta(2))]
    newest = walk(alice, {"status": status}, 2)
    assert newest == [e[1].pk, e[2].pk, e[0].pk, e[3].pk]
    oldest = walk(alice, {"status": status, "sort": "oldest"}, 3)
    assert oldest == list(reversed(newest))


@pytest.mark.parametrize("status", ["all", "unread", "read", "starred"])
def test_pagination_has_no_gaps_or_repeats_while_entries_arrive(alice, status):
    a = SubscriptionFactory(user=alice)
    b = SubscriptionFactory(user=alice)
    now = timezone.now()
    start = now - timedelta(days=1)
    existing = entries(a.feed, 15, start=start, step_minutes=7) + entries(
        b.feed, 15, start=start, step_minutes=5
    )
    ids = [x.pk for x in existing]
    if status == "read":
        services.entries_set_read(user=alice, entry_ids=ids, read=True)
    if status == "starred":
        services.entries_set_starred(user=alice, entry_ids=ids, starred=True)
    arrived = []

    def arrive():  # a fresh entry and a backdated one arrive between pages
        arrived.append(EntryFactory(feed=a.feed, published_at=timezone.now()))
        arrived.append(EntryFactory(feed=b.feed, published_at=start - timedelta(days=3)))
        if status == "read":
            services.entries_set_read(user=alice, entry_ids=[x.pk for x in arrived], read=True)
        if status == "starred":
            services.entries_set_starred(
                user=alice, entry_ids=[x.pk for x in arrived], starred=True
            )

    seen = walk(alice, {"status": status}, 4, between_pages=arrive)
    assert len(seen) == len(set(seen)), "an entry was shown twice"
    assert set(ids) <= set(seen), "an entry was skipped"
    expected = sorted([*existing, *arrived], key=lambda x: (x.published_at, x.pk), reverse=True)
    # What was seen is in order; new entries only show up beyond the cursor.
    order = {x.pk: i for i, x in enumerate(expected)}
    assert seen == sorted(seen, key=order.__getitem__)


def test_reading_entries_while_paging_the_unread_list_skips_nothing(alice):
    sub = SubscriptionFactory(user=alice)
    ids = [x.pk for x in entries(sub.feed, 12)]
    seen, cursor = [], None
    while True:
        page = selectors.entry_list(
            user=alice, filters={"status": "unread"}, cursor=cursor, limit=5
        )
        seen += [x.pk for x in page.entries]
        services.entries_set_read(user=alice, entry_ids=[x.pk for x in page.entries], read=True)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert sorted(seen) == sorted(ids)


def test_filters_by_subscription_category_uncategorized_and_dates(alice):
    tech = CategoryFactory(user=alice)
    a = SubscriptionFactory(user=alice, category=tech)
    b = SubscriptionFactory(user=alice)
    now = timezone.now()
    ea = [EntryFactory(feed=a.feed, published_at=now - timedelta(days=d)) for d in (1, 5)]
    eb = [EntryFactory(feed=b.feed, published_at=now - timedelta(days=d)) for d in (2, 6)]

    def ids(**filters):
        return [x.pk for x in selectors.entry_list(user=alice, filters=filters).entries]

    assert ids(subscription_id=a.pk) == [ea[0].pk, ea[1].pk]
    assert ids(category_id=tech.pk) == [ea[0].pk, ea[1].pk]
    assert ids(category_id=0) == [eb[0].pk, eb[1].pk]
    assert ids(published_after=now - timedelta(days=3)) == [ea[0].pk, eb[0].pk]
    assert ids(published_before=now - timedelta(days=3)) == [ea[1].pk, eb[1].pk]
    assert ids(status="unread", subscription_id=b.pk, published_before=now - timedelta(days=3)) == [
        eb[1].pk
    ]
    page = selectors.entry_list(user=alice, filters={"subscription_id": a.pk})
    assert page.entries[0].subscription_title == a.feed.title
    assert page.entries[0].category_id == tech.pk


@pytest.mark.parametrize("status", ["all", "unread", "read", "starred"])
def test_a_page_costs_the_same_queries_whatever_its_size(alice, status):
    subs = SubscriptionFactory.create_batch(3, user=alice)
    all_ids = [x.pk for s in subs for x in entries(s.feed, 40)]
    if status == "read":
        services.entries_set_read(user=alice, entry_ids=all_ids, read=True)
    if status == "starred":
        services.entries_set_starred(user=alice, entry_ids=all_ids, starred=True)
    counts = []
    for limit in (5, 100):
        with CaptureQueriesContext(connection) as queries:
            page = selectors.entry_list(user=alice, filters={"status": status}, limit=limit)
            for entry in page.entries:  # attributes used by lists need no more queries
                assert entry.feed.title and entry.subscription_title is not None
        assert len(page.entries) == limit
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 3


def test_bad_cursor_limit_or_status_is_invalid_input(alice):
    with pytest.raises(InvalidInput):
        selectors.entry_list(user=alice, cursor="not-a-cursor")
    with pytest.raises(InvalidInput):
        selectors.entry_list(user=alice, limit=0)
    with pytest.raises(InvalidInput):
        selectors.entry_list(user=alice, filters={"status": "everything"})
