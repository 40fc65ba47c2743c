"""Races: two workers on the same feed, two stores of one document, one user on two clients.

Real PostgreSQL (READ COMMITTED, row locks), real Celery workers on Redis, real threads each
with its own database connection. Properties: no duplicate entry, no deadlock (everything ends
within its timeout and no statement fails), and the final read state is the union of what the
clients asked for.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts import services as account_services
from feeds.models import Entry, Feed
from feeds.pipeline.parse import parse_feed
from feeds.pipeline.store import store_parsed
from feeds.tasks import refresh_feed
from reader import selectors
from reader.models import EntryState
from tests.conftest import requires_postgres, requires_redis
from tests.procs import start_worker, stop, wait_for
from tests.reader.factories import FeedFactory, SubscriptionFactory, entries
from tests.reliability.conftest import RSS, logs_text, rss

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def _in_threads(jobs, timeout: float = 60.0) -> list[BaseException]:
    """Run callables at once (a barrier releases them together); returns their exceptions."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job):
        try:
            barrier.wait()
            job()
        except BaseException as exc:  # collected and asserted by the caller
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(t.is_alive() for t in threads), "a thread is stuck (deadlock?)"
    return errors


@requires_redis
@pytest.mark.slow
def test_two_workers_racing_on_one_feed_store_each_entry_once(
    project_env, feed_server, alice, clean_broker, child_logs
):
    served = []

    def growing(request):  # each answer has a few more items; slow enough to overlap
        time.sleep(0.3)
        served.append(10 + len(served))
        return {"status": 200, "headers": RSS, "body": rss("race", served[-1])}

    feed_server.add_route("/race.xml", handler=growing)
    feed = Feed.objects.create(url=feed_server.url("/race.xml", host="127.0.0.1"))
    SubscriptionFactory(user=alice, feed=feed)
    env = {**project_env, **feed_server.child_env()}
    workers = [start_worker(env, concurrency=2, log=child_logs / f"w{n}.log") for n in range(2)]
    try:
        for _ in range(24):
            refresh_feed.delay(feed.pk, force=True)

        def drained():
            return clean_broker.llen("feeds") == 0 and clean_broker.hlen("unacked") == 0

        assert wait_for(drained, timeout=90), logs_text(child_logs)
    finally:
        for worker in workers:
            stop(worker)

    assert served, "no fetch happened"
    rows = list(Entry.objects.filter(feed=feed).values_list("guid", flat=True))
    assert len(rows) == len(set(rows)) == max(served)  # the largest document, once each
    feed.refresh_from_db()
    assert feed.error_count == 0, feed.last_error
    assert feed.leased_until is None
    assert "deadlock" not in logs_text(child_logs).lower()


def test_two_stores_of_the_same_document_at_once_insert_each_entry_once(feed_server):
    """The store's backstop if two refreshes ever overlap despite the lease (ON CONFLICT)."""
    feed = Feed.objects.create(url=feed_server.url("/same.xml"))
    parsed = parse_feed(rss("same", 300), url=feed.url)
    results = []

    def store():
        results.append(store_parsed(feed=feed, parsed=parsed, now=timezone.now()))

    errors = _in_threads([store] * 4)
    assert not errors, errors
    assert Entry.objects.filter(feed=feed).count() == 300
    # Known: each racing store reports all 300 as new (StoreResult.new counts attempted
    # inserts); harmless because the fetch lease keeps refreshes of one feed apart.
    assert len(results) == 4


def test_one_user_marking_read_from_two_clients_at_once_ends_in_the_union(alice):
    feed = FeedFactory()
    sub = SubscriptionFactory(user=alice, feed=feed)
    items = entries(feed, 240)
    ids = [e.pk for e in items]
    _token, raw = account_services.token_create(user=alice, name="phone")

    def phone():  # a third-party app: batches of 10 through the REST API with a token
        client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        for start in range(0, 150, 10):
            response = client.post(
                "/api/v1/entries/batch/",
                {"ids": ids[start : start + 10], "read": True},
                content_type="application/json",
            )
            assert response.status_code == 200, response.content

    def laptop():  # the web UI without JavaScript: one form POST per entry
        client = Client()
        client.force_login(alice)
        for entry_id in ids[100:200]:
            response = client.post(f"/reader/entries/{entry_id}/action/", {"action": "read"})
            assert response.status_code == 302

    def tablet():  # mark-all-read up to the 60th entry it saw, through the service
        from reader import services

        for _ in range(5):
            services.mark_all_read(user=alice, subscription_id=sub.pk, max_entry_id=ids[59])

    errors = _in_threads([phone, laptop, tablet], timeout=120)
    assert not errors, errors

    listed = selectors.entry_list(user=alice, filters={"status": "unread"}, cursor=None, limit=100)
    unread = sorted(e.pk for e in getattr(listed, "entries", listed))
    assert unread == ids[200:]
    assert selectors.unread_counts(user=alice)["subscriptions"][sub.pk] == 40
    states = EntryState.objects.filter(user=alice).values_list("entry_id", flat=True)
    assert len(list(states)) == len(set(states))
