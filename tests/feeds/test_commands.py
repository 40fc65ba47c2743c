"""Management commands: add_feed, feed_status (--json), refresh_feeds (due, --url, --all --now)."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from feeds.models import Feed
from tests.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db

RSS = {"Content-Type": "application/rss+xml"}


def _rss(title: str, items: int) -> bytes:
    entries = "".join(
        f"<item><title>{title} {i}</title><link>https://feeds.example.org/{title}/{i}</link>"
        f"<guid>{title}-{i}</guid><pubDate>Mon, 02 Mar 2026 {i:02d}:00:00 +0000</pubDate></item>"
        for i in range(items)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>https://feeds.example.org/</link><description>d</description>{entries}"
        "</channel></rss>"
    ).encode()


def _call(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_add_feed_creates_fetches_and_prints_id_title_and_entry_count(feed_server):
    feed_server.add_route("/add.xml", body=_rss("Added", 3), headers=RSS)

    out, _ = _call("add_feed", feed_server.url("/add.xml"))

    feed = Feed.objects.get()
    assert f"id: {feed.pk}" in out
    assert "title: Added" in out
    assert "entries: 3" in out


def test_add_feed_twice_finds_the_same_feed(feed_server):
    feed_server.add_route("/twice.xml", body=_rss("Twice", 2), headers=RSS)
    first, _ = _call("add_feed", feed_server.url("/twice.xml"))
    second, _ = _call("add_feed", feed_server.url("/twice.xml"))
    assert "(new)" in first and "(new)" not in second
    assert Feed.objects.count() == 1


def test_add_feed_prints_the_error_and_fails(feed_server):
    feed_server.add_route("/missing.xml", status=404, body="no")
    out = StringIO()
    with pytest.raises(CommandError, match="404"):
        call_command("add_feed", feed_server.url("/missing.xml"), stdout=out)
    assert "id: " in out.getvalue()


def test_add_feed_refuses_a_private_address():
    with pytest.raises(CommandError):
        call_command("add_feed", "http://10.0.0.1/feed.xml", stdout=StringIO())
    assert not Feed.objects.exists()


def test_feed_status_json_has_the_fetch_state_and_the_entries(feed_server):
    feed_server.add_route("/st.xml", body=_rss("Status", 2), headers=RSS, etag='"s1"')
    _call("add_feed", feed_server.url("/st.xml"))

    out, _ = _call("feed_status", feed_server.url("/st.xml"), "--json")

    status = json.loads(out)
    feed = Feed.objects.get()
    assert status["id"] == feed.pk and status["url"] == feed.url
    assert status["title"] == "Status" and status["entry_count"] == 2
    assert status["last_status"] == 200 and status["last_error"] == ""
    assert status["last_fetched_at"] and status["next_fetch_at"]
    assert status["etag"] == '"s1"'
    assert status["entries"] == [
        {
            "guid": "Status-1",
            "url": "https://feeds.example.org/Status/1",
            "title": "Status 1",
            "published": "2026-03-02T01:00:00+00:00",
        },
        {
            "guid": "Status-0",
            "url": "https://feeds.example.org/Status/0",
            "title": "Status 0",
            "published": "2026-03-02T00:00:00+00:00",
        },
    ]


def test_feed_status_text_shows_the_last_error(feed_server):
    feed_server.add_route("/err.xml", status=500, body="oops")
    with pytest.raises(CommandError):
        _call("add_feed", feed_server.url("/err.xml"))
    out, _ = _call("feed_status", feed_server.url("/err.xml"))
    assert "last_status: 500" in out and "error_count: 1" in out


def test_feed_status_of_an_unknown_feed_is_an_error():
    with pytest.raises(CommandError, match="No feed"):
        call_command("feed_status", "https://nowhere.example.org/feed", stdout=StringIO())


def _subscribed(alice, feed_server, path: str, *, due: bool) -> Feed:
    feed = Feed.objects.create(
        url=feed_server.url(path),
        next_fetch_at=timezone.now() + timedelta(minutes=-1 if due else 30),
    )
    SubscriptionFactory(user=alice, feed=feed)
    return feed


def test_refresh_feeds_refreshes_due_subscribed_feeds_only(feed_server, alice):
    for name in ("due", "later", "orphan"):
        feed_server.add_route(f"/{name}.xml", body=_rss(name, 2), headers=RSS)
    due = _subscribed(alice, feed_server, "/due.xml", due=True)
    later = _subscribed(alice, feed_server, "/later.xml", due=False)
    orphan = Feed.objects.create(url=feed_server.url("/orphan.xml"))

    out, err = _call("refresh_feeds", "--jobs", "1")

    assert "1 feeds: 1 ok" in out
    assert "1/1" in err  # the progress bar
    assert due.entries.count() == 2
    assert later.entries.count() == 0 and orphan.entries.count() == 0


@pytest.mark.django_db(transaction=True)  # --jobs 2: the threads must see committed rows
def test_refresh_feeds_all_now_ignores_the_schedule(feed_server, alice):
    for name in ("a", "b"):
        feed_server.add_route(f"/{name}.xml", body=_rss(name, 1), headers=RSS)
    feeds = [_subscribed(alice, feed_server, f"/{n}.xml", due=False) for n in ("a", "b")]

    out, _ = _call("refresh_feeds", "--all", "--now", "--jobs", "2")

    assert "2 feeds: 2 ok" in out
    assert all(f.entries.count() == 1 for f in feeds)


def test_refresh_feeds_url_refreshes_one_feed_now(feed_server, alice):
    feed_server.add_route("/one.xml", body=_rss("one", 4), headers=RSS)
    feed_server.add_route("/other.xml", body=_rss("other", 1), headers=RSS)
    one = _subscribed(alice, feed_server, "/one.xml", due=False)
    other = _subscribed(alice, feed_server, "/other.xml", due=True)

    out, _ = _call("refresh_feeds", "--url", feed_server.url("/one.xml"))

    assert "4 new entries" in out
    assert one.entries.count() == 4 and other.entries.count() == 0


def test_refresh_feeds_url_reports_a_failure(feed_server, alice):
    feed_server.add_route("/bad.xml", status=500, body="x")
    _subscribed(alice, feed_server, "/bad.xml", due=True)
    with pytest.raises(CommandError, match="500"):
        _call("refresh_feeds", "--url", feed_server.url("/bad.xml"))
