"""What a fetch writes on its feed: success and failure fields, back-off, and the FetchLog row.

``bookkeep`` writes both in ONE statement on PostgreSQL (the feed's UPDATE and the
fetch log INSERT); ``record_failure`` decides the back-off, the disabling and the
readable error of a failed fetch (cases/README.md rule 7).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from feeds import scheduling
from feeds.fetch_log import ROLLUP_EVERY, fetchlog_rollup, record_fetch
from feeds.models import Feed, FetchLog
from feeds.services.failure_texts import KIND_TEXT, status_text
from feeds.services.results import RATE_LIMITED, RefreshResult

__all__ = ["bookkeep", "record_failure", "success_fields"]

logger = logging.getLogger("tidings.fetch")


def bookkeep(feed_id: int, fields: dict, result: RefreshResult) -> None:
    """Write a fetch's bookkeeping on the feed (``UPDATE`` of ``fields``, as
    ``Feed.objects.filter(pk=feed_id).update(**fields)``) and its FetchLog row, which
    ``feeds.metrics.record_fetch`` would write for ``result``.

    PostgreSQL: ONE statement, ``WITH bookkept AS (UPDATE feeds_feed ...) INSERT INTO
    feeds_fetchlog ... RETURNING id``, committed asynchronously like the rest of fetch
    bookkeeping (``scheduling.ASYNC_COMMIT_COLUMN``; in autocommit it is its own
    transaction, no BEGIN/SET/SAVEPOINT/COMMIT round trips). The FetchLog part cannot
    fail on its own (no foreign key, values cut to their column sizes as record_fetch
    does), so folding it in does not let metrics fail a refresh. Every
    ``metrics.ROLLUP_EVERY``-th row folds old rows after commit, as record_fetch does.
    Elsewhere (SQLite): the UPDATE, then ``record_fetch``. Raises database errors.
    """
    if connection.vendor != "postgresql":
        with scheduling.relaxed_transaction():
            Feed.objects.filter(pk=feed_id).update(**fields)
        record_fetch(
            feed_id=result.feed_id,
            outcome=result.outcome,
            status=result.status,
            duration=result.duration,
            bytes_=result.bytes,
            new=result.new,
            updated=result.updated,
            error=result.error,
            log=False,
        )
        return
    quote = connection.ops.quote_name
    sets, params = [], []
    for name, value in fields.items():
        field = Feed._meta.get_field(name)
        sets.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    params.append(feed_id)
    log = {
        "feed_id": result.feed_id,
        "at": timezone.now(),
        "outcome": result.outcome[:32],
        "status": result.status,
        "duration": max(result.duration, 0.0),
        "bytes": result.bytes,
        "new": result.new,
        "updated": result.updated,
        "error": result.error[:2000],
    }
    params.extend(log.values())
    sql = (
        f"WITH bookkept AS (UPDATE {quote(Feed._meta.db_table)} SET {', '.join(sets)} "  # noqa: S608
        f"WHERE id = %s RETURNING id) "
        f"INSERT INTO {quote(FetchLog._meta.db_table)} ({', '.join(quote(c) for c in log)}) "
        f"VALUES ({', '.join(['%s'] * len(log))}) RETURNING id{scheduling.ASYNC_COMMIT_COLUMN}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row_id = cursor.fetchone()[0]
    if row_id % ROLLUP_EVERY == 0:
        transaction.on_commit(_rollup)


def _rollup() -> None:
    """``metrics.fetchlog_rollup`` that never fails a refresh (as in ``record_fetch``)."""
    try:
        fetchlog_rollup()
    except Exception:
        logger.exception("could not fold old fetch log rows")


def success_fields(*, now: datetime, status: int, next_at: datetime, interval: int) -> dict:
    """The Feed fields a successful fetch writes (errors cleared, lease released);
    ``interval`` in seconds."""
    return {
        "last_fetched_at": now,
        "last_success_at": now,
        "last_status": status,
        "last_error": "",
        "last_error_kind": "",
        "error_count": 0,
        "first_error_at": None,
        "fetch_interval": interval,
        "next_fetch_at": next_at,
        "leased_until": None,
        "updated_at": now,
    }


def record_failure(
    feed: Feed,
    *,
    now: datetime,
    started: float,
    kind: str,
    message: str,
    status: int | None = None,
    retry_after: datetime | None = None,
    fetched=None,
) -> RefreshResult:
    """Record a failure on the feed and its FetchLog row (one statement, ``bookkeep``; plus
    the host's feeds on 429/503) and back off.

    410 disables the feed with a reason. 429/503 wait for Retry-After clamped
    to [interval, 24 h] (host-wide). Everything else backs off exponentially
    (``scheduling.backoff_seconds``). Entries are never touched.
    """
    errors = feed.error_count + 1
    interval = feed.fetch_interval
    fields = {
        "last_fetched_at": now,
        "last_status": status,
        "last_error_kind": kind,
        "error_count": errors,
        "first_error_at": feed.first_error_at or now,
        "leased_until": None,
        "updated_at": now,
    }
    if kind == RATE_LIMITED:
        delay = scheduling.retry_after_seconds(retry_after=retry_after, now=now, interval=interval)
        if retry_after is None:  # no usable Retry-After: back off like any error
            delay = scheduling.backoff_seconds(
                error_count=errors, interval=interval, feed_id=feed.pk
            )
        next_at = now + timedelta(seconds=delay)
        message = (
            f"{status_text(status)}rate limited by the server; "
            f"next attempt at {next_at:%Y-%m-%d %H:%M} UTC."
        )
    else:
        delay = scheduling.backoff_seconds(error_count=errors, interval=interval, feed_id=feed.pk)
        next_at = now + timedelta(seconds=delay)
        message = message or KIND_TEXT.get(kind, kind)
    if kind == "gone":
        message = f"{message} Tidings no longer fetches it."
        fields["disabled"] = True
        fields["disabled_reason"] = message
        fields["auto_disabled"] = True
    elif _failing_too_long(fields["first_error_at"], now=now):
        # Only 410 or 30 days of uninterrupted failures stop the schedule.
        days = settings.FEED_DISABLE_AFTER_DAYS
        fields["disabled"] = True
        fields["auto_disabled"] = True
        fields["disabled_reason"] = (
            f"Every fetch failed for {days} days; Tidings stopped fetching it. "
            f"Last error: {message}"
        )
    fields.update(last_error=message, next_fetch_at=next_at)
    result = RefreshResult(
        feed_id=feed.pk,
        outcome=kind,
        status=status,
        error=message,
        url=feed.url,
        bytes=len(fetched.content) if fetched is not None else 0,
        duration=time.monotonic() - started,
        next_fetch_at=None if fields.get("disabled") else next_at,
    )
    if kind == RATE_LIMITED:
        with scheduling.relaxed_transaction():
            bookkeep(feed.pk, fields, result)
            scheduling.host_block(feed.url, until=next_at, now=now)
    else:
        bookkeep(feed.pk, fields, result)
    return result


def _failing_too_long(first_error_at: datetime, *, now: datetime) -> bool:
    """Whether failures began at least FEED_DISABLE_AFTER_DAYS ago (no success since)."""
    return now - first_error_at >= timedelta(days=settings.FEED_DISABLE_AFTER_DAYS)
