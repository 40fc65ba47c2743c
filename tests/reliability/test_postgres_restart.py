"""PostgreSQL restarted under a running gunicorn and Celery worker: clean failures, then recovery.

Uses a PRIVATE throwaway cluster (initdb into a temp dir, pg_ctl on a spare loopback port); the
shared cluster on 5432 is never restarted. The web server and the worker run against it. During
the outage requests fail fast with a 5xx (no hanging thread) and /healthz says the database is
down; after the restart the very next requests succeed, with no manual action (Django's
CONN_HEALTH_CHECKS replaces the dead persistent connections; Celery's Django fix-up does the
same between tasks), and the worker refreshes a feed again.
"""

from __future__ import annotations

import json
import time
import uuid

import psycopg
import pytest
import requests

from tests.procs import (
    PostgresCluster,
    free_port,
    manage,
    start_gunicorn,
    start_worker,
    stop,
    wait_for,
)
from tests.reliability.conftest import RSS, logs_text, rss
from tests.reliability.web import TokenClient

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not PostgresCluster.available(), reason="needs PostgreSQL 15 binaries"),
]

SEED = """
import json
from accounts.services import token_create
from accounts.models import User
from feeds.models import Entry, Feed
from reader.models import Subscription
from django.utils import timezone
user = User.objects.create_user("alice", "alice@example.com", "alice-pass-123")
feed = Feed.objects.create(url="https://feeds.example.org/old.xml", title="old")
for i in range(5):
    Entry.objects.create(feed=feed, guid=f"g{i}", identity_hash=f"{i:064d}", title=f"e{i}",
                         url=f"https://feeds.example.org/{i}", published_at=timezone.now())
Subscription.objects.create(user=user, feed=feed)
fresh = Feed.objects.create(url=%(fresh)r)
Subscription.objects.create(user=user, feed=fresh)
print(json.dumps({"token": token_create(user=user, name="t")[1], "fresh": fresh.pk}))
"""


def _query(cluster: PostgresCluster, sql: str, params: list) -> object:
    with psycopg.connect(cluster.url.replace("postgres://", "postgresql://")) as conn:
        return conn.execute(sql, params).fetchone()[0]


def _entries(cluster: PostgresCluster, feed_id: int) -> int:
    return _query(cluster, "SELECT count(*) FROM feeds_entry WHERE feed_id = %s", [feed_id])


def _heartbeat_after(cluster: PostgresCluster, moment: float) -> bool:
    sql = (
        "SELECT count(*) FROM reader_heartbeat WHERE name = 'worker' AND seen_at > to_timestamp(%s)"
    )
    return _query(cluster, sql, [moment]) > 0


def test_requests_fail_cleanly_while_postgres_restarts_and_succeed_after(
    project_env, feed_server, child_logs
):
    feed_server.add_route("/fresh.xml", headers=RSS, body=rss("fresh", 4))
    cluster = PostgresCluster().init()
    web = worker = late = None
    try:
        cluster.start()
        restarted = time.time()
        cluster.create_database()
        env = {
            **project_env,
            **feed_server.child_env(),
            "DATABASE_URL": cluster.url,
            # Its own broker keys: a worker of another test (the browser tests' session worker)
            # on the same Redis must not take this test's tasks to the test database.
            "REDIS_KEY_PREFIX": f"pgrestart-{uuid.uuid4().hex[:8]}:",
        }
        manage(env, "migrate", "--no-input", "-v0")
        seeded = manage(
            env, "shell", "-c", SEED % {"fresh": feed_server.url("/fresh.xml", host="127.0.0.1")}
        )
        seed = json.loads(seeded.strip().splitlines()[-1])
        port = free_port()
        web = start_gunicorn(env, port, threads=4, log=child_logs / "web.log")
        worker = start_worker(env, log=child_logs / "worker.log")
        assert wait_for(lambda: _heartbeat_after(cluster, 0), timeout=30), logs_text(child_logs)
        api = TokenClient(f"http://127.0.0.1:{port}", seed["token"])
        for _ in range(8):  # every gunicorn thread holds a persistent connection now
            assert api.get("/api/v1/entries/").status_code == 200

        cluster.stop()

        for path in ("/api/v1/entries/", "/api/v1/unread-counts/", "/api/v1/subscriptions/"):
            started = time.monotonic()
            try:
                status = api.get(path, timeout=15).status_code
            except requests.RequestException as exc:  # pragma: no cover - the failure we test
                raise AssertionError(f"{path} hung or dropped: {exc}") from exc
            assert status >= 500, (path, status)
            assert time.monotonic() - started < 10, path
        health = api.get("/healthz")
        assert health.status_code == 503 and not health.json()["checks"]["database"]["ok"]
        # A worker (re)started during the outage (an orchestrator restarting it) stays up.
        late = start_worker(env, log=child_logs / "late-worker.log")
        time.sleep(4)
        assert late.poll() is None, logs_text(child_logs)

        cluster.start()
        restarted = time.time()

        for _ in range(12):  # no warm-up, no retry: each request must succeed
            response = api.get("/api/v1/entries/")
            assert response.status_code == 200, (response.status_code, logs_text(child_logs))
            assert len(response.json()["results"]) == 5
        assert api.post("/api/v1/mark-all-read/", {}).status_code < 500
        # The worker lived through it and refreshes a feed on the restarted database.
        send = f"from feeds.tasks import refresh_feed; refresh_feed.delay({seed['fresh']})"
        manage(env, "shell", "-c", send)
        assert wait_for(lambda: _entries(cluster, seed["fresh"]) == 4, timeout=60), logs_text(
            child_logs
        )
        # Its main process replaced its broken connection too: /healthz sees it alive.
        assert wait_for(lambda: _heartbeat_after(cluster, restarted), timeout=40), logs_text(
            child_logs
        )
        assert worker.poll() is None and web.poll() is None and late.poll() is None
    finally:
        for proc in (web, worker, late):
            if proc is not None:
                stop(proc)
        cluster.destroy()
