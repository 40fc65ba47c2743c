"""The fetch log: recording each fetch's outcome (what the worker writes) and reading it back.

Web and worker are separate processes (often on separate machines), so nothing
here keeps in-process counters: ``record_fetch`` writes one ``FetchLog`` row per
fetch (and the one structured log line), and every figure is computed from the
database when it is asked for. ``FetchLog`` rows older than ``FETCH_LOG_KEEP`` are
folded into ``FetchRollup`` totals so that the Prometheus counters and histogram
stay monotonic (the Prometheus data model for counters). The site-wide figures and
the Prometheus collector that read this log are in ``reader.project.site_figures``
and ``reader.project.operations``.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from feeds.models import FetchLog, FetchRollup

logger = logging.getLogger("tidings.fetch")

#: Upper bounds (seconds) of the fetch duration histogram.
DURATION_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
#: FetchLog rows younger than this stay as rows (the admin summary reads the last hour).
FETCH_LOG_KEEP = timedelta(hours=24)
#: Fold old rows into the rollup once every this many fetches, at most this many at a time.
ROLLUP_EVERY = 200
ROLLUP_BATCH = 5000
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


def bucket_label(bound: float) -> str:
    """The Prometheus ``le`` label of a histogram bound: ``"0.5"``, ``"+Inf"``."""
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
                bucket_label(b) for b in (*DURATION_BUCKETS, math.inf) if duration <= b
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


# --- Reading the log back --------------------------------------------------------


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


def fetch_totals() -> dict[str, dict]:
    """Every fetch ever recorded, per outcome: folded rollup rows plus the live log rows.

    Returns ``{outcome: {"count": int, "dur": float (seconds), "bytes": int, "new": int,
    "updated": int, "buckets": [int, ...]}}``; ``buckets`` counts the fetches at or below
    each bound of ``DURATION_BUCKETS`` and then ``+Inf`` (cumulative, Prometheus style).
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
                "buckets": [r.buckets.get(bucket_label(b), 0) for b in bounds],
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
