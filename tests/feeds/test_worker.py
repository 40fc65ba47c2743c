"""Real Celery worker processes refresh feeds end to end into the test database.

The worker is a child process on the configured broker (Redis); it reaches the
loopback feed server by IP (``FETCH_ALLOWED_NETWORKS=127.0.0.0/8`` in its
environment only). Rows are committed (``transaction=True``) so it sees them.
"""

from __future__ import annotations

import time

import pytest

from feeds.models import Feed
from feeds.tasks import refresh_due_feeds, refresh_feed
from tests.conftest import requires_postgres, requires_redis
from tests.factories import SubscriptionFactory
from tests.procs import start_worker, stop, wait_for

RSS = {"Content-Type": "application/rss+xml"}


def _rss(title: str, items: int) -> bytes:
    entries = "".join(
        f"<item><title>{title} {i}</title><link>https://w.example.org/{title}/{i}</link>"
        f"<guid>{title}-{i}</guid><pubDate>Mon, 02 Mar 2026 {i:02d}:00:00 +0000</pubDate></item>"
        for i in range(items)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>https://w.example.org/</link><description>d</description>{entries}</channel></rss>"
    ).encode()


@requires_postgres  # workers and the test write one database concurrently: PostgreSQL
@requires_redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_real_workers_refresh_due_feeds_and_single_feeds_end_to_end(
    project_env, feed_server, alice
):
    env = {**project_env, **feed_server.child_env()}
    feeds = []
    for name, items in (("alpha", 3), ("beta", 5), ("gamma", 2)):
        feed_server.add_route(f"/{name}.xml", body=_rss(name, items), headers=RSS, etag=f'"{name}"')
        feed = Feed.objects.create(url=feed_server.url(f"/{name}.xml", host="127.0.0.1"))
        feeds.append((feed, items))
    for feed, _ in feeds[:2]:
        SubscriptionFactory(user=alice, feed=feed)
    lone, lone_items = feeds[2]  # nobody subscribes: beat never picks it, a direct task does

    worker = start_worker(env, concurrency=2)
    try:
        refresh_due_feeds.delay()
        assert wait_for(lambda: all(f.entries.count() == n for f, n in feeds[:2]), timeout=90), [
            (f.url, f.entries.count()) for f, _ in feeds
        ]
        refresh_feed.delay(lone.pk)
        assert wait_for(lambda: lone.entries.count() == lone_items)
        assert feed_server.hits("/gamma.xml") == 1
        # The due feeds were each fetched once; a repeated beat finds nothing due.
        refresh_due_feeds.delay()
        refresh_feed.delay(feeds[0][0].pk)  # not due any more: a no-op
        refresh_feed.delay(feeds[1][0].pk, force=True)  # forced: a conditional GET, 304
        assert wait_for(lambda: feed_server.hits("/beta.xml") == 2)
        time.sleep(1.0)
    finally:
        stop(worker, timeout=30)

    assert feed_server.hits("/alpha.xml") == 1
    beta = Feed.objects.get(pk=feeds[1][0].pk)
    assert beta.last_status == 304 and beta.etag == '"beta"'
    for feed, items in feeds:
        feed.refresh_from_db()
        assert feed.entries.count() == items
        assert feed.error_count == 0 and feed.leased_until is None
