"""A Celery worker SIGKILLed mid-refresh: nothing partial, redelivered, no duplicates.

Real processes: Celery workers on Redis (REDIS_URL), the test PostgreSQL database, the loopback
feed server. The worker environment shortens two clocks that production keeps long:
``CELERY_VISIBILITY_TIMEOUT`` (Redis gives an unacknowledged message of a dead worker to another
worker after it) and ``FEED_FETCH_LEASE_SECONDS`` (how long the dead refresh keeps its feed).
Acknowledgement is late (``task_acks_late``) so the message survives the kill; the refresh task is
idempotent, and the store's one transaction plus its unique (feed, identity) constraint keep
the entries whole and single.
"""

from __future__ import annotations

import time

import pytest
from django.db import connection

from feeds.models import Entry, Feed
from feeds.tasks import refresh_feed
from tests.conftest import requires_postgres, requires_redis
from tests.factories import SubscriptionFactory
from tests.procs import kill_tree, start_worker, stop, wait_for
from tests.reliability.conftest import RSS, logs_text, rss

pytestmark = [
    requires_redis,
    requires_postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

VISIBILITY = 4  # seconds
LEASE = 3  # seconds


def _env(project_env, feed_server):
    return {
        **project_env,
        **feed_server.child_env(),
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY),
        "FEED_FETCH_LEASE_SECONDS": str(LEASE),
    }


def _feed(feed_server, path: str, alice) -> Feed:
    feed = Feed.objects.create(url=feed_server.url(path, host="127.0.0.1"))
    SubscriptionFactory(user=alice, feed=feed)
    return feed


def _unacked(redis_client) -> int:
    return redis_client.hlen("unacked")


def _assert_whole_and_single(feed: Feed, expected: int) -> None:
    rows = list(Entry.objects.filter(feed=feed).values_list("identity_hash", "guid"))
    assert len(rows) == expected
    assert len({h for h, _ in rows}) == expected
    assert len({g for _, g in rows}) == expected


def test_a_worker_killed_mid_fetch_stores_nothing_and_another_worker_refreshes_the_feed(
    project_env, feed_server, alice, clean_broker, child_logs
):
    # The first answer stalls mid-body (one byte every 0.5 s, never ending); the next is whole.
    feed_server.add_route(
        "/stall.xml",
        sequence=[
            {"behaviour": "drip", "interval": 0.5},
            {"status": 200, "headers": RSS, "body": rss("stall", 40)},
        ],
    )
    feed = _feed(feed_server, "/stall.xml", alice)
    env = _env(project_env, feed_server)

    first = start_worker(env, log=child_logs / "first.log")
    second = None
    try:
        refresh_feed.delay(feed.pk)
        assert wait_for(lambda: feed_server.hits("/stall.xml") == 1, timeout=30), logs_text(
            child_logs
        )
        time.sleep(1.2)  # a few bytes of the body are in: the fetch is under way
        feed.refresh_from_db()
        assert feed.leased_until is not None  # the refresh holds its lease
        assert _unacked(clean_broker) == 1  # delivered, not acknowledged (acks late)

        kill_tree(first)  # SIGKILL to the worker and its pool child, as a crash would
        first.wait(timeout=10)

        assert Entry.objects.filter(feed=feed).count() == 0  # nothing partial
        assert _unacked(clean_broker) == 1  # the message outlived its worker

        second = start_worker(env, log=child_logs / "second.log")
        assert wait_for(lambda: Entry.objects.filter(feed=feed).count() == 40, timeout=45), (
            logs_text(child_logs)
        )
        assert wait_for(lambda: _unacked(clean_broker) == 0, timeout=10)
        assert feed_server.hits("/stall.xml") == 2  # the redelivered task fetched it again

        # A late duplicate of the same task (a second redelivery, a beat tick) changes nothing.
        refresh_feed.delay(feed.pk, force=True)
        assert wait_for(lambda: feed_server.hits("/stall.xml") == 3, timeout=20)
        assert wait_for(lambda: _unacked(clean_broker) == 0, timeout=10)
    finally:
        stop(first)
        if second is not None:
            stop(second)

    _assert_whole_and_single(feed, 40)
    feed.refresh_from_db()
    assert feed.error_count == 0, feed.last_error
    assert feed.leased_until is None


def _store_in_progress(db_name: str) -> bool:
    """True while another session of the test database holds a transaction over feeds_entry."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
            "AND xact_start IS NOT NULL AND query ILIKE %s",
            [db_name, "%feeds_entry%"],
        )
        return cursor.fetchone()[0] > 0


def test_a_worker_killed_inside_the_store_transaction_leaves_no_partial_entries(
    project_env, feed_server, alice, clean_broker, child_logs
):
    items = 3000  # enough sanitizing inside the store's transaction to catch it open
    content = "<p>Hello <b>world</b> <a href='/x'>link</a> <img src='/i.png'></p>" * 20
    feed_server.add_route("/big.xml", headers=RSS, body=rss("big", items, content=content))
    feed = _feed(feed_server, "/big.xml", alice)
    env = _env(project_env, feed_server)
    db_name = connection.settings_dict["NAME"]

    first = start_worker(env, log=child_logs / "first.log")
    second = None
    try:
        refresh_feed.delay(feed.pk)
        caught = wait_for(lambda: _store_in_progress(db_name), timeout=60, every=0.005)
        kill_tree(first)
        first.wait(timeout=10)
        assert caught, logs_text(child_logs)
        # PostgreSQL rolled the open transaction back when the connection died: all or nothing.
        stored = Entry.objects.filter(feed=feed).count()
        assert stored in (0, items)

        second = start_worker(env, log=child_logs / "second.log")
        assert wait_for(lambda: Entry.objects.filter(feed=feed).count() == items, timeout=60), (
            logs_text(child_logs)
        )
        assert wait_for(lambda: _unacked(clean_broker) == 0, timeout=15)
    finally:
        stop(first)
        if second is not None:
            stop(second)

    _assert_whole_and_single(feed, items)
