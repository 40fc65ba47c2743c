"""Queue ``interactive``: a refresh someone waits for does not wait behind the ``feeds`` backlog.

A real worker (``-Q interactive,feeds,default``, Redis ``queue_order_strategy: "priority"``)
has 50 slow refreshes queued on ``feeds`` (an OPML import's or the scheduler's); a person then
subscribes to a new feed, whose first fetch goes to ``interactive`` and is stored long before
the backlog drains.
"""

from __future__ import annotations

import time

import pytest
from django.conf import settings

from feeds.models import Feed
from feeds.tasks import refresh_feed_enqueue
from reader import services
from tests.conftest import requires_redis
from tests.feeds.test_worker import RSS, _rss
from tests.procs import start_worker, stop, wait_for

BACKLOG = 50
SLOW_SECONDS = 0.3


@pytest.fixture
def empty_broker():
    """Empty this run's Redis database (REDIS_URL) before and after: no stray messages."""
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@requires_redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_new_subscription_is_fetched_before_the_feeds_backlog_drains(
    project_env, feed_server, bob, empty_broker, settings
):
    settings.FETCH_ALLOWED_NETWORKS = ["127.0.0.0/8"]  # as the worker's child_env()
    body = _rss("slow", 2)

    def slow(_request):
        time.sleep(SLOW_SECONDS)
        return {"status": 200, "headers": RSS, "body": body}

    feed_server.add_route("/slow.xml", handler=slow)
    feed_server.add_route("/new.xml", body=_rss("new", 3), headers=RSS)
    slow_feed = Feed.objects.create(url=feed_server.url("/slow.xml", host="127.0.0.1"))
    for _ in range(BACKLOG):  # forced: each one fetches again, SLOW_SECONDS or more apiece
        refresh_feed_enqueue(feed_id=slow_feed.pk, force=True)
    assert empty_broker.llen("feeds") == BACKLOG

    worker = start_worker(project_env | feed_server.child_env(), concurrency=1)
    try:
        assert wait_for(lambda: feed_server.hits("/slow.xml") >= 1, timeout=60)
        sub = services.subscription_create(
            user=bob, url=feed_server.url("/new.xml", host="127.0.0.1"), discover=False
        )
        assert wait_for(lambda: sub.feed.entries.count() == 3, timeout=30)
        done = feed_server.hits("/slow.xml")
        assert done < 10, f"the interactive refresh waited behind {done} backlog refreshes"
        assert empty_broker.llen("feeds") > BACKLOG - 15  # the backlog is still there
    finally:
        stop(worker, timeout=30)
