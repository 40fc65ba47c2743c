"""Thin Celery tasks of the feeds app: they take ids and call one service.

All are idempotent and acknowledged late (a worker killed mid-task gets its
message redelivered; reader/project/celery.py also sets ``task_reject_on_worker_lost``):
a second ``refresh_feed`` of the same feed finds it not due (or leased) and
does nothing; a second ``prune_entries`` finds nothing left to prune. Enqueue
with ``refresh_feed_enqueue`` so that a task created inside a transaction is
sent only once that transaction commits.

Queues: ``refresh_feed`` goes to ``feeds`` or ``interactive``, ``refresh_feeds`` (the
scheduler's batches of due feeds) to ``feeds``; the WebSub and full-text tasks run on
``default``. The beat schedule (``refresh_due_feeds`` every
minute, ``prune_entries`` nightly, ``feeds.websub_renew_leases`` hourly) is in
reader/project/celery.py.

Each task imports its service when it runs: the services enqueue these tasks
(``refresh_feed_enqueue``, ``.delay``), so module-level imports would be a cycle.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils.dateparse import parse_datetime
from kombu.exceptions import OperationalError

from feeds.models import Feed
from feeds.scheduling import feeds_claim_due

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


@shared_task(name="feeds.tasks.refresh_feeds", acks_late=True, ignore_result=True)
def refresh_feeds(feed_ids: list[int]) -> int:
    """Refresh the due feeds ``feed_ids`` one after another (queue ``feeds``); returns how many
    were refreshed (not skipped).

    The scheduler's task (``refresh_due_feeds`` sends batches of ``FEED_REFRESH_BATCH`` ids):
    the cost of one task (publish, delivery, acknowledgement, Celery's set-up) is paid once per
    batch instead of once per feed, which was most of a 304's cost (bench.production). Each
    feed is ``feed_refresh(feed_id=...)`` as ``refresh_feed`` runs it, with its own lease, so a
    duplicate or redelivered batch is a no-op for the feeds already done. A database error of
    one feed is logged and the next feed goes on (that feed's lease expires and it is due
    again).
    """
    from feeds.services import feed_refresh
    from feeds.services.results import SKIPPED

    refreshed = 0
    for feed_id in feed_ids:
        try:
            outcome = feed_refresh(feed_id=int(feed_id)).outcome
        except DatabaseError:
            logger.exception("feed refresh failed on the database feed_id=%s", feed_id)
            continue
        refreshed += outcome != SKIPPED
    return refreshed


def _send_batch(feed_ids: list[int]) -> None:
    try:
        refresh_feeds.apply_async((feed_ids,), queue=FEEDS_QUEUE)
    except OperationalError as exc:  # broker down: the claims expire, the scheduler retries
        logger.warning("broker unavailable, refresh of %s feeds not queued: %s", len(feed_ids), exc)


@shared_task(name="feeds.tasks.refresh_due_feeds", acks_late=True, ignore_result=True)
def refresh_due_feeds() -> int:
    """Beat, every minute: claim due feeds (skip locked) and enqueue them in ``refresh_feeds``
    tasks of at most ``settings.FEED_REFRESH_BATCH`` feeds each (queue ``feeds``).

    Returns how many feeds were enqueued. A claim whose task never runs expires
    (``scheduling.CLAIM_LEASE_SECONDS``) and the feed is claimed again. Batches are sent
    when the claim's transaction has committed (``feeds_claim_due`` commits its own).
    """
    batch = max(1, int(settings.FEED_REFRESH_BATCH))
    total = 0
    while total < CLAIM_MAX_PER_RUN:
        ids = feeds_claim_due(limit=CLAIM_BATCH)
        for start in range(0, len(ids), batch):
            chunk = ids[start : start + batch]
            transaction.on_commit(lambda chunk=chunk: _send_batch(chunk))
        total += len(ids)
        if len(ids) < CLAIM_BATCH:
            break
    return total


@shared_task(name="feeds.tasks.prune_entries", acks_late=True, ignore_result=True)
def prune_entries() -> int:
    """Nightly: delete entries older than FEED_RETENTION_DAYS that nobody starred (tombstoned)."""
    from feeds.services import entries_prune

    return entries_prune(older_than_days=settings.FEED_RETENTION_DAYS)


# --- WebSub and full text --------------------------------------------------------


@shared_task(name="feeds.websub_subscribe", acks_late=True, ignore_result=True)
def websub_subscribe_task(feed_id: int, hub: str, topic: str) -> str:
    """Send a WebSub subscription request (``feeds.websub.websub_subscribe``); returns the state."""
    from feeds.websub import websub_subscribe

    try:
        return websub_subscribe(feed_id=feed_id, hub=hub, topic=topic).state
    except Feed.DoesNotExist:
        return "gone"


@shared_task(name="feeds.websub_unsubscribe", acks_late=True, ignore_result=True)
def websub_unsubscribe_task(feed_id: int) -> str:
    """End the WebSub subscription of a feed nobody wants (``feeds.websub.websub_unsubscribe``)."""
    from feeds.websub import websub_unsubscribe

    sub = websub_unsubscribe(feed_id=feed_id)
    return sub.state if sub else "none"


@shared_task(name="feeds.websub_renew_leases", acks_late=True, ignore_result=True)
def websub_renew_leases() -> dict:
    """Beat, hourly: renew WebSub leases before they end (``feeds.websub.websub_renew_due``)."""
    from feeds.websub import websub_renew_due

    return websub_renew_due()


@shared_task(name="feeds.fulltext_extract_new", acks_late=True, ignore_result=True)
def fulltext_extract_new_task(feed_id: int, since: str) -> int:
    """Extract full text of a feed's entries first seen since ``since`` (ISO 8601)."""
    from feeds.fulltext import fulltext_extract_new

    when = parse_datetime(since)
    if when is None:
        return 0
    return fulltext_extract_new(feed_id=feed_id, since=when)
