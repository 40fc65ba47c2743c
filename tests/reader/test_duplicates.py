"""Duplicates across feeds (issue 11): the same article through two subscriptions, served by the
loopback server and stored by feed_refresh, is shown once (opt-in) with both sources."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reader import duplicates, selectors, services
from tests.reader.syndication import Item, entry, refresh, serve, subscribe

pytestmark = pytest.mark.django_db

STORY = "https://news.example.org/2026/story?id=7"


@pytest.fixture
def two_feeds(feed_server, alice):
    """Alice follows Daily and Weekly, which both carry the story (same link but for tracking
    parameters) and a second article with the same title but another link; each has its own too."""
    daily = serve(
        feed_server,
        "/daily.xml",
        "Daily",
        [
            Item("The story", STORY + "&utm_source=daily", "d-story", hours_ago=2),
            Item("Same title", "https://daily.example.org/same", "d-same", hours_ago=5),
            Item("Old title", "https://daily.example.org/old", "d-old", hours_ago=100),
            Item("Daily only", "https://daily.example.org/only", "d-only", hours_ago=1),
        ],
    )
    weekly = serve(
        feed_server,
        "/weekly.xml",
        "Weekly",
        [
            Item("The story (weekly)", STORY + "&utm_medium=rss", "w-story", hours_ago=3),
            Item("Same title", "https://weekly.example.org/same", "w-same", hours_ago=30),
            Item("Old title", "https://weekly.example.org/old", "w-old", hours_ago=1),
            Item("Weekly only", "https://weekly.example.org/only", "w-only", hours_ago=4),
        ],
    )
    subs = subscribe(alice, daily), subscribe(alice, weekly)
    for sub in subs:
        refresh(sub)
    return subs


def _titles(page) -> list[str]:
    return [e.title for e in page.entries]


def _merge(user) -> None:
    user.merge_duplicates = True
    user.save(update_fields=["merge_duplicates"])


def test_without_the_preference_both_copies_are_listed(alice, two_feeds):
    page = selectors.entry_list(user=alice, filters={"status": "unread"})
    assert len(page.entries) == 8
    assert all(e.duplicates == [] for e in page.entries)
    assert selectors.unread_counts(user=alice)["total"] == 8


def test_the_same_link_and_the_same_title_within_48_hours_are_shown_once(alice, two_feeds):
    daily, weekly = two_feeds
    _merge(alice)
    page = selectors.entry_list(user=alice, filters={"status": "all"})
    titles = _titles(page)
    # The newest copy stands for the article; "Old title" copies are 99 h apart: both stay.
    assert titles.count("The story") == 1 and "The story (weekly)" not in titles
    assert titles.count("Same title") == 1
    assert titles.count("Old title") == 2
    assert len(titles) == 6
    story = next(e for e in page.entries if e.title == "The story")
    assert [(s.entry_id, s.subscription_id, s.subscription_title) for s in story.duplicates] == [
        (entry(weekly, "w-story").pk, weekly.pk, "Weekly")
    ]
    same = next(e for e in page.entries if e.title == "Same title")
    assert same.pk == entry(daily, "d-same").pk
    assert [s.entry_id for s in same.duplicates] == [entry(weekly, "w-same").pk]


def test_the_unread_total_counts_a_merged_article_once_and_feeds_keep_their_own(alice, two_feeds):
    daily, weekly = two_feeds
    _merge(alice)
    counts = selectors.unread_counts(user=alice)
    page = selectors.entry_list(user=alice, filters={"status": "unread"})
    assert counts["total"] == len(page.entries) == 6
    assert counts["subscriptions"] == {daily.pk: 4, weekly.pk: 4}
    # A single feed's list is not merged.
    assert (
        len(selectors.entry_list(user=alice, filters={"subscription_id": weekly.pk}).entries) == 4
    )


def test_reading_one_copy_marks_both_read(alice, two_feeds):
    daily, weekly = two_feeds
    _merge(alice)
    applied = services.entries_set_read(
        user=alice, entry_ids=[entry(daily, "d-story").pk], read=True
    )
    assert sorted(applied) == sorted([entry(daily, "d-story").pk, entry(weekly, "w-story").pk])
    counts = selectors.unread_counts(user=alice)
    assert counts["subscriptions"] == {daily.pk: 3, weekly.pk: 3}
    assert counts["total"] == 5
    unread = _titles(selectors.entry_list(user=alice, filters={"status": "unread"}))
    assert "The story" not in unread and "The story (weekly)" not in unread
    services.entries_set_read(user=alice, entry_ids=[entry(weekly, "w-story").pk], read=False)
    assert selectors.unread_counts(user=alice)["subscriptions"] == {daily.pk: 4, weekly.pk: 4}


def test_when_the_newest_copy_is_read_elsewhere_the_unread_copy_is_listed(alice, two_feeds):
    daily, _weekly = two_feeds
    _merge(alice)
    # Read through a user without merging (e.g. another client's old state): only Daily's.
    alice.merge_duplicates = False
    services.entries_set_read(user=alice, entry_ids=[entry(daily, "d-story").pk], read=True)
    alice.merge_duplicates = True
    unread = selectors.entry_list(user=alice, filters={"status": "unread"}).entries
    assert [e.title for e in unread].count("The story (weekly)") == 1
    assert selectors.unread_counts(user=alice)["total"] == len(unread)


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_pages_never_show_an_article_twice(alice, two_feeds, sort):
    _merge(alice)
    seen, cursor = [], None
    while True:
        page = selectors.entry_list(
            user=alice, filters={"status": "all", "sort": sort}, cursor=cursor, limit=1
        )
        seen += [e.title for e in page.entries]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sorted(seen) == sorted(
        _titles(selectors.entry_list(user=alice, filters={"status": "all", "sort": sort}))
    )
    assert len(seen) == 6
    story_titles = [t for t in seen if t.startswith("The story")]
    assert len(story_titles) == 1


def test_merging_adds_one_query_whatever_the_page_size(alice, two_feeds):
    def queries(limit: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            selectors.entry_list(user=alice, filters={"status": "all"}, limit=limit)
        return len(ctx.captured_queries)

    plain = queries(2), queries(50)
    _merge(alice)
    merged = queries(2), queries(50)
    assert plain[0] == plain[1]
    assert merged == (plain[0] + 1, plain[1] + 1)


def test_bob_is_not_merged_with_alices_feeds(alice, bob, two_feeds, feed_server):
    daily, _weekly = two_feeds
    # Bob follows Daily only: the copy in Weekly (a feed he does not read) is never a source.
    subscribe(bob, daily.feed.url)
    _merge(bob)
    page = selectors.entry_list(user=bob, filters={"status": "all"})
    assert len(page.entries) == 4
    assert all(e.duplicates == [] for e in page.entries)
    assert duplicates.with_duplicates(user=bob, entry_ids=[entry(daily, "d-story").pk]) == [
        entry(daily, "d-story").pk
    ]


def test_the_sql_count_and_the_python_count_agree(alice, two_feeds):
    from reader.duplicates import _count_shadowed

    _merge(alice)
    rows = [
        (e.pk, e.feed_id, e.normalized_url, e.title, e.published_at)
        for e in selectors.entry_list(user=alice, filters={"status": "unread"}, limit=500).entries
    ]
    alice.merge_duplicates = False
    everything = [
        (e.pk, e.feed_id, e.normalized_url, e.title, e.published_at)
        for e in selectors.entry_list(user=alice, filters={"status": "unread"}, limit=500).entries
    ]
    alice.merge_duplicates = True
    assert _count_shadowed(everything) == duplicates.unread_duplicates(user=alice) == 2
    assert len(everything) - len(rows) == 2
