"""A Celery worker keeps its PostgreSQL connection between tasks, and replaces a dead one.

Real processes: a Celery worker (solo pool: one process, so one connection) on Redis
(REDIS_URL), the test PostgreSQL database, the loopback feed server. The worker's connections
carry their own ``application_name`` so that ``pg_stat_activity`` shows which backends are its.
A connection per task (Celery's Django fix-up without ``CELERY_DB_REUSE_MAX``) costs a backend
start each time, most of the database CPU of a refresh answered by a 304 (bench.production).
"""

from __future__ import annotations

import uuid

import pytest
from django.db import connection

from feeds.models import Feed, FetchLog
from feeds.tasks import refresh_feed
from tests.conftest import requires_postgres, requires_redis
from tests.factories import SubscriptionFactory
from tests.procs import start_worker, stop, wait_for
from tests.reliability.conftest import RSS, logs_text, rss

pytestmark = [
    requires_redis,
    requires_postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


def _backends(application_name: str) -> list[int]:
    """Pids of the live PostgreSQL backends of connections named ``application_name``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s ORDER BY pid",
            [application_name],
        )
        return [row[0] for row in cursor.fetchall()]


def _feeds(feed_server, alice, count: int) -> list[Feed]:
    feeds = []
    for n in range(count):
        feed_server.add_route(f"/keep-{n}.xml", headers=RSS, body=rss(f"keep{n}", 3))
        feed = Feed.objects.create(url=feed_server.url(f"/keep-{n}.xml", host="127.0.0.1"))
        SubscriptionFactory(user=alice, feed=feed)
        feeds.append(feed)
    return feeds


def _refresh_all(feeds: list[Feed], child_logs) -> None:
    done = FetchLog.objects.filter(feed_id__in=[f.pk for f in feeds]).count()
    for feed in feeds:
        refresh_feed.delay(feed.pk, force=True)
    assert wait_for(
        lambda: (
            FetchLog.objects.filter(feed_id__in=[f.pk for f in feeds]).count() == done + len(feeds)
        ),
        timeout=60,
    ), logs_text(child_logs)


def _worker(project_env, feed_server, child_logs, name: str):
    env = {**project_env, **feed_server.child_env(), "PGAPPNAME": name}
    worker = start_worker(env, pool="solo", log=child_logs / "worker.log")
    # Its heartbeat opened the worker's connection.
    assert wait_for(lambda: len(_backends(name)) == 1, timeout=60), logs_text(child_logs)
    return worker


def test_a_worker_refreshes_many_feeds_on_one_database_connection(
    project_env, feed_server, alice, clean_broker, child_logs
):
    feeds = _feeds(feed_server, alice, 6)
    name = f"tidings-test-{uuid.uuid4().hex[:8]}"
    worker = _worker(project_env, feed_server, child_logs, name)
    try:
        (before,) = _backends(name)
        _refresh_all(feeds, child_logs)
        _refresh_all(feeds, child_logs)  # the second time: every answer a 304
        assert _backends(name) == [before]  # the same backend served all twelve tasks
    finally:
        stop(worker)
    assert all(f.entries.count() == 3 for f in feeds)


def test_a_worker_whose_connection_died_replaces_it_at_the_next_task(
    project_env, feed_server, alice, clean_broker, child_logs
):
    feeds = _feeds(feed_server, alice, 2)
    name = f"tidings-test-{uuid.uuid4().hex[:8]}"
    worker = _worker(project_env, feed_server, child_logs, name)
    try:
        _refresh_all(feeds[:1], child_logs)
        (before,) = _backends(name)
        with connection.cursor() as cursor:  # as a database restart or an admin would
            cursor.execute("SELECT pg_terminate_backend(%s)", [before])
        assert wait_for(lambda: before not in _backends(name), timeout=10)

        _refresh_all(feeds[1:], child_logs)  # no error: the next task reconnected first

        assert feeds[1].entries.count() == 3, logs_text(child_logs)
        assert worker.poll() is None
        assert before not in _backends(name)
    finally:
        stop(worker)
