"""Thin Celery tasks of the feeds app: they take ids and call one service.

All are idempotent and acknowledged late (a worker killed mid-task gets its
message redelivered; reader/project/celery.py also sets ``task_reject_on_worker_lost``):
a second ``refresh_feed`` of the same feed finds it not due (or leased) and
does nothing; a second ``prune_entries`` finds nothing left to prune.
Services are imported inside the tasks so that the worker starts (and other
tasks run) even while a pipeline module fails to import. Enqueue with
``refresh_feed_enqueue`` so that a task created inside a
transaction is sent only once that transaction commits.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger("tidings.fetch")

# Feeds claimed per statement by refresh_due_feeds, and the most per beat tick
# (a backlog larger than that drains over the next ticks).
CLAIM_BATCH = 500
CLAIM_MAX_PER_RUN = 10_000

# Queues of refresh_feed (reader/project/celery.py): workers list INTERACTIVE_QUEUE first.
FEEDS_QUEUE = "feeds"
INTERACTIVE_QUEUE = "interactive"


@shared_task(name="feeds.tasks.refresh_feed", acks_late=True, ignore_result=True)
def refresh_feed(feed_id: int, force: bool = False) -> str:
    """Refresh one feed (queue ``feeds``, or ``interactive``: see ``refresh_feed_enqueue``).

    ``force`` ignores the schedule but not a host's Retry-After, a disabled
    feed, or a refresh in flight (see ``services.feed_refresh``).
    """
    from feeds.services import feed_refresh

    return feed_refresh(feed_id=feed_id, force=force).outcome


def refresh_feed_enqueue(*, feed_id: int, force: bool = False, interactive: bool = False) -> None:
    """Send ``refresh_feed(feed_id)`` to its queue when the current transaction commits.

    ``interactive=True`` (someone is waiting: the first fetch of a feed a person just
    subscribed to, "refresh now"/retry) sends it to queue ``interactive``, which workers
    consume before ``feeds`` (reader/project/celery.py), so it does not wait behind the scheduler's
    or an OPML import's backlog; otherwise queue ``feeds``. Outside a transaction it is
    sent at once (``transaction.on_commit``). When the broker is unreachable the send is
    logged and dropped, never raised into the caller (whose rows are already committed):
    the feed stays due, or its claim expires, and the scheduler enqueues it once the
    broker is back.
    """
    queue = INTERACTIVE_QUEUE if interactive else FEEDS_QUEUE
    transaction.on_commit(lambda: _send_refresh(feed_id, force, queue))


def _send_refresh(feed_id: int, force: bool, queue: str) -> None:
    try:
        refresh_feed.apply_async((feed_id,), {"force": force}, queue=queue)
    except OperationalError as exc:  # broker down: the scheduler is the safety net
        logger.warning("broker unavailable, refresh of feed %s not queued: %s", feed_id, exc)


@shared_task(name="feeds.tasks.refresh_due_feeds", acks_late=True, ignore_result=True)
def refresh_due_feeds() -> int:
    """Beat, every minute: claim due feeds (skip locked) and enqueue one ``refresh_feed`` each.

    Returns how many were enqueued. A claim whose task never runs expires
    (``scheduling.CLAIM_LEASE_SECONDS``) and the feed is claimed again.
    """
    from feeds.scheduling import feeds_claim_due

    total = 0
    while total < CLAIM_MAX_PER_RUN:
        ids = feeds_claim_due(limit=CLAIM_BATCH)
        for feed_id in ids:
            refresh_feed_enqueue(feed_id=feed_id)
        total += len(ids)
        if len(ids) < CLAIM_BATCH:
            break
    return total


@shared_task(name="feeds.tasks.prune_entries", acks_late=True, ignore_result=True)
def prune_entries() -> int:
    """Nightly: delete entries older than FEED_RETENTION_DAYS that nobody starred (tombstoned)."""
    from feeds.services import entries_prune

    return entries_prune(older_than_days=settings.FEED_RETENTION_DAYS)


# Issue 11 part A (H10): WebSub and full-text tasks live in feeds.background; importing it
# here registers them wherever Celery autodiscovers this module.
from feeds import background  # noqa: E402, F401
