"""When each feed is fetched next, and which worker may fetch it.

Pure policy functions (intervals, back-off, Retry-After) plus the three places
where the schedule meets the database:

- ``feeds_claim_due``: the scheduler's claim of due feeds (PostgreSQL
  ``SELECT ... FOR UPDATE SKIP LOCKED``; on SQLite the ``BEGIN IMMEDIATE``
  transaction of our settings serializes claimers);
- ``feed_lease_acquire``: the single-row compare-and-set a refresh takes before
  it fetches, so that a feed is never fetched by two workers at once;
- ``host_block``/``host_blocked_until``: a 429/503 ``Retry-After`` applies to
  the whole host (cases/README.md rule 7, case P19).

Times are aware UTC datetimes; durations are seconds (int) unless named otherwise.
Policy source: cases/README.md rule 7 (RFC 9110 section 10.2.3).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from feeds import interest
from feeds.models import Feed, Source

DAY = 24 * 3600
# A claimed feed waits in the queue at most this long before it may be claimed again. As long
# as the broker's redelivery of a lost task (Redis: visibility timeout, one hour): a feed
# queued behind a long backlog is never handed out twice, and a task lost with its worker
# (filesystem broker: no redelivery) is replaced after this long. Settings'
# FEED_CLAIM_LEASE_SECONDS overrides it.
CLAIM_LEASE_SECONDS = 60 * 60
# A refresh in flight holds its feed this long; a crashed worker's feed is due again after it.
# Comfortably above FETCH_TIMEOUT_TOTAL (30 s) plus parse and store of a 10 MiB feed.
FETCH_LEASE_SECONDS = 5 * 60
# How many recent entries estimate the publishing rate.
RATE_SAMPLE = 20
_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


@contextmanager
def relaxed_transaction() -> Iterator[None]:
    """``transaction.atomic()`` whose COMMIT does not wait for the WAL flush (PostgreSQL).

    ``SET LOCAL synchronous_commit TO OFF`` (PostgreSQL manual, 30.4 "Asynchronous
    Commit"): the commit returns before its WAL reaches the disk, saving one fsync
    (about 10 ms on the benchmark machine) per fetch-bookkeeping transaction. A
    crash of the database server may forget the last few hundred milliseconds of
    such commits, never corrupt anything, and never reorder them: a later
    synchronous commit (a user's action) flushes them first. What can be lost is
    a lease, fetch bookkeeping or a fetch's entries, and the feed is then simply
    fetched again. SQLite: a plain ``atomic()`` (``BEGIN IMMEDIATE``).
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


# Appended to the RETURNING list of a single-statement write (PostgreSQL): turns
# synchronous_commit off for the statement's own transaction, as relaxed_transaction's
# SET LOCAL does, without a transaction block (the setting is read at COMMIT, and a
# function in RETURNING runs for each written row, so only a statement that wrote
# something changes it). Inside an outer transaction it lasts until that one ends.
ASYNC_COMMIT_COLUMN = ", set_config('synchronous_commit', 'off', true) AS async_commit"


def clamp_interval(seconds: float) -> int:
    """``seconds`` clamped to [FEED_MIN_INTERVAL, FEED_MAX_INTERVAL], as int seconds."""
    return int(min(max(seconds, settings.FEED_MIN_INTERVAL), settings.FEED_MAX_INTERVAL))


def jitter_factor(feed_id: int) -> float:
    """A per-feed factor in (0.9, 1.0], stable for a feed, spread across feeds.

    Multiplying every delay of a feed by the same factor spreads feeds that were
    added (or failed) together over time without breaking "each back-off step
    at least doubles" for one feed. Knuth's multiplicative hash; no randomness,
    so tests can predict it.
    """
    return 1.0 - ((feed_id * 2654435761) % 1000) / 10000.0


def jittered(delay: float, *, feed_id: int) -> float:
    """``delay`` (seconds) times the feed's ``jitter_factor``, never below FEED_MIN_INTERVAL."""
    return max(delay * jitter_factor(feed_id), float(settings.FEED_MIN_INTERVAL))


def max_age_seconds(cache_control: str) -> int | None:
    """``max-age`` of a Cache-Control header value (RFC 9111 section 5.2.2.1), or None.

    ``no-cache``/``no-store`` give None: they say nothing about how often to poll.
    """
    if not cache_control or re.search(r"no-(?:cache|store)", cache_control, re.IGNORECASE):
        return None
    match = _MAX_AGE.search(cache_control)
    return int(match.group(1)) if match else None


def adaptive_interval(
    *,
    published: Sequence[datetime],
    now: datetime,
    current: int,
    ttl_seconds: int | None = None,
    max_age: int | None = None,
) -> int:
    """The refresh interval in seconds from how often the feed publishes.

    ``published`` holds the publication times of the feed's most recent dated
    entries (any order). The interval is the mean gap between them, or
    ``(now - oldest) / count`` when larger (a feed that went quiet): a feed
    that published 20 entries in the last 20 hours is polled hourly, one whose
    last entries are years old, rarely. With fewer than two dated
    entries the ``current`` interval stays. ``ttl_seconds`` (RSS ``<ttl>``,
    ``sy:updatePeriod``) and ``max_age`` (Cache-Control) are lower bounds: the
    publisher says its content stays fresh that long. The result is clamped to
    [FEED_MIN_INTERVAL, FEED_MAX_INTERVAL].
    """
    interval = float(current)
    if len(published) >= 2:
        oldest, newest, count = min(published), max(published), len(published)
        mean_gap = (newest - oldest).total_seconds() / (count - 1)
        # A feed that stopped publishing: the silence since counts as one more gap.
        with_silence = (now - oldest).total_seconds() / count
        interval = max(mean_gap, with_silence, 0.0)
    for floor in (ttl_seconds, max_age):
        if floor:
            interval = max(interval, float(floor))
    return clamp_interval(interval)


def backoff_seconds(*, error_count: int, interval: int, feed_id: int = 0) -> int:
    """Delay after the ``error_count``-th consecutive failure (1 = first), in seconds.

    ``max(interval, FEED_MIN_INTERVAL) * 2 ** error_count``, capped at
    FEED_MAX_INTERVAL, times the feed's ``jitter_factor``: each step at least
    doubles until the cap (cases/README.md rule 7: exponential, capped at 24 h).
    """
    base = max(interval, settings.FEED_MIN_INTERVAL)
    raw = base * 2 ** min(max(error_count, 1), 30)
    return int(min(raw, settings.FEED_MAX_INTERVAL) * jitter_factor(feed_id))


def retry_after_seconds(*, retry_after: datetime | None, now: datetime, interval: int) -> int:
    """Delay honouring a 429/503 ``Retry-After`` (already parsed to a datetime by fetch).

    Clamped to [interval, 24 h] (or [interval, interval] when the interval
    itself exceeds a day). None (no or unparseable header) gives the interval.
    A fractional delay is rounded up, so ``now + result`` is never before ``retry_after``
    (within the clamp).
    """
    upper = max(DAY, interval)
    if retry_after is None:
        return min(interval, upper)
    wanted = math.ceil((retry_after - now).total_seconds())  # never early: round up
    return int(min(max(wanted, interval), upper))


# --- Which feeds are wanted -------------------------------------------------


def wanted_feeds_q() -> Q:
    """Q for feeds that have a subscriber or an active directory source.

    Subscribers through ``feeds.interest.has_readers``, sources through
    ``feeds.Source(feed, active)``. Feeds matching neither are never fetched by
    the scheduler.
    """
    return Q(interest.has_readers("pk")) | Q(
        Exists(Source.objects.filter(feed=OuterRef("pk"), active=True))
    )


def due_feeds(*, now: datetime):
    """QuerySet of wanted, enabled feeds whose ``next_fetch_at`` has passed, held by nobody."""
    return Feed.objects.filter(
        wanted_feeds_q(),
        Q(leased_until__isnull=True) | Q(leased_until__lt=now),
        disabled=False,
        next_fetch_at__lte=now,
    )


def claim_lease_seconds() -> int:
    """How long a claim holds a queued feed, in seconds (``FEED_CLAIM_LEASE_SECONDS``)."""
    return int(getattr(settings, "FEED_CLAIM_LEASE_SECONDS", CLAIM_LEASE_SECONDS))


def feeds_claim(*, feed_ids: Sequence[int], now: datetime | None = None) -> list[int]:
    """Claim those of ``feed_ids`` that are due and held by nobody; returns their ids.

    The claim a refresh task is sent under (``feeds.tasks``): ``leased_until`` moves to
    ``now + claim_lease_seconds()``, so neither the scheduler (``feeds_claim_due``) nor
    another sender queues a second refresh of a feed already queued; a running refresh
    holds its feed with the fetch lease (``feed_lease_acquire``), which these conditions
    refuse too. Feeds not due, disabled, or already claimed or leased are left out (their
    refresh would be a no-op). One ``UPDATE ... RETURNING`` per 500 ids; on PostgreSQL the
    row lock serializes two claimers and the second re-checks the condition, on SQLite there
    is one writer. Unwanted feeds (nobody subscribed) are claimed too: the caller asked.
    """
    now = now or timezone.now()
    ids = list(dict.fromkeys(int(i) for i in feed_ids))
    if not ids:
        return []
    table = connection.ops.quote_name(Feed._meta.db_table)
    until = now + timedelta(seconds=claim_lease_seconds())
    stored = connection.ops.adapt_datetimefield_value  # the ORM's spelling (SQLite: text)
    claimed: list[int] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join(["%s"] * len(chunk))
        sql = (
            f"UPDATE {table} SET leased_until = %s "  # noqa: S608 (no user input)
            f"WHERE id IN ({marks}) AND NOT disabled AND next_fetch_at <= %s "
            "AND (leased_until IS NULL OR leased_until < %s) RETURNING id"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [stored(until), *chunk, stored(now), stored(now)])
            claimed += [row[0] for row in cursor.fetchall()]
    order = {feed_id: n for n, feed_id in enumerate(ids)}
    return sorted(claimed, key=order.__getitem__)


def feeds_unclaim(*, feed_ids: Sequence[int]) -> int:
    """Drop the claims of ``feed_ids`` (their task could not be sent); returns how many.

    Only claims: a feed whose refresh runs (fetch lease: ``next_fetch_at`` in the future)
    keeps its lease. The feeds are then due for the next claimer (the scheduler).
    """
    if not feed_ids:
        return 0
    return Feed.objects.filter(
        id__in=list(feed_ids), next_fetch_at__lte=timezone.now(), leased_until__isnull=False
    ).update(leased_until=None)


def feeds_claim_due(*, limit: int, now: datetime | None = None) -> list[int]:
    """Claim up to ``limit`` due feeds for refreshing; returns their ids, most overdue first.

    The claim sets ``leased_until = now + claim_lease_seconds()`` so that two
    claimers (two beats, beat and ``refresh_feeds``, beat and a sender of
    ``feeds.tasks``) never hand out the same feed. PostgreSQL: ``SELECT ... FOR
    UPDATE SKIP LOCKED`` in one transaction, so concurrent claimers skip each
    other's rows instead of waiting. SQLite:
    ``select_for_update`` is a no-op, and the transaction starts with ``BEGIN
    IMMEDIATE`` (reader/project/settings.py), which serializes claimers. A claim whose
    task is lost expires, and the feed becomes due again.
    """
    now = now or timezone.now()
    with relaxed_transaction():
        ids = list(
            due_feeds(now=now)
            .select_for_update(skip_locked=connection.features.has_select_for_update_skip_locked)
            .order_by("next_fetch_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        if ids:
            Feed.objects.filter(id__in=ids).update(
                leased_until=now + timedelta(seconds=claim_lease_seconds())
            )
    return ids


def feed_lease_acquire(*, feed_id: int, force: bool, now: datetime) -> Feed | None:
    """Take the fetch lease of one feed and load it in one ``UPDATE ... RETURNING``, or None.

    Refused when the feed does not exist or is disabled; without ``force`` also
    when it is not due (a duplicate or late task: an idempotent no-op); with
    ``force`` only when another refresh holds it (``next_fetch_at`` and
    ``leased_until`` both in the future: a scheduler claim alone never moves
    ``next_fetch_at``). On success ``next_fetch_at`` and ``leased_until`` move
    to ``now + FETCH_LEASE_SECONDS``, so the feed of a crashed fetch is due
    again then. Two concurrent callers cannot both succeed: the row lock of
    the UPDATE serializes them and the second re-checks the condition
    (PostgreSQL READ COMMITTED; SQLite has one writer). Returns the whole row.
    One SQL statement, committed asynchronously on PostgreSQL (``ASYNC_COMMIT_COLUMN``).
    The returned Feed also carries ``has_subscribers`` (bool, read in the same statement):
    the per-user hooks after a store (rules, full text) cost no query without one.
    """
    table = connection.ops.quote_name(Feed._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in Feed._meta.concrete_fields)
    has_subscribers = interest.has_readers_sql(f"{table}.id")
    until = now + timedelta(
        seconds=getattr(settings, "FEED_FETCH_LEASE_SECONDS", FETCH_LEASE_SECONDS)
    )
    condition = "next_fetch_at <= %s"
    params: list[object] = [until, until, feed_id, now]
    if force:
        condition += " OR leased_until IS NULL OR leased_until < %s"
        params.append(now)
    sql = (
        f"UPDATE {table} SET next_fetch_at = %s, leased_until = %s "  # noqa: S608 (no user input)
        f"WHERE id = %s AND NOT disabled AND ({condition}) RETURNING {columns}, "
        f"{has_subscribers} AS has_subscribers"
        f"{ASYNC_COMMIT_COLUMN if connection.vendor == 'postgresql' else ''}"
    )
    # ONE statement, its own transaction (autocommit), committed without waiting for the
    # WAL flush (ASYNC_COMMIT_COLUMN): no BEGIN/SET/COMMIT round trips.
    # RawQuerySet applies the backend's converters (SQLite datetimes, booleans).
    rows = list(Feed.objects.raw(sql, params))
    return rows[0] if rows else None


# --- Per-host rate limits (429/503 Retry-After) ------------------------------


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def host_blocked_until(url: str, *, now: datetime) -> datetime | None:
    """When the host of ``url`` may be fetched again after a 429/503, or None if it may now."""
    until = cache.get(f"feeds:host-retry:{_host(url)}")
    return until if until and until > now else None


def host_block(url: str, *, until: datetime, now: datetime) -> int:
    """Rate-limit the host of ``url`` until ``until``: remember it, and push its other feeds.

    The cache entry makes any fetch of the host (scheduled or forced) wait;
    feeds of the same host (http or https, any port) with an earlier
    ``next_fetch_at`` are moved to ``until`` so the scheduler does not claim
    them. Returns how many feeds were moved.
    """
    host = _host(url)
    if not host:
        return 0
    timeout = max(math.ceil((until - now).total_seconds()), 1)  # never expire early
    cache.set(f"feeds:host-retry:{host}", until, timeout=timeout)
    same_host = Q()
    for scheme in ("http", "https"):
        same_host |= Q(url__istartswith=f"{scheme}://{host}/")
        same_host |= Q(url__istartswith=f"{scheme}://{host}:")
    return Feed.objects.filter(same_host, next_fetch_at__lt=until).update(next_fetch_at=until)


def host_unblock(url: str) -> None:
    """Forget a host's Retry-After (admin action, tests). Feeds keep their ``next_fetch_at``."""
    cache.delete(f"feeds:host-retry:{_host(url)}")
