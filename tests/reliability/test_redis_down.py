"""Redis stopped under a running web server and worker: reads and writes keep working, nothing lost.

Real processes on a PRIVATE redis-server (a spare loopback port; the shared one on 6379 is never
touched): gunicorn and a Celery worker use it as broker and cache. While it is down:

- pages and API reads answer 200; marking read (a database write) still works: the cache that
  holds throttles and rate limits fails soft (reader.project.cache.FailSoftRedisCache);
- subscribing answers as usual and stores the subscription; the refresh it would have enqueued
  is not lost: the new feed is due, and the scheduler claims it once the broker is back;
- "refresh now" runs in the request (no queue) and works;
- an OPML upload, which only a worker can run, ends as a failed job with a readable reason
  instead of a 500 or a job pending forever;
- /healthz says the broker is failing (503).

When Redis is back, the worker reconnects by itself and runs new tasks, and the due feeds are
fetched.
"""

from __future__ import annotations

import uuid

import pytest
from celery import Celery

from accounts import services as account_services
from feeds.models import Entry, Feed
from reader.models import EntryState, Heartbeat, ImportJob, Subscription
from tests.conftest import requires_postgres
from tests.procs import (
    RedisServer,
    free_port,
    start_gunicorn,
    start_worker,
    stop,
    wait_for,
)
from tests.reader.factories import FeedFactory, SubscriptionFactory, entries
from tests.reliability.conftest import RSS, logs_text, rss
from tests.reliability.web import Browser, TokenClient

pytestmark = [requires_postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

OPML = b"""<?xml version="1.0"?><opml version="2.0"><head><title>t</title></head><body>
<outline type="rss" text="x" xmlUrl="https://opml.example.org/feed.xml"/></body></opml>"""


def _send(broker_url: str, name: str, *args, queue: str = "default") -> None:
    """Send task ``name`` through the private broker (the test process's own app uses another)."""
    app = Celery("h9-sender", broker=broker_url, set_as_current=False)
    try:
        app.send_task(name, args=args, queue=queue)
    finally:
        app.close()


def test_with_redis_stopped_reads_and_writes_work_and_the_worker_reconnects_after(
    project_env, feed_server, alice, child_logs
):
    alice.set_password("alice-pass-123")
    alice.save()
    old_feed = FeedFactory()
    old_sub = SubscriptionFactory(user=alice, feed=old_feed)
    old_entries = entries(old_feed, 6)
    _token, raw = account_services.token_create(user=alice, name="client")
    for name in ("one", "two"):
        feed_server.add_route(f"/{name}.xml", headers=RSS, body=rss(name, 3))

    with RedisServer() as redis_server:
        env = {**project_env, **feed_server.child_env(), "REDIS_URL": redis_server.url}
        port = free_port()
        web = start_gunicorn(env, port, log=child_logs / "web.log")
        worker = start_worker(env, log=child_logs / "worker.log")
        try:
            base = f"http://127.0.0.1:{port}"
            browser, client = Browser(base), TokenClient(base, raw)
            browser.login("alice", "alice-pass-123")
            assert client.get("/api/v1/entries/").status_code == 200

            redis_server.stop()

            # Reads.
            assert browser.get("/reader/").status_code == 200, logs_text(child_logs)
            listed = client.get("/api/v1/entries/?status=all")
            assert listed.status_code == 200, listed.text
            assert len(listed.json()["results"]) == 6
            assert browser.get("/api/v1/unread-counts/").status_code == 200
            # A database write that enqueues nothing.
            ids = [e.pk for e in old_entries[:3]]
            marked = client.post("/api/v1/entries/batch/", {"ids": ids, "read": True})
            assert marked.status_code == 200, marked.text
            marked = browser.post_json(f"/api/v1/entries/{old_entries[3].pk}/", {"starred": True})
            assert marked.status_code in (200, 405), marked.text
            # Subscribing through the API and through the page form.
            made = client.post(
                "/api/v1/subscriptions/",
                {"url": feed_server.url("/one.xml", host="127.0.0.1")},
                timeout=30,
            )
            assert made.status_code == 201, made.text
            posted = browser.post_form(
                "/subscriptions/", {"url": feed_server.url("/two.xml", host="127.0.0.1")}
            )
            assert posted.status_code == 302, posted.text[:3000]
            # "Refresh now" runs in the request.
            refreshed = client.post(f"/api/v1/subscriptions/{made.json()['id']}/refresh/", {})
            assert refreshed.status_code == 200, refreshed.text
            one = Feed.objects.get(url__endswith="/one.xml")
            assert one.entries.count() == 3
            # An OPML import needs a worker: it ends failed, with a reason, not pending forever.
            files = {"file": ("subs.opml", OPML, "text/x-opml")}
            upload = client.http.post(f"{base}/api/v1/opml/import/", files=files, timeout=30)
            assert upload.status_code < 500, upload.text
            job = ImportJob.objects.get(user=alice)
            assert job.status == ImportJob.Status.FAILED and job.error, job.error
            # Health says what is wrong.
            health = browser.get("/healthz")
            assert health.status_code == 503 and not health.json()["checks"]["broker"]["ok"]

            redis_server.start()  # same port, empty: what was queued before is gone by design

            token = uuid.uuid4().hex[:12]
            _send(redis_server.url, "reader.tasks.ping", token)
            assert wait_for(
                lambda: Heartbeat.objects.filter(name=f"ping:{token}").exists(), timeout=60
            ), logs_text(child_logs)
            # The scheduler (beat's task) picks up the feed whose first refresh was never queued.
            _send(redis_server.url, "feeds.tasks.refresh_due_feeds")
            two = Feed.objects.get(url__endswith="/two.xml")
            assert wait_for(lambda: two.entries.count() == 3, timeout=60), logs_text(child_logs)
            assert browser.get("/healthz").json()["checks"]["broker"]["ok"]
            assert client.post("/api/v1/entries/batch/", {"ids": ids, "read": False}).ok
        finally:
            stop(web)
            stop(worker)

    # Nothing stored was lost.
    assert Entry.objects.filter(feed=old_feed).count() == 6
    assert Subscription.objects.filter(user=alice).count() == 3
    assert Subscription.objects.filter(pk=old_sub.pk).exists()
    assert EntryState.objects.filter(user=alice, entry_id__in=ids).count() <= len(ids)
