"""feed_refresh over real HTTP on loopback: validators, 304, redirects, merges, errors, back-off."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feeds import scheduling
from feeds.models import Entry, Feed
from feeds.services import feed_get_or_create, feed_merge, feed_refresh
from feeds.signals import feed_merged
from tests.conftest import requires_postgres, shared_path
from tests.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db

RSS = "application/rss+xml"


def _rss(title: str, items: int, *, prefix: str = "item") -> bytes:
    entries = "".join(
        f"<item><title>{title} {prefix} {i}</title><link>https://feeds.example.org/{prefix}/{i}</link>"
        f"<guid>{prefix}-{i}</guid><description>&lt;p&gt;Body {i}&lt;/p&gt;</description>"
        f"<pubDate>Mon, 02 Mar 2026 {i % 24:02d}:00:00 +0000</pubDate></item>"
        for i in range(items)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>https://feeds.example.org/</link><description>d</description>{entries}"
        "</channel></rss>"
    ).encode()


@pytest.fixture(autouse=True)
def _no_host_block_leaks():
    """A 429 blocks feeds.example.org; never let that reach the next test."""
    yield
    scheduling.host_unblock("http://feeds.example.org/")


def _feed(feed_server, path: str) -> Feed:
    feed, _ = feed_get_or_create(url=feed_server.url(path))
    return feed


def _refresh(feed: Feed, *, force: bool = True):
    return feed_refresh(feed_id=feed.pk, force=force)


# --- creating ---------------------------------------------------------------------------------


def test_one_feed_per_cleaned_url(feed_server):
    first, created = feed_get_or_create(url=feed_server.url("/same.xml"))
    shouted = feed_server.url("/same.xml").replace("http://feeds.", "HTTP://FEEDS.")
    again, created_again = feed_get_or_create(url=f"  {shouted}#top")
    assert created and not created_again
    assert again.pk == first.pk


def test_a_private_address_is_refused_before_any_feed_is_created():
    from feeds.pipeline.fetch import FetchError

    with pytest.raises(FetchError) as caught:
        feed_get_or_create(url="http://127.0.0.1/feed.xml")
    assert caught.value.kind == "blocked"
    assert not Feed.objects.exists()


# --- conditional GET --------------------------------------------------------------------------


def test_the_second_refresh_is_a_304_that_parses_nothing_and_writes_one_update(feed_server):
    feed_server.add_route(
        "/cond.xml",
        body=_rss("Cond", 5),
        headers={"Content-Type": RSS},
        etag='W/"abc-1"',
        last_modified="Sun, 01 Mar 2026 10:00:00 GMT",
    )
    feed = _feed(feed_server, "/cond.xml")

    first = _refresh(feed)
    with CaptureQueriesContext(connection) as queries:
        second = _refresh(feed)

    assert (first.outcome, first.status, first.new) == ("ok", 200, 5)
    assert (second.outcome, second.status, second.new) == ("not_modified", 304, 0)
    request = feed_server.requests_for("/cond.xml")[-1]
    assert request.headers["If-None-Match"] == 'W/"abc-1"'
    assert request.headers["If-Modified-Since"] == "Sun, 01 Mar 2026 10:00:00 GMT"
    # The lease (UPDATE ... RETURNING) and the bookkeeping UPDATE (on PostgreSQL folded with
    # the fetch log row of feeds.fetch_log into one statement): no SELECT, no parse, no entry
    # write.
    sql = [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith(('INSERT INTO "feeds_fetchlog"', "SAVEPOINT", "RELEASE"))
        and not q["sql"].startswith("SET LOCAL synchronous_commit")
    ]
    assert len(sql) == 2, sql
    assert all(s.lstrip().upper().startswith(("UPDATE", "WITH BOOKKEPT AS (UPDATE")) for s in sql)
    feed.refresh_from_db()
    assert feed.etag == 'W/"abc-1"' and feed.last_modified == "Sun, 01 Mar 2026 10:00:00 GMT"
    assert feed.last_status == 304 and feed.error_count == 0
    assert feed.entries.count() == 5


def test_validators_are_stored_from_a_200_and_cleared_when_a_200_has_none(feed_server):
    feed_server.add_route(
        "/v.xml",
        sequence=[
            {
                "status": 200,
                "headers": {"Content-Type": RSS, "ETag": '"one"'},
                "body": _rss("V", 1),
            },
            {"status": 200, "headers": {"Content-Type": RSS}, "body": _rss("V", 2)},
        ],
    )
    feed = _feed(feed_server, "/v.xml")
    _refresh(feed)
    feed.refresh_from_db()
    assert feed.etag == '"one"'
    _refresh(feed)
    feed.refresh_from_db()
    assert feed.etag == "" and feed.entries.count() == 2


def test_a_changed_etag_is_stored_even_when_last_modified_and_body_do_not_change(feed_server):
    """Case P17: conditional GET validators."""
    shared_path("cases", "P17-conditional-get-validators")
    feed_server.load_case("P17-conditional-get-validators")
    feed = _feed(feed_server, "/cache.xml")

    outcomes = [_refresh(feed).outcome for _ in range(4)]

    requests = feed_server.requests_for("/cache.xml")
    assert "If-None-Match" not in requests[0].headers
    assert "If-Modified-Since" not in requests[0].headers
    assert requests[1].headers["If-None-Match"] == '"v1"'
    assert requests[1].headers["If-Modified-Since"] == "Sun, 01 Mar 2026 10:00:00 GMT"
    assert requests[2].headers["If-None-Match"] == '"v2"'
    assert requests[3].headers["If-None-Match"] == '"v2"'
    assert outcomes == ["ok", "ok", "not_modified", "not_modified"]
    feed.refresh_from_db()
    assert feed.error_count == 0 and feed.last_error == "" and feed.last_status == 304
    assert feed.entries.count() == 2
    assert feed.next_fetch_at > timezone.now()  # still scheduled


def test_304_advances_the_last_checked_time(feed_server):
    feed_server.add_route("/t.xml", body=_rss("T", 1), headers={"Content-Type": RSS}, etag='"t"')
    feed = _feed(feed_server, "/t.xml")
    _refresh(feed)
    feed.refresh_from_db()
    first_check = feed.last_fetched_at
    _refresh(feed)
    feed.refresh_from_db()
    assert feed.last_fetched_at > first_check and feed.last_success_at == feed.last_fetched_at


# --- redirects and merges ---------------------------------------------------------------------


def test_a_permanent_redirect_updates_the_url_and_the_next_refresh_goes_there(feed_server):
    """Case P16: redirects permanent temporary loop."""
    shared_path("cases", "P16-redirects-permanent-temporary-loop")
    feed_server.load_case("P16-redirects-permanent-temporary-loop")
    feed = _feed(feed_server, "/old.xml")

    result = _refresh(feed)
    _refresh(feed)

    feed.refresh_from_db()
    assert result.outcome == "ok" and feed.entries.count() == 2
    assert feed.url == feed_server.url("/new.xml")
    assert feed_server.hits("/old.xml") == 1
    assert feed_server.hits("/new.xml") == 2


def test_a_temporary_redirect_keeps_the_url(feed_server):
    """Case P16: redirects permanent temporary loop."""
    shared_path("cases", "P16-redirects-permanent-temporary-loop")
    feed_server.load_case("P16-redirects-permanent-temporary-loop")
    feed = _feed(feed_server, "/rotating.xml")

    result = _refresh(feed)
    _refresh(feed)

    feed.refresh_from_db()
    assert result.outcome == "ok" and feed.entries.count() == 2
    assert feed.url == feed_server.url("/rotating.xml")
    assert feed_server.hits("/rotating.xml") == 2


def test_a_chain_of_permanent_then_temporary_keeps_the_url(feed_server):
    """Case P16: redirects permanent temporary loop."""
    shared_path("cases", "P16-redirects-permanent-temporary-loop")
    feed_server.load_case("P16-redirects-permanent-temporary-loop")
    feed = _feed(feed_server, "/chain.xml")

    assert _refresh(feed).outcome == "ok"

    feed.refresh_from_db()
    assert feed.url == feed_server.url("/chain.xml")


def test_a_redirect_loop_fails_quickly_with_a_readable_error_and_backs_off(feed_server):
    """Case P16: redirects permanent temporary loop."""
    shared_path("cases", "P16-redirects-permanent-temporary-loop")
    feed_server.load_case("P16-redirects-permanent-temporary-loop")
    feed = _feed(feed_server, "/loop-a.xml")

    result = _refresh(feed)

    feed.refresh_from_db()
    assert result.outcome == "too_many_redirects" and result.duration < 30
    assert feed_server.hits("/loop-a.xml") + feed_server.hits("/loop-b.xml") <= 10
    assert "redirect" in feed.last_error.lower()
    assert feed.error_count == 1 and feed.next_fetch_at > timezone.now()


def test_a_permanent_redirect_onto_an_existing_feed_merges_the_two(feed_server):
    """Case P16: redirects permanent temporary loop."""
    shared_path("cases", "P16-redirects-permanent-temporary-loop")
    feed_server.load_case("P16-redirects-permanent-temporary-loop")
    old, new = _feed(feed_server, "/old.xml"), _feed(feed_server, "/new.xml")
    assert _refresh(new).new == 2
    only_old = Entry.objects.create(
        feed=old, identity_hash="f" * 64, title="Only in the old feed", published_at=timezone.now()
    )
    seen: list[tuple[int, int, bool]] = []

    def receiver(sender, source_id, target_id, **kwargs):
        seen.append((source_id, target_id, Feed.objects.filter(pk=source_id).exists()))

    feed_merged.connect(receiver)
    try:
        result = _refresh(old)
    finally:
        feed_merged.disconnect(receiver)

    assert result.outcome == "ok" and result.feed_id == new.pk and result.merged_from == old.pk
    assert seen == [(old.pk, new.pk, True)]  # sent while the source still existed
    assert not Feed.objects.filter(pk=old.pk).exists()
    assert Feed.objects.filter(url=feed_server.url("/new.xml")).count() == 1
    only_old.refresh_from_db()
    assert only_old.feed_id == new.pk
    assert new.entries.count() == 3


def test_merging_skips_entries_the_target_already_has(feed_server):
    source = Feed.objects.create(url="https://a.example.org/feed")
    target = Feed.objects.create(url="https://b.example.org/feed")
    now = timezone.now()
    for feed, hashes in ((source, "abc"), (target, "bcd")):
        for h in hashes:
            Entry.objects.create(feed=feed, identity_hash=h * 64, published_at=now)

    moved = feed_merge(source=source, target=target)

    assert moved == 1
    assert sorted(target.entries.values_list("identity_hash", flat=True)) == [
        h * 64 for h in "abcd"
    ]
    assert not Feed.objects.filter(pk=source.pk).exists()


def test_two_users_on_old_and_new_end_up_on_one_feed_without_duplicates(feed_server, alice, bob):
    """Case P16: redirects permanent temporary loop."""
    from reader.models import Subscription

    shared_path("cases", "P16-redirects-permanent-temporary-loop")
    feed_server.load_case("P16-redirects-permanent-temporary-loop")
    old, new = _feed(feed_server, "/old.xml"), _feed(feed_server, "/new.xml")
    SubscriptionFactory(user=alice, feed=old)
    SubscriptionFactory(user=bob, feed=old)
    SubscriptionFactory(user=bob, feed=new)

    _refresh(old)

    assert sorted(Subscription.objects.values_list("user__username", "feed_id")) == [
        ("alice", new.pk),
        ("bob", new.pk),
    ]


# --- errors -----------------------------------------------------------------------------------


def test_410_disables_the_feed_with_a_clear_reason_and_keeps_its_entries(feed_server):
    feed_server.add_route(
        "/gone.xml",
        sequence=[
            {"status": 200, "headers": {"Content-Type": RSS}, "body": _rss("Gone", 3)},
            {"status": 410, "body": "gone"},
        ],
    )
    feed = _feed(feed_server, "/gone.xml")
    _refresh(feed)

    result = _refresh(feed)

    feed.refresh_from_db()
    assert result.outcome == "gone" and feed.disabled
    assert "410" in feed.disabled_reason and "no longer" in feed.disabled_reason
    assert feed.entries.count() == 3
    assert _refresh(feed).outcome == "skipped"  # even forced: a disabled feed is not fetched
    assert feed_server.hits("/gone.xml") == 2


def test_http_errors_keep_old_entries_and_record_a_readable_error(feed_server):
    feed_server.add_route(
        "/flaky.xml",
        sequence=[
            {"status": 200, "headers": {"Content-Type": RSS}, "body": _rss("Flaky", 4)},
            {"status": 500, "body": "oops"},
        ],
    )
    feed = _feed(feed_server, "/flaky.xml")
    _refresh(feed)
    before = timezone.now()

    result = _refresh(feed)

    feed.refresh_from_db()
    assert result.outcome == "http" and result.status == 500
    assert feed.entries.count() == 4
    assert feed.last_status == 500 and feed.last_error_kind == "http"
    assert "500" in feed.last_error
    assert feed.error_count == 1 and feed.first_error_at >= before
    assert feed.last_success_at < before


def test_backoff_grows_with_each_failure_and_caps_at_the_maximum_interval(feed_server, settings):
    settings.FEED_MIN_INTERVAL, settings.FEED_MAX_INTERVAL = 900, 6 * 3600
    feed_server.add_route("/down.xml", status=500, body="down")
    feed = _feed(feed_server, "/down.xml")
    Feed.objects.filter(pk=feed.pk).update(fetch_interval=900)

    delays = []
    for _ in range(7):
        start = timezone.now()
        result = _refresh(feed)
        delays.append((result.next_fetch_at - start).total_seconds())

    feed.refresh_from_db()
    assert feed.error_count == 7
    jitter = scheduling.jitter_factor(feed.pk)
    assert delays[0] >= 2 * 900 * jitter - 2
    assert delays[1] >= 2 * delays[0] - 2 and delays[2] >= 2 * delays[1] - 2
    assert max(delays) <= 6 * 3600 + 1
    assert delays[-1] == pytest.approx(6 * 3600 * jitter, abs=2)
    assert feed.first_error_at is not None and feed.first_error_at <= timezone.now()


def test_success_after_errors_resets_the_error_state(feed_server):
    feed_server.add_route(
        "/back.xml",
        sequence=[
            {"status": 502, "body": "bad gateway"},
            {"status": 200, "headers": {"Content-Type": RSS}, "body": _rss("Back", 1)},
        ],
    )
    feed = _feed(feed_server, "/back.xml")
    assert _refresh(feed).outcome == "http"
    assert _refresh(feed).outcome == "ok"
    feed.refresh_from_db()
    assert (feed.error_count, feed.last_error, feed.first_error_at) == (0, "", None)


def test_an_html_page_is_an_error_that_offers_the_feeds_it_links_to(feed_server):
    shared_path("cases", "P21-html-instead-of-feed")
    feed_server.load_case("P21-html-instead-of-feed", host="lighthouse.example.org")
    feed, _ = feed_get_or_create(url=feed_server.url("/blog/", host="lighthouse.example.org"))

    result = _refresh(feed)

    feed.refresh_from_db()
    assert result.outcome == "not_a_feed" and feed.last_error_kind == "not_a_feed"
    assert "not a feed" in feed.last_error
    assert "/blog/feed.xml" in feed.last_error and "/blog/atom.xml" in feed.last_error
    assert "Posts (RSS)" in feed.last_error
    assert result.candidates == [
        feed_server.url("/blog/feed.xml", host="lighthouse.example.org"),
        feed_server.url("/blog/atom.xml", host="lighthouse.example.org"),
        "https://comments.example.org/blog/comments.rss",
    ]


def test_a_feed_that_yields_nothing_keeps_its_old_entries(feed_server):
    feed_server.add_route(
        "/broken.xml",
        sequence=[
            {"status": 200, "headers": {"Content-Type": RSS}, "body": _rss("Broken", 2)},
            {"status": 200, "headers": {"Content-Type": RSS}, "body": b"<rss><channel><item"},
        ],
    )
    feed = _feed(feed_server, "/broken.xml")
    _refresh(feed)

    result = _refresh(feed)

    feed.refresh_from_db()
    assert result.outcome == "parse" and feed.last_error_kind == "parse"
    assert feed.entries.count() == 2


# --- schedule and idempotence -----------------------------------------------------------------


def test_a_refresh_that_is_not_due_does_nothing(feed_server):
    feed_server.add_route("/due.xml", body=_rss("Due", 1), headers={"Content-Type": RSS})
    feed = _feed(feed_server, "/due.xml")
    assert _refresh(feed, force=False).outcome == "ok"

    assert _refresh(feed, force=False).outcome == "skipped"
    assert feed_server.hits("/due.xml") == 1


def test_the_next_fetch_is_scheduled_within_the_interval_bounds(feed_server, settings):
    settings.FEED_MIN_INTERVAL, settings.FEED_MAX_INTERVAL = 900, 86400
    feed_server.add_route("/s.xml", body=_rss("S", 3), headers={"Content-Type": RSS})
    feed = _feed(feed_server, "/s.xml")
    start = timezone.now()
    _refresh(feed)
    feed.refresh_from_db()
    assert 900 <= feed.fetch_interval <= 86400
    assert start + timedelta(seconds=900) <= feed.next_fetch_at
    assert feed.next_fetch_at <= timezone.now() + timedelta(seconds=86400)
    assert feed.leased_until is None


def test_cache_control_max_age_lengthens_the_interval(feed_server, settings):
    settings.FEED_MIN_INTERVAL, settings.FEED_MAX_INTERVAL = 900, 86400
    feed_server.add_route(
        "/cc.xml",
        body=_rss("CC", 2),
        headers={"Content-Type": RSS, "Cache-Control": "public, max-age=7200"},
    )
    feed = _feed(feed_server, "/cc.xml")
    _refresh(feed)
    feed.refresh_from_db()
    assert feed.fetch_interval >= 7200


@requires_postgres  # the counted statements are PostgreSQL's (SQLite splits bulk inserts)
def test_sql_statements_per_refresh_do_not_grow_with_the_entry_count(feed_server):
    counts = {}
    for size in (5, 60):
        feed_server.add_route(f"/n{size}.xml", body=_rss("N", size), headers={"Content-Type": RSS})
        feed = _feed(feed_server, f"/n{size}.xml")
        with CaptureQueriesContext(connection) as queries:
            assert _refresh(feed).new == size
        counts[size] = len(queries.captured_queries)
    assert counts[5] == counts[60], counts


def test_each_fetch_logs_exactly_one_structured_info_line(feed_server, caplog):
    feed_server.add_route("/log.xml", body=_rss("Log", 2), headers={"Content-Type": RSS})
    feed = _feed(feed_server, "/log.xml")

    with caplog.at_level("INFO", logger="tidings.fetch"):
        _refresh(feed)

    lines = [r for r in caplog.records if r.name == "tidings.fetch"]
    assert len(lines) == 1 and lines[0].levelname == "INFO"
    message = lines[0].getMessage()
    assert f"feed_id={feed.pk}" in message and "status=200" in message and "new=2" in message
    assert lines[0].bytes > 0 and lines[0].duration_ms >= 0 and lines[0].updated == 0
