"""Hostile feed servers through feed_refresh and a real worker: each ends in time, readably.

tests/feeds/test_fetch_limits.py proves the caps of ``fetch`` itself; this module drives the
whole refresh (fetch, parse, store, error bookkeeping) in a real Celery worker process against
the loopback feed server, with the time cap shortened to 3 s for the worker only. Every hostile
feed must end within the cap with a readable error recorded on that feed (or, for a real feed
behind a wrong content type, be read correctly), and the same worker, still alive and never
restarted, then refreshes a normal feed.
"""

from __future__ import annotations

import gzip

import pytest

from feeds.models import Entry, Feed, FetchLog
from feeds.tasks import refresh_feed
from tests.conftest import requires_redis
from tests.factories import SubscriptionFactory
from tests.procs import start_worker, stop, wait_for
from tests.reliability.conftest import RSS, logs_text, rss

pytestmark = [requires_redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CAP = 3  # seconds, FETCH_TIMEOUT_TOTAL of the worker
MiB = 1024 * 1024
HTML = b"<!doctype html><html><head><title>Not a feed</title></head><body><p>Hi</p></body></html>"
BAD_UTF8 = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Caf\xe9 \xff\xfe'
    b"</title><link>https://w.example.org/</link><description>d</description><item><title>"
    b"Na\xefve \xc3\x28 entry</title><guid>bad-1</guid><link>https://w.example.org/1</link>"
    b"</item></channel></rss>"
)

# path -> (route kwargs, outcomes accepted, error text expected in last_error or None)
HOSTILE = {
    "/slow.xml": ({"behaviour": "drip", "interval": 1.0}, {"timeout"}, "longer than"),
    "/endless.xml": ({"behaviour": "endless"}, {"too_large", "timeout"}, None),
    "/bomb.xml": (
        {
            "headers": {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"},
            "body": gzip.compress(b"\0" * (64 * MiB), compresslevel=9),
        },
        {"too_large"},
        "large",
    ),
    "/silent.xml": ({"behaviour": "silent"}, {"timeout"}, None),
    "/drop.xml": ({"behaviour": "drop"}, {"connect", "parse"}, None),
    "/reset.xml": ({"behaviour": "reset"}, {"connect"}, None),
    "/page.xml": ({"headers": RSS, "body": HTML}, {"not_a_feed"}, "not a feed"),
    "/garbage.xml": (
        {"headers": RSS, "body": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8},
        {"parse", "not_a_feed"},
        None,
    ),
}
# Served badly but readable: a feed is a feed whatever the type says; bad bytes are replaced.
READABLE = {
    "/typed-as-png.xml": ({"headers": {"Content-Type": "image/png"}, "body": rss("png", 3)}, 3),
    "/bad-utf8.xml": ({"headers": RSS, "body": BAD_UTF8}, 1),
}


def _feed(feed_server, alice, path: str) -> Feed:
    feed = Feed.objects.create(url=feed_server.url(path, host="127.0.0.1"))
    SubscriptionFactory(user=alice, feed=feed)
    return feed


def test_hostile_feed_servers_end_in_time_with_readable_errors_and_the_worker_lives_on(
    project_env, feed_server, alice, clean_broker, child_logs
):
    feeds = {}
    for path, (route, *_rest) in {**HOSTILE, **READABLE}.items():
        feed_server.add_route(path, **route)
        feeds[path] = _feed(feed_server, alice, path)
    feed_server.add_route("/good.xml", headers=RSS, body=rss("good", 5))
    good = _feed(feed_server, alice, "/good.xml")
    env = {**project_env, **feed_server.child_env(), "FETCH_TIMEOUT_TOTAL": str(CAP)}
    env["FETCH_TIMEOUT_CONNECT"] = "2"

    worker = start_worker(env, concurrency=2, log=child_logs / "worker.log")
    try:
        for feed in feeds.values():
            refresh_feed.delay(feed.pk)

        def all_done():
            return FetchLog.objects.filter(feed_id__in=[f.pk for f in feeds.values()]).count()

        assert wait_for(lambda: all_done() == len(feeds), timeout=90), logs_text(child_logs)
        pid = worker.pid
        refresh_feed.delay(good.pk)
        assert wait_for(lambda: good.entries.count() == 5, timeout=30), logs_text(child_logs)
        assert worker.poll() is None and worker.pid == pid
    finally:
        stop(worker)

    log = logs_text(child_logs)
    assert "WorkerLostError" not in log and "exited with 'signal" not in log, log
    for path, (_route, outcomes, text) in HOSTILE.items():
        feed = Feed.objects.get(pk=feeds[path].pk)
        fetch = FetchLog.objects.get(feed_id=feed.pk)
        assert fetch.outcome in outcomes, (path, fetch.outcome, feed.last_error)
        assert fetch.duration <= CAP + 2, (path, fetch.duration)
        assert feed.error_count == 1 and feed.leased_until is None, path
        assert feed.last_error_kind == fetch.outcome
        # Readable: a sentence for people, not a traceback or a repr.
        assert 10 < len(feed.last_error) < 500 and "Traceback" not in feed.last_error, path
        assert "Internal error" not in feed.last_error, (path, feed.last_error)
        if text:
            assert text in feed.last_error.lower(), (path, feed.last_error)
        assert not Entry.objects.filter(feed=feed).exists()
    for path, (_route, count) in READABLE.items():
        feed = Feed.objects.get(pk=feeds[path].pk)
        assert feed.error_count == 0, (path, feed.last_error)
        assert Entry.objects.filter(feed=feed).count() == count, path
    bad = Entry.objects.get(feed=feeds["/bad-utf8.xml"])
    assert "\ufffd" in bad.title or "Na" in bad.title  # decoded, never raw bytes
