"""Duplicates within a feed (issue 11): a publisher that changes guids between two fetches, the
7-day link+title rule, and the per-feed identity policy (guid, link, title+link) the admin sets.
Every case fetches the same feed twice from the loopback server."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

import pytest
import time_machine
from django.utils import timezone

from feeds.models import Feed
from feeds.services import feed_get_or_create, feed_refresh
from reader import selectors, services
from tests.conftest import shared_path
from tests.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db

RSS = {"Content-Type": "application/rss+xml"}
HOME = "https://feeds.example.org/"


def _doc(items: list[tuple[str, str, str]], *, date) -> str:
    """RSS with (guid, link, title) items, all published at ``date``."""
    when = format_datetime(date)
    body = "".join(
        f"<item><guid>{guid}</guid><link>{link}</link><title>{title}</title>"
        f"<description>About {title}</description><pubDate>{when}</pubDate></item>"
        for guid, link, title in items
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Shifty</title>'
        f"<link>{HOME}</link><description>d</description>{body}</channel></rss>"
    )


def _serve(feed_server, path: str, *docs: str) -> Feed:
    feed_server.add_route(
        path, sequence=[{"status": 200, "headers": RSS, "body": doc} for doc in docs]
    )
    return feed_get_or_create(url=feed_server.url(path))[0]


def _refresh(feed: Feed):
    result = feed_refresh(feed_id=feed.pk, force=True)
    assert result.outcome == "ok", result.error
    return result


def test_new_guids_with_the_same_shared_link_and_title_update_the_entries(feed_server, alice):
    now = timezone.now()
    # Both items link to the home page (the link is not unique, so only link+title can match).
    first = _doc([("a-1", HOME, "Alpha"), ("b-1", HOME, "Beta")], date=now)
    second = _doc([("a-2", HOME, "Alpha"), ("b-2", HOME, "Beta")], date=now)
    feed = _serve(feed_server, "/shifty.xml", first, second)
    _refresh(feed)
    alpha = feed.entries.get(title="Alpha")
    SubscriptionFactory(user=alice, feed=feed)
    services.entries_set_read(user=alice, entry_ids=[alpha.pk], read=True)
    result = _refresh(feed)
    assert (result.new, result.updated) == (0, 2)
    assert feed.entries.count() == 2
    alpha.refresh_from_db()
    assert alpha.guid == "a-2"  # same row, updated in place
    assert selectors.entry_get(user=alice, entry_id=alpha.pk).is_read  # still read


def test_an_entry_older_than_seven_days_is_not_matched_by_link_and_title(feed_server):
    then = timezone.now() - timedelta(days=8)
    first = _doc([("a-1", HOME, "Weekly"), ("b-1", HOME, "Other")], date=then)
    second = _doc([("a-2", HOME, "Weekly"), ("b-2", HOME, "Other")], date=timezone.now())
    feed = _serve(feed_server, "/weekly.xml", first, second)
    _refresh(feed)
    assert _refresh(feed).new == 2
    assert feed.entries.count() == 4


def test_the_seven_days_count_from_publication_at_the_second_fetch(feed_server):
    published = timezone.now()
    first = _doc([("a-1", HOME, "Alpha"), ("b-1", HOME, "Beta")], date=published)
    second = _doc([("a-2", HOME, "Alpha"), ("b-2", HOME, "Beta")], date=published)
    feed = _serve(feed_server, "/later.xml", first, second)
    _refresh(feed)
    with time_machine.travel(published + timedelta(days=6), tick=True):
        assert _refresh(feed).new == 0
    assert feed.entries.count() == 2


def test_a_changed_title_with_a_new_guid_and_a_shared_link_is_a_new_entry(feed_server):
    now = timezone.now()
    first = _doc([("a-1", HOME, "Alpha"), ("b-1", HOME, "Beta")], date=now)
    second = _doc([("a-2", HOME, "Alpha, again"), ("b-1", HOME, "Beta")], date=now)
    feed = _serve(feed_server, "/edited.xml", first, second)
    _refresh(feed)
    assert _refresh(feed).new == 1


def test_a_guid_rewritten_after_a_headline_edit_is_still_an_update(feed_server):
    """Case P03: GUID changes link stable."""
    if not shared_path("cases").is_dir():
        pytest.skip("../shared/cases is absent")
    feed_server.load_case("P03-guid-changes-link-stable")
    feed = feed_get_or_create(url=feed_server.url("/gazette.xml"))[0]
    _refresh(feed)
    _refresh(feed)
    assert feed.entries.count() == 2
    assert feed.entries.filter(title="Council approves new ferry timetable").exists()


def test_the_guid_policy_keeps_a_daily_digest_with_the_same_link_and_title_apart(feed_server):
    now = timezone.now()
    day1 = _doc([("digest-1", HOME, "Daily digest")], date=now)
    day2 = _doc([("digest-2", HOME, "Daily digest")], date=now)
    auto_feed = _serve(feed_server, "/digest-auto.xml", day1, day2)
    _refresh(auto_feed)
    _refresh(auto_feed)
    assert auto_feed.entries.count() == 1  # auto: same unique link -> an update
    guid_feed = _serve(feed_server, "/digest-guid.xml", day1, day2)
    Feed.objects.filter(pk=guid_feed.pk).update(identity_policy="guid")
    _refresh(guid_feed)
    assert _refresh(guid_feed).new == 1
    assert guid_feed.entries.count() == 2


def test_the_title_and_link_policy_survives_random_guids_on_every_fetch(feed_server):
    then = timezone.now() - timedelta(days=30)  # beyond the 7-day window of "auto"
    items = [("Alpha", HOME), ("Beta", HOME), ("Gamma", HOME)]
    docs = [
        _doc([(f"r{fetch}-{i}", link, title) for i, (title, link) in enumerate(items)], date=then)
        for fetch in range(3)
    ]
    feed = _serve(feed_server, "/random-guids.xml", *docs)
    Feed.objects.filter(pk=feed.pk).update(identity_policy="title_link")
    for _ in range(3):
        _refresh(feed)
    assert feed.entries.count() == 3


def test_the_link_policy_identifies_entries_by_link(feed_server):
    now = timezone.now()
    first = _doc([("x-1", f"{HOME}a?utm_source=rss", "A"), ("y-1", f"{HOME}b", "B")], date=now)
    second = _doc([("x-2", f"{HOME}a?utm_source=mail", "A!"), ("y-2", f"{HOME}b", "B!")], date=now)
    feed = _serve(feed_server, "/links.xml", first, second)
    Feed.objects.filter(pk=feed.pk).update(identity_policy="link")
    _refresh(feed)
    result = _refresh(feed)
    assert (result.new, result.updated) == (0, 2)
    assert sorted(feed.entries.values_list("title", flat=True)) == ["A!", "B!"]
