"""The pipeline's speed-ups change nothing that is stored or returned (issue 3, "Performance")."""

from __future__ import annotations

import dataclasses
import io

import feedparser
import feedparser.api
import feedparser.parsers.strict
import pytest

from feeds.pipeline.parse import parse_feed, saxdriver
from tests.conftest import requires_postgres, shared_path
from tests.factories import SubscriptionFactory


def _feedparser(data: bytes, *, buffered: bool):
    def parse():
        return feedparser.parse(
            io.BytesIO(data),
            sanitize_html=False,
            resolve_relative_uris=False,
            response_headers={"content-type": "application/xml; charset=utf-8"},
        )

    if not buffered:
        return parse()
    with saxdriver.buffered():
        return parse()


def test_buffered_expat_gives_feedparser_the_same_result_on_every_corpus_feed():
    folder = shared_path("corpus", "feeds")
    files = sorted(p for p in folder.iterdir() if p.suffix in (".xml", ".rss", ".atom", ".rdf"))
    assert files
    for path in files:
        data = path.read_bytes()
        stock, buffered = _feedparser(data, buffered=False), _feedparser(data, buffered=True)
        assert buffered.entries == stock.entries, path.name
        assert buffered.feed == stock.feed, path.name
        assert buffered.get("version") == stock.get("version"), path.name
        assert bool(buffered.get("bozo")) == bool(stock.get("bozo")), path.name
        assert str(buffered.get("bozo_exception")) == str(stock.get("bozo_exception")), path.name


def test_text_split_by_references_and_lines_reaches_feedparser_in_one_piece_when_buffered():
    body = "&lt;p&gt;" + "x &amp; y\n" * 500 + "&lt;/p&gt;"
    data = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<item><guid>g</guid><description>{body}</description></item></channel></rss>"
    ).encode()
    calls = {"n": 0}
    original = feedparser.parsers.strict._StrictFeedParser.characters

    def counting(self, text):
        calls["n"] += 1
        return original(self, text)

    feedparser.parsers.strict._StrictFeedParser.characters = counting
    try:
        stock = _feedparser(data, buffered=False)
        stock_calls, calls["n"] = calls["n"], 0
        buffered = _feedparser(data, buffered=True)
    finally:
        feedparser.parsers.strict._StrictFeedParser.characters = original
    assert buffered.entries == stock.entries
    assert buffered.entries[0].summary.startswith("<p>x & y")
    assert calls["n"] < 10 < stock_calls


def test_feedparser_outside_parse_feed_keeps_stock_expat_behaviour():
    assert saxdriver._BUFFER_TEXT.get() is False
    parser = saxdriver.create_parser()
    parser._source = type("S", (), {"getEncoding": lambda self: None})()
    parser.reset()
    assert parser._parser.buffer_text is False


@pytest.mark.parametrize("name", ["rss2-theguardian-world-malformed.xml", "atom-qemu-project.xml"])
def test_parse_feed_result_is_the_same_with_and_without_buffered_text(name, monkeypatch):
    data = shared_path("corpus", "feeds", name).read_bytes()
    fast = parse_feed(data, url="https://example.com/feed")
    # Without our driver in feedparser's list, xml.sax falls back to the stock expat reader.
    monkeypatch.setattr(feedparser.api, "PREFERRED_XML_PARSERS", ["drv_libxml2"])
    slow = parse_feed(data, url="https://example.com/feed")
    assert dataclasses.asdict(fast) == dataclasses.asdict(slow)


@pytest.mark.django_db
def test_the_store_insert_returns_the_new_ids_and_keeps_json_fields_as_json():
    import datetime as dt

    from django.db import connection

    from feeds.models import Entry, Feed
    from feeds.pipeline.parse import ParsedEntry, ParsedFeed
    from feeds.pipeline.store import store_parsed

    now = dt.datetime(2026, 3, 5, 12, 0, tzinfo=dt.UTC)
    feed = Feed.objects.create(url="https://example.com/speed.xml")
    entries = [
        ParsedEntry(
            guid=f"g{i}",
            title=f"T{i} «é»",
            content_html="<p>x</p>",
            enclosures=[{"url": f"https://example.com/{i}.mp3", "type": "audio/mpeg", "length": 5}],
            categories=["a", "ü"],
        )
        for i in range(3)
    ]
    first = store_parsed(feed=feed, parsed=ParsedFeed(entries=entries[:2]), now=now)
    assert sorted(first.new_ids) == sorted(
        Entry.objects.filter(feed=feed).values_list("id", flat=True)
    )
    second = store_parsed(feed=feed, parsed=ParsedFeed(entries=entries), now=now)
    assert (second.new, len(second.new_ids)) == (1, 1)
    entry = Entry.objects.get(pk=second.new_ids[0])
    assert entry.guid == "g2" and entry.title == "T2 «é»"
    assert entry.enclosures == [
        {"url": "https://example.com/2.mp3", "type": "audio/mpeg", "length": 5}
    ]
    assert entry.categories == ["a", "ü"]
    assert entry.published_at == entry.created_at == now
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT jsonb_typeof(enclosures), jsonb_typeof(categories) "
                "FROM feeds_entry WHERE id = %s",
                [entry.pk],
            )
            assert cursor.fetchone() == ("array", "array")


def _rss_items(count: int) -> bytes:
    items = "".join(
        f"<item><title>T{i}</title><link>https://feeds.example.org/s/{i}</link>"
        f"<guid>s-{i}</guid><description>&lt;p&gt;Body {i}&lt;/p&gt;</description></item>"
        for i in range(count)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>S</title>'
        f"<link>https://feeds.example.org/</link><description>d</description>{items}"
        "</channel></rss>"
    ).encode()


@requires_postgres  # the counted statements are PostgreSQL's (SQLite takes a two-step path)
@pytest.mark.django_db
def test_a_refresh_of_a_feed_without_subscribers_runs_no_hook_query_and_a_304_costs_two_statements(
    feed_server,
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from feeds.models import FetchLog
    from feeds.services import feed_get_or_create, feed_refresh

    feed_server.add_route(
        "/speed.xml",
        body=_rss_items(5),
        headers={"Content-Type": "application/rss+xml"},
        etag='"v1"',
    )
    feed, _ = feed_get_or_create(url=feed_server.url("/speed.xml"))
    with CaptureQueriesContext(connection) as cold:
        assert feed_refresh(feed_id=feed.pk, force=True).new == 5
    sql = [q["sql"] for q in cold.captured_queries]
    assert not [s for s in sql if "reader_rule" in s or "fetch_full_text" in s], sql
    # lease, lookup, tombstones, insert, feed metadata, interval sample, bookkeeping + log
    # (plus the savepoint pair of the test's outer transaction)
    assert len([s for s in sql if "SAVEPOINT" not in s]) <= 7, sql
    with CaptureQueriesContext(connection) as warm:
        assert feed_refresh(feed_id=feed.pk, force=True).outcome == "not_modified"
    sql = [q["sql"] for q in warm.captured_queries]
    if connection.vendor == "postgresql":
        assert len(sql) == 2, sql
        assert sql[0].startswith("UPDATE") and "synchronous_commit" in sql[0]
        assert sql[1].startswith("WITH bookkept AS (UPDATE") and "feeds_fetchlog" in sql[1]
        with connection.cursor() as cursor:  # the test's transaction: async commit is on
            cursor.execute("SELECT current_setting('synchronous_commit')")
            assert cursor.fetchone() == ("off",)
    logs = list(FetchLog.objects.filter(feed_id=feed.pk).order_by("id"))
    assert [(log.outcome, log.status, log.new) for log in logs] == [
        ("ok", 200, 5),
        ("not_modified", 304, 0),
    ]
    feed.refresh_from_db()
    assert (feed.last_status, feed.etag, feed.error_count) == (304, '"v1"', 0)


@pytest.mark.django_db
def test_rules_and_full_text_hooks_still_run_for_a_subscribed_feed(feed_server, alice):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from feeds.services import feed_get_or_create, feed_refresh

    feed_server.add_route(
        "/sub.xml", body=_rss_items(3), headers={"Content-Type": "application/rss+xml"}
    )
    feed, _ = feed_get_or_create(url=feed_server.url("/sub.xml"))
    SubscriptionFactory(user=alice, feed=feed)
    with CaptureQueriesContext(connection) as cold:
        assert feed_refresh(feed_id=feed.pk, force=True).new == 3
    sql = [q["sql"] for q in cold.captured_queries]
    assert [s for s in sql if "reader_rule" in s] and [s for s in sql if "fetch_full_text" in s]
