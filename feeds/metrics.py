"""Fetch outcomes and the operational figures behind the admin summary and ``/metrics``.

Web and worker are separate processes (often on separate machines), so nothing
here keeps in-process counters: ``record_fetch`` writes one ``FetchLog`` row per
fetch (and the one structured log line), and every figure is computed from the
database or the broker when it is asked for. ``FetchLog`` rows older than
``FETCH_LOG_KEEP`` are folded into ``FetchRollup`` totals so that the Prometheus
counters and histogram stay monotonic (the Prometheus data model for counters).
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)

from feeds.models import Entry, Feed, FetchLog, FetchRollup

logger = logging.getLogger("tidings.fetch")

#: Upper bounds (seconds) of the fetch duration histogram.
DURATION_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
#: FetchLog rows younger than this stay as rows (the admin summary reads the last hour).
FETCH_LOG_KEEP = timedelta(hours=24)
#: Fold old rows into the rollup once every this many fetches, at most this many at a time.
ROLLUP_EVERY = 200
ROLLUP_BATCH = 5000
#: Celery queues of Tidings (see reader/celery.py).
QUEUES = ("interactive", "feeds", "default")
#: Outcomes that are not errors.
SUCCESS_OUTCOMES = ("ok", "not_modified")


def record_fetch(
    *,
    feed_id: int | None,
    outcome: str,
    status: int | None = None,
    duration: float = 0.0,
    bytes_: int = 0,
    new: int = 0,
    updated: int = 0,
    error: str = "",
    log: bool = True,
) -> FetchLog | None:
    """Record one fetch of one feed and log it as one structured INFO line.

    ``outcome``: "ok" (fetched and parsed), "not_modified" (304), or an error kind
    (FetchError kinds: invalid_url, blocked, dns, connect, timeout, tls, too_large,
    too_many_redirects, http, gone, rate_limited; or "parse", "not_a_feed", "error").
    ``status``: HTTP status or None; ``duration``: seconds of the whole refresh;
    ``bytes_``: body size after decompression; ``new``/``updated``: entries stored.
    ``error``: the readable message for failures. ``log=False`` skips the log line
    (for a caller that already wrote its own line for this fetch).

    Never raises: a metrics failure must not fail a refresh (the write runs in a
    savepoint, so a caller's transaction survives it). Returns the row, or None.
    """
    if log:
        _log_fetch(feed_id, outcome, status, duration, bytes_, new, updated, error)
    try:
        with transaction.atomic():
            row = FetchLog.objects.create(
                feed_id=feed_id,
                outcome=outcome[:32],
                status=status,
                duration=max(duration, 0.0),
                bytes=bytes_,
                new=new,
                updated=updated,
                error=error[:2000],
            )
        if row.pk % ROLLUP_EVERY == 0:
            fetchlog_rollup()
        return row
    except Exception:
        logger.exception("could not record the fetch of feed %s", feed_id)
        return None


def _log_fetch(feed_id, outcome, status, duration, bytes_, new, updated, error) -> None:
    """The one INFO line of a fetch: key=value text, the same fields as ``extra`` (JSON logs)."""
    logger.info(
        "fetch feed=%s outcome=%s status=%s duration=%.3f bytes=%d new=%d updated=%d%s",
        feed_id,
        outcome,
        status if status is not None else "-",
        duration,
        bytes_,
        new,
        updated,
        f" error={error!r}" if error else "",
        extra={
            "feed_id": feed_id,
            "outcome": outcome,
            "status": status,
            "duration": round(duration, 4),
            "bytes": bytes_,
            "new": new,
            "updated": updated,
        },
    )


def _bucket_label(bound: float) -> str:
    return "+Inf" if math.isinf(bound) else repr(float(bound))


def fetchlog_rollup(*, older_than: datetime | None = None, batch: int = ROLLUP_BATCH) -> int:
    """Fold up to ``batch`` FetchLog rows older than ``older_than`` into FetchRollup.

    Default cutoff: now minus FETCH_LOG_KEEP. Concurrent calls never count a row
    twice (rows are claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite
    serializes writers). Returns the number of rows folded.
    """
    cutoff = older_than or timezone.now() - FETCH_LOG_KEEP
    with transaction.atomic():
        rows = list(
            FetchLog.objects.filter(at__lt=cutoff)
            .order_by("id")
            .select_for_update(skip_locked=True)
            .values_list("id", "outcome", "duration", "bytes", "new", "updated")[:batch]
        )
        if not rows:
            return 0
        totals: dict[str, dict] = {}
        for _id, outcome, duration, size, new, updated in rows:
            t = totals.setdefault(outcome, {"count": 0, "dur": 0.0, "b": 0, "n": 0, "u": 0})
            t["count"] += 1
            t["dur"] += duration
            t["b"] += size
            t["n"] += new
            t["u"] += updated
            t.setdefault("buckets", Counter()).update(
                _bucket_label(b) for b in (*DURATION_BUCKETS, math.inf) if duration <= b
            )
        FetchRollup.objects.bulk_create(
            [FetchRollup(outcome=o) for o in totals], ignore_conflicts=True
        )
        for rollup in FetchRollup.objects.select_for_update().filter(outcome__in=totals):
            t = totals[rollup.outcome]
            rollup.count += t["count"]
            rollup.duration_sum += t["dur"]
            rollup.bytes_sum += t["b"]
            rollup.new_sum += t["n"]
            rollup.updated_sum += t["u"]
            merged = Counter(rollup.buckets) + t["buckets"]
            rollup.buckets = dict(merged)
            rollup.save()
        FetchLog.objects.filter(id__in=[r[0] for r in rows]).delete()
    return len(rows)


# --- Figures ----------------------------------------------------------------------


def feed_counts(*, now: datetime | None = None) -> dict[str, int]:
    """``{"total", "due", "failing", "disabled", "unsubscribed"}`` feed counts, in one query.

    ``due``: what the scheduler would claim now (``feeds.scheduling.due_feeds``:
    wanted, enabled, next fetch time passed, not leased); ``failing``: enabled with
    at least one consecutive error; ``unsubscribed``: no subscriber at all.
    """
    from feeds.scheduling import due_feeds

    now = now or timezone.now()
    subscription = Feed._meta.get_field("subscriptions").related_model
    has_subscriber = Exists(subscription.objects.filter(feed=OuterRef("pk")))
    due = due_feeds(now=now).filter(pk=OuterRef("pk"))
    return Feed.objects.aggregate(
        total=Count("pk"),
        due=Count("pk", filter=Q(Exists(due))),
        failing=Count("pk", filter=Q(disabled=False, error_count__gt=0)),
        disabled=Count("pk", filter=Q(disabled=True)),
        unsubscribed=Count("pk", filter=~Q(has_subscriber)),
    )


def fetch_stats(*, since: datetime) -> dict:
    """Fetches recorded since ``since``: ``{"total": int, "by_outcome": {outcome: n},
    "errors": {kind: n}, "new": int, "updated": int}`` (errors sorted by count, descending)."""
    rows = (
        FetchLog.objects.filter(at__gte=since)
        .values("outcome")
        .annotate(n=Count("id"), new=Sum("new"), updated=Sum("updated"))
        .order_by("-n", "outcome")
    )
    by_outcome = {r["outcome"]: r["n"] for r in rows}
    return {
        "total": sum(by_outcome.values()),
        "by_outcome": by_outcome,
        "errors": {k: v for k, v in by_outcome.items() if k not in SUCCESS_OUTCOMES},
        "new": sum(r["new"] or 0 for r in rows),
        "updated": sum(r["updated"] or 0 for r in rows),
    }


def queue_lengths() -> dict[str, int] | None:
    """Messages waiting per Celery queue, ``{"interactive": n, "feeds": n, "default": n}``.

    Redis broker: the sum of LLEN over the queue's priority lists (kombu's layout).
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
    import redis
    from kombu.transport.redis import PRIORITY_STEPS, Channel

    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        pipe = client.pipeline()
        for queue in QUEUES:
            for pri in PRIORITY_STEPS:
                pipe.llen(f"{queue}{Channel.sep}{pri}" if pri else queue)
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


def heartbeat_ages() -> dict[str, float | None]:
    """Seconds since the worker and beat heartbeats (reader.health), None if never seen."""
    from reader.health import heartbeat_age

    return {name: heartbeat_age(name) for name in ("worker", "beat")}


# --- Prometheus -------------------------------------------------------------------


def _fetch_totals() -> dict[str, dict]:
    """Per outcome: count, sums and cumulative duration buckets, rollup + live rows.

    Read in one snapshot (REPEATABLE READ on PostgreSQL when not already in a
    transaction) so a concurrent rollup is never counted twice or missed.
    """
    bounds = (*DURATION_BUCKETS, math.inf)
    bucket_aggs = {
        f"le{i}": Count("id", filter=Q(duration__lte=b)) for i, b in enumerate(DURATION_BUCKETS)
    }
    outer = connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and not outer:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        live = (
            FetchLog.objects.values("outcome")
            .annotate(
                n=Count("id"),
                dur=Sum("duration"),
                b=Sum("bytes"),
                new=Sum("new"),
                upd=Sum("updated"),
                **bucket_aggs,
            )
            .order_by()
        )
        totals: dict[str, dict] = {}
        for r in FetchRollup.objects.all():
            totals[r.outcome] = {
                "count": r.count,
                "dur": r.duration_sum,
                "bytes": r.bytes_sum,
                "new": r.new_sum,
                "updated": r.updated_sum,
                "buckets": [r.buckets.get(_bucket_label(b), 0) for b in bounds],
            }
        for r in live:
            t = totals.setdefault(
                r["outcome"],
                {"count": 0, "dur": 0.0, "bytes": 0, "new": 0, "updated": 0, "buckets": None},
            )
            live_buckets = [r[f"le{i}"] for i in range(len(DURATION_BUCKETS))] + [r["n"]]
            old = t["buckets"] or [0] * len(bounds)
            t["buckets"] = [a + b for a, b in zip(old, live_buckets, strict=True)]
            t["count"] += r["n"]
            t["dur"] += r["dur"] or 0.0
            t["bytes"] += r["b"] or 0
            t["new"] += r["new"] or 0
            t["updated"] += r["upd"] or 0
    return totals


class TidingsCollector:
    """A prometheus_client collector that computes every figure at scrape time.

    Exposes ``tidings_fetches_total{outcome}``, ``tidings_fetch_duration_seconds``
    (histogram over every recorded fetch), ``tidings_fetch_bytes_total``,
    ``tidings_fetch_entries_total{kind=new|updated}``, ``tidings_entries``,
    ``tidings_feeds{state}``, ``tidings_feeds_due``, ``tidings_queue_length{queue}``
    and ``tidings_heartbeat_age_seconds{process}``.
    """

    def collect(self) -> Iterator:
        """Yield the metric families (queries the database and the broker)."""
        yield from self._fetch_families()
        counts = feed_counts()
        feeds = GaugeMetricFamily("tidings_feeds", "Feeds by state.", labels=["state"])
        for state in ("total", "failing", "disabled", "unsubscribed"):
            feeds.add_metric([state], counts[state])
        yield feeds
        yield GaugeMetricFamily("tidings_feeds_due", "Feeds due for a fetch now.", counts["due"])
        yield GaugeMetricFamily("tidings_entries", "Entries stored.", entries_stored())
        queues = GaugeMetricFamily(
            "tidings_queue_length", "Messages waiting in a Celery queue.", labels=["queue"]
        )
        for queue, length in (queue_lengths() or {}).items():
            queues.add_metric([queue], length)
        yield queues
        ages = GaugeMetricFamily(
            "tidings_heartbeat_age_seconds",
            "Seconds since a background process was last seen.",
            labels=["process"],
        )
        for name, age in heartbeat_ages().items():
            if age is not None:
                ages.add_metric([name], age)
        yield ages

    def _fetch_families(self) -> Iterator:
        totals = _fetch_totals()
        fetches = CounterMetricFamily(
            "tidings_fetches", "Feed fetches by outcome.", labels=["outcome"]
        )
        size = CounterMetricFamily("tidings_fetch_bytes", "Bytes fetched (decompressed).")
        entries = CounterMetricFamily(
            "tidings_fetch_entries", "Entries stored by fetches.", labels=["kind"]
        )
        duration = HistogramMetricFamily(
            "tidings_fetch_duration_seconds", "Duration of feed refreshes."
        )
        for outcome, t in sorted(totals.items()):
            fetches.add_metric([outcome], t["count"])
        size.add_metric([], sum(t["bytes"] for t in totals.values()))
        entries.add_metric(["new"], sum(t["new"] for t in totals.values()))
        entries.add_metric(["updated"], sum(t["updated"] for t in totals.values()))
        bounds = [*DURATION_BUCKETS, math.inf]
        cumulative = [0] * len(bounds)
        for t in totals.values():
            cumulative = [a + b for a, b in zip(cumulative, t["buckets"], strict=True)]
        duration.add_metric(
            [],
            buckets=[(_bucket_label(b), c) for b, c in zip(bounds, cumulative, strict=True)],
            sum_value=sum(t["dur"] for t in totals.values()),
        )
        yield from (fetches, size, entries, duration)
