"""Site-wide figures: feed counts, entries stored, queue lengths, and the admin summary.

Web and worker are separate processes (often on separate machines), so every figure
is computed from the database or the broker when it is asked for; nothing here keeps
in-process counters. ``/metrics`` (``reader.project.operations``) and the admin
summary page read these.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

import redis
from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from kombu.transport.redis import PRIORITY_STEPS, Channel

from feeds.fetch_log import fetch_stats
from feeds.models import Entry, Feed
from feeds.scheduling import due_feeds
from reader.models import Subscription
from reader.project.celery import QUEUES
from reader.project.health import heartbeat_ages

logger = logging.getLogger("tidings.fetch")


def feed_counts(*, now: datetime | None = None) -> dict[str, int]:
    """``{"total", "due", "failing", "disabled", "unsubscribed"}`` feed counts, in one query.

    ``due``: what the scheduler would claim now (``feeds.scheduling.due_feeds``:
    wanted, enabled, next fetch time passed, not leased); ``failing``: enabled with
    at least one consecutive error; ``unsubscribed``: no subscriber at all.
    """
    now = now or timezone.now()
    has_subscriber = Exists(Subscription.objects.filter(feed=OuterRef("pk")))
    due = due_feeds(now=now).filter(pk=OuterRef("pk"))
    return Feed.objects.aggregate(
        total=Count("pk"),
        due=Count("pk", filter=Q(Exists(due))),
        failing=Count("pk", filter=Q(disabled=False, error_count__gt=0)),
        disabled=Count("pk", filter=Q(disabled=True)),
        unsubscribed=Count("pk", filter=~Q(has_subscriber)),
    )


def queue_lengths() -> dict[str, int] | None:
    """Messages waiting per Celery queue, ``{"interactive": n, "feeds": n, "default": n}``.

    Redis broker: the sum of LLEN over the queue's priority lists (kombu's layout, under
    the broker's ``global_keyprefix`` if any).
    Filesystem broker (``make run``): message files in the queue folder. Returns
    None for another broker or when the broker cannot be reached.
    """
    url = settings.CELERY_BROKER_URL
    try:
        if url.startswith(("redis://", "rediss://", "unix://")):
            return _redis_queue_lengths(url)
        if url.startswith("filesystem://"):
            return _filesystem_queue_lengths()
    except Exception:
        logger.warning("could not read the queue lengths", exc_info=True)
    return None


def _redis_queue_lengths(url: str) -> dict[str, int]:
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    prefix = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("global_keyprefix", "")
    try:
        pipe = client.pipeline()
        for queue in QUEUES:
            for pri in PRIORITY_STEPS:
                pipe.llen(prefix + (f"{queue}{Channel.sep}{pri}" if pri else queue))
        counts = pipe.execute()
    finally:
        client.close()
    steps = len(PRIORITY_STEPS)
    return {q: sum(counts[i * steps : (i + 1) * steps]) for i, q in enumerate(QUEUES)}


def _filesystem_queue_lengths() -> dict[str, int]:
    folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
    names = [p.name for p in folder.iterdir()] if folder.is_dir() else []
    return {q: sum(1 for n in names if n.partition(".")[2] == f"{q}.msg") for q in QUEUES}


def entries_stored() -> int:
    """Rows in the entries table: exact below a million, else PostgreSQL's estimate (cheap)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                [Entry._meta.db_table],
            )
            row = cursor.fetchone()
        if row and row[0] > 1_000_000:
            return int(row[0])
    return Entry.objects.count()


def health_summary(*, now: datetime | None = None) -> dict:
    """The admin summary: feed counts, fetches of the last hour, errors by kind, queues, heartbeats.

    Returns ``{"feeds": {"total", "due", "failing", "disabled", "unsubscribed"},
    "fetches": {"total", "by_outcome", "errors", "new", "updated"} (last hour),
    "queues": {"interactive": n, "feeds": n, "default": n} or None, "heartbeats": {"worker": s|None,
    "beat": s|None}, "now": now}``.
    """
    now = now or timezone.now()
    return {
        "feeds": feed_counts(now=now),
        "fetches": fetch_stats(since=now - timedelta(hours=1)),
        "queues": queue_lengths(),
        "heartbeats": heartbeat_ages(),
        "now": now,
    }
