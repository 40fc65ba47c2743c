"""Thin Celery tasks of the feeds app: they take ids and call one service.

All are idempotent and acknowledged late (a worker killed mid-task gets its
message redelivered; reader/project/celery.py also sets ``task_reject_on_worker_lost``):
a second ``refresh_feed`` of the same feed finds it not due (or leased) and
does nothing; a second ``prune_entries`` finds nothing left to prune. Enqueue
with ``refresh_feed_enqueue`` so that a task created inside a transaction is
sent only once that transaction commits.

Every sender claims a feed before it sends its refresh (``scheduling.feeds_claim``,
``feeds_claim_due``), so a feed already queued or being refreshed is never queued twice,
on any broker. Many feeds at once (the scheduler, an OPML import) go as ``refresh_feeds``
batches: one message per up to ``FEED_REFRESH_BATCH`` feeds.

Queues: ``refresh_feed`` goes to ``feeds`` or ``interactive``, ``refresh_feeds`` to
``feeds``; the WebSub and
full-text tasks run on ``default``. The beat schedule (``refresh_due_feeds`` every
minute, ``prune_entries`` nightly, ``feeds.websub_renew_leases`` hourly) is in
reader/project/celery.py.

Each task imports its service when it runs: the services enqueue these tasks
(``refresh_feed_enqueue``, ``.delay``), so module-level imports would be a cycle.
"""

from __future__ import annotations

import logging
import math

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils.dateparse import parse_datetime
from kombu.exceptions import OperationalError

from feeds.models import Feed
from feeds.scheduling import feeds_claim, feeds_claim_due, feeds_unclaim

logger = logging.getLogger("tidings.fetch")

# Feeds claimed per statement by refresh_due_feeds, and the most per beat tick
# (a backlog larger than that drains over the next ticks).
CLAIM_BATCH = 500
CLAIM_MAX_PER_RUN = 10_000
# Feeds per refresh_feeds message at most (settings' FEED_REFRESH_BATCH overrides it), and the
# fewest messages a group of feeds is split into (refresh_batch_size).
REFRESH_BATCH = 20
BATCH_SPREAD = 4

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


@shared_task(name="feeds.tasks.refresh_feeds", acks_late=True, ignore_result=True)
def refresh_feeds(feed_ids: list[int]) -> dict[str, int]:
    """Refresh each of ``feed_ids`` in turn, as ``refresh_feed`` does (queue ``feeds``).

    The scheduler's and an OPML import's unit of work (``refresh_feeds_enqueue``): one
    message for up to ``FEED_REFRESH_BATCH`` feeds costs the broker one delivery instead
    of one per feed (the filesystem broker of ``make run`` hands out a few messages a
    second). Each feed is its own ``feed_refresh`` (its own lease and transactions); a
    feed whose refresh raises (a database error) is logged and the next one goes on, its
    lease expiring as after a crash. Idempotent: a redelivered batch finds its feeds not
    due and skips them. Returns outcome -> count; logs one INFO line
    ``refresh batch feeds=N ...`` (logger ``tidings.fetch``).
    """
    from feeds.services import feed_refresh

    outcomes: dict[str, int] = {}
    for feed_id in feed_ids:
        try:
            outcome = feed_refresh(feed_id=int(feed_id)).outcome
        except Exception:
            logger.exception("feed refresh raised feed_id=%s", feed_id)
            outcome = "error"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    summary = " ".join(f"{name}={count}" for name, count in sorted(outcomes.items()))
    logger.info("refresh batch feeds=%d %s", len(feed_ids), summary)
    return outcomes


def refresh_feed_enqueue(*, feed_id: int, force: bool = False, interactive: bool = False) -> None:
    """Send ``refresh_feed(feed_id)`` to its queue when the current transaction commits.

    ``interactive=True`` (someone is waiting: the first fetch of a feed a person just
    subscribed to, "refresh now"/retry) sends it to queue ``interactive``, which workers
    consume before ``feeds`` (reader/project/celery.py), so it does not wait behind the scheduler's
    or an OPML import's backlog; otherwise queue ``feeds``. Outside a transaction it is
    sent at once (``transaction.on_commit``).

    No duplicates: the feed is claimed first (``scheduling.feeds_claim``), so the scheduler
    does not queue it again while the task waits. Without ``force`` nothing is sent when the
    claim is refused (the feed is already queued or being refreshed, or not due: the task
    would be a no-op). A forced refresh (a person asked) is sent even then; the queued
    task it overtakes then finds the feed fresh and does nothing. When the broker is
    unreachable the send is logged and dropped, never raised into the caller (whose rows
    are already committed), and the claim is dropped: the scheduler enqueues the feed once
    the broker is back.
    """
    queue = INTERACTIVE_QUEUE if interactive else FEEDS_QUEUE
    transaction.on_commit(lambda: _claim_and_send(feed_id, force, queue))


def _claim_and_send(feed_id: int, force: bool, queue: str) -> None:
    claimed = feeds_claim(feed_ids=[feed_id])
    if not claimed and not force:
        logger.debug("feed %s already queued, running or not due: no refresh sent", feed_id)
        return
    try:
        refresh_feed.apply_async((feed_id,), {"force": force}, queue=queue)
    except OperationalError as exc:  # broker down: the scheduler is the safety net
        logger.warning("broker unavailable, refresh of feed %s not queued: %s", feed_id, exc)
        feeds_unclaim(feed_ids=claimed)


def refresh_batch_size(count: int) -> int:
    """Feeds per ``refresh_feeds`` message when ``count`` feeds are sent together.

    At most ``FEED_REFRESH_BATCH`` (20), and small enough that ``count`` feeds make at
    least ``BATCH_SPREAD`` (4) messages, so that a few due feeds still spread over the
    worker processes.
    """
    most = max(1, int(getattr(settings, "FEED_REFRESH_BATCH", REFRESH_BATCH)))
    return max(1, min(most, math.ceil(count / BATCH_SPREAD)))


def refresh_feeds_send(feed_ids: list[int], *, queue: str = FEEDS_QUEUE) -> int:
    """Send already claimed ``feed_ids`` as ``refresh_feeds`` batches; returns how many sent.

    Batches of ``refresh_batch_size(len(feed_ids))``, in the given order. A batch the
    broker refuses (unreachable) is logged, its claims dropped (``feeds_unclaim``) and
    not counted; the next batches are still tried.
    """
    size = refresh_batch_size(len(feed_ids))
    sent = 0
    for start in range(0, len(feed_ids), size):
        batch = feed_ids[start : start + size]
        try:
            refresh_feeds.apply_async((batch,), queue=queue)
            sent += len(batch)
        except OperationalError as exc:
            logger.warning("broker unavailable, %d refreshes not queued: %s", len(batch), exc)
            feeds_unclaim(feed_ids=batch)
    return sent


def refresh_feeds_enqueue(*, feed_ids: list[int]) -> int:
    """Claim those of ``feed_ids`` that are due and unclaimed, and send them in batches.

    For many feeds at once (an OPML import's new feeds): ``scheduling.feeds_claim`` (no
    feed already queued or running is sent again), then ``refresh_feeds_send`` to queue
    ``feeds``. Runs at once, not on commit: call it after the feeds' rows are committed.
    Returns how many feeds were sent.
    """
    return refresh_feeds_send(feeds_claim(feed_ids=feed_ids))


@shared_task(name="feeds.tasks.refresh_due_feeds", acks_late=True, ignore_result=True)
def refresh_due_feeds() -> int:
    """Beat, every minute: claim due feeds (skip locked) and send them as ``refresh_feeds``.

    Returns how many feeds were sent. A claimed feed is never claimed again while its
    task waits (``scheduling.claim_lease_seconds``); a claim whose task never runs
    expires and the feed is claimed again.
    """
    total = 0
    while total < CLAIM_MAX_PER_RUN:
        ids = feeds_claim_due(limit=CLAIM_BATCH)
        total += refresh_feeds_send(ids)
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
