"""Two-fetch cases of ../shared/cases end to end over HTTP: P01, P03, P04, P07, P19.

Each case is served by the loopback server exactly as its CASE.md says and goes
through ``feed_refresh`` (fetch, parse, identity, sanitize, store, schedule).
"Read" is a user's ``EntryState(read=True)`` row: it must stay on the same
entry row across refreshes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from feeds import scheduling
from feeds.models import Entry, Feed
from feeds.services import feed_get_or_create, feed_refresh
from reader.models import EntryState
from tests.conftest import shared_path
from tests.factories import EntryStateFactory, SubscriptionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.shared]

RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
ATOM = {"Content-Type": "application/atom+xml"}


@pytest.fixture(autouse=True)
def _no_host_block_leaks():
    yield
    scheduling.host_unblock("http://feeds.example.org/")


def _two_fetches(feed_server, case: str, path: str, headers: dict) -> Feed:
    folder = shared_path("cases", case)
    feed_server.add_route(
        path,
        sequence=[
            {"status": 200, "headers": headers, "body_file": str(folder / "fetch1.xml")},
            {"status": 200, "headers": headers, "body_file": str(folder / "fetch2.xml")},
        ],
    )
    feed, _ = feed_get_or_create(url=feed_server.url(path))
    return feed


def _refresh(feed: Feed):
    result = feed_refresh(feed_id=feed.pk, force=True)
    assert result.ok, result
    return result


def _read(user, entry: Entry) -> None:
    EntryStateFactory(user=user, entry=entry, read=True)


def test_items_without_guid_do_not_duplicate_and_stay_read(feed_server, alice):
    """Case P01: no GUID link identity."""
    feed = _two_fetches(feed_server, "P01-no-guid-link-identity", "/garden/rss.xml", RSS)
    SubscriptionFactory(user=alice, feed=feed)

    _refresh(feed)
    assert feed.entries.count() == 3
    compost = feed.entries.get(title="Compost temperature log")
    _read(alice, compost)
    second = _refresh(feed)

    assert feed.entries.count() == 3 and second.new == 0
    assert feed.entries.get(title="Compost temperature log").pk == compost.pk
    assert EntryState.objects.get(user=alice, entry=compost).read is True
    assert compost.url == "https://garden.example.org/notes/compost-log"


def test_a_rewritten_guid_with_the_same_link_updates_the_entry(feed_server, alice):
    """Case P03: GUID changes link stable."""
    feed = _two_fetches(feed_server, "P03-guid-changes-link-stable", "/gazette.xml", RSS)

    _refresh(feed)
    ferry = feed.entries.get(url="https://news.example.org/a/40417")
    _read(alice, ferry)
    _refresh(feed)

    assert feed.entries.count() == 2
    ferry_after = feed.entries.get(url="https://news.example.org/a/40417")
    assert ferry_after.pk == ferry.pk
    assert ferry_after.title == "Council approves new ferry timetable"
    assert EntryState.objects.get(user=alice, entry=ferry).read is True


def test_links_differing_only_by_tracking_parameters_are_one_entry(feed_server):
    """Case P04: tracking params."""
    feed = _two_fetches(feed_server, "P04-tracking-params", "/p04.xml", RSS)

    _refresh(feed)
    _refresh(feed)

    assert feed.entries.count() == 3
    assert sorted(feed.entries.values_list("url", flat=True)) == [
        "https://blog.example.org/archive?page=2",
        "https://blog.example.org/archive?page=3",
        "https://blog.example.org/post/7",
    ]


def test_an_updated_bump_does_not_resurface_an_old_entry(feed_server, alice):
    """Case P07: published vs updated."""
    feed = _two_fetches(feed_server, "P07-published-vs-updated", "/p07.xml", ATOM)

    _refresh(feed)
    entries = list(feed.entries.order_by("-published_at"))
    for entry in entries:
        _read(alice, entry)
    _refresh(feed)

    after = list(feed.entries.order_by("-published_at"))
    assert [e.title for e in after] == ["Fresh write-up", "Old analysis, lightly re-tagged"]
    assert [e.pk for e in after] == [e.pk for e in entries]
    old = after[1]
    assert old.published_at == datetime(2015, 8, 8, 18, 45, tzinfo=UTC)
    assert EntryState.objects.filter(user=alice, read=True).count() == 2


T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_retry_after_is_honoured_for_the_whole_host(feed_server, alice):
    """Case P19: rate limit retry after."""
    shared_path("cases", "P19-rate-limit-retry-after")
    feed_server.load_case("P19-rate-limit-retry-after")
    with time_machine.travel(T0, tick=False) as clock:
        busy, _ = feed_get_or_create(url=feed_server.url("/busy.xml"))
        busy2, _ = feed_get_or_create(url=feed_server.url("/busy-2.xml"))
        for feed in (busy, busy2):
            SubscriptionFactory(user=alice, feed=feed)
        Feed.objects.filter(pk=busy2.pk).update(next_fetch_at=T0 + timedelta(minutes=20))
        assert feed_refresh(feed_id=busy.pk).outcome == "ok"
        entries = list(busy.entries.values_list("pk", "title"))
        # The case: a refresh interval of 15 minutes, the second refresh at T0+15 min.
        Feed.objects.filter(pk=busy.pk).update(
            fetch_interval=900, next_fetch_at=T0 + timedelta(minutes=15)
        )
        clock.move_to(T0 + timedelta(minutes=15))

        second = feed_refresh(feed_id=busy.pk)

        resume = datetime(2026, 3, 1, 13, 15, tzinfo=UTC)
        busy.refresh_from_db()
        assert second.outcome == "rate_limited" and second.status == 429
        assert busy.next_fetch_at == resume
        assert "13:15" in busy.last_error and busy.last_error_kind == "rate_limited"
        assert list(busy.entries.values_list("pk", "title")) == entries

        # Before 13:15 nothing of that host is fetched: not by the scheduler, not when forced.
        clock.move_to(datetime(2026, 3, 1, 13, 14, 59, tzinfo=UTC))
        assert scheduling.feeds_claim_due(limit=10) == []
        assert feed_refresh(feed_id=busy.pk, force=True).outcome == "rate_limited"
        assert feed_refresh(feed_id=busy2.pk, force=True).outcome == "rate_limited"
        assert feed_server.hits("/busy.xml") == 2
        assert feed_server.hits("/busy-2.xml") == 0

        clock.move_to(datetime(2026, 3, 1, 13, 15, 1, tzinfo=UTC))
        assert sorted(scheduling.feeds_claim_due(limit=10)) == sorted([busy.pk, busy2.pk])


def test_a_429_without_retry_after_backs_off_exponentially(feed_server):
    """Case P19: rate limit retry after."""
    feed_server.add_route("/busy-3.xml", status=429, body="slow down")
    feed, _ = feed_get_or_create(url=feed_server.url("/busy-3.xml"))
    Feed.objects.filter(pk=feed.pk).update(fetch_interval=900)
    delays = []
    for _ in range(3):
        scheduling.host_unblock(feed.url)
        with time_machine.travel(T0, tick=False):
            delays.append((feed_refresh(feed_id=feed.pk, force=True).next_fetch_at - T0).seconds)
    assert delays[1] >= 2 * delays[0] and delays[2] >= 2 * delays[1]
