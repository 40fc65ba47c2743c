"""The feed services: one place that chains the pipeline and records what happened.

``feed_refresh`` runs fetch -> parse -> (identity, sanitize inside) store ->
schedule, and is the only refresh path: the worker task, the "refresh now"
button, the API and ``manage.py refresh_feeds``/``add_feed`` all call it, so
every caller sees the same fetch state on the feed (error count, readable last
error, back-off). Policies: issue 3 ("Fetch", "Schedule") and cases/README.md
rule 7 (redirects, validators, 304, Retry-After, back-off).
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Subquery
from django.utils import timezone

from feeds import scheduling
from feeds.fetch_log import ROLLUP_EVERY, fetchlog_rollup, record_fetch
from feeds.fetch_options import fetch_kwargs
from feeds.models import Entry, EntryTombstone, Feed, FeedIcon, FetchLog, Source
from feeds.pipeline.fetch import FetchError, FetchResult, check_url, fetch
from feeds.pipeline.parse import NotAFeedError, ParseError, parse_feed
from feeds.pipeline.store import store_parsed
from feeds.scheduling import feeds_claim_due
from feeds.signals import entries_stored, feed_merged

__all__ = [
    "RefreshResult",
    "entries_prune",
    "feed_get_or_create",
    "feed_merge",
    "feed_push",
    "feed_refresh",
    "feed_retry",
    "feeds_claim_due",
]

logger = logging.getLogger("tidings.fetch")

OK = "ok"
NOT_MODIFIED = "not_modified"
SKIPPED = "skipped"
RATE_LIMITED = "rate_limited"


@dataclass(frozen=True)
class RefreshResult:
    """What one ``feed_refresh`` call did.

    ``outcome``: "ok" (200, stored), "not_modified" (304), "skipped" (not
    due, disabled, unknown or held by another refresh: nothing fetched), or
    the error kind recorded on the feed: a FetchError kind (invalid_url,
    blocked, dns, connect, timeout, tls, too_large, too_many_redirects, http,
    gone, rate_limited), "parse", "not_a_feed" or "error" (unexpected).
    ``feed_id`` is the feed that holds the result: after a permanent redirect
    onto an existing feed it is that feed (``merged_from`` is the deleted one).
    ``status`` is the HTTP status (None when no response). ``duration`` is
    seconds, ``bytes`` the decompressed body size. ``next_fetch_at`` is when
    the scheduler may fetch it again (None when skipped). ``candidates``: for
    "not_a_feed", the feed URLs the page links to (autodiscovery), best first.
    """

    feed_id: int
    outcome: str
    status: int | None = None
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    error: str = ""
    url: str = ""
    bytes: int = 0
    duration: float = 0.0
    next_fetch_at: datetime | None = None
    merged_from: int | None = None
    candidates: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True for a 200 stored or a 304."""
        return self.outcome in (OK, NOT_MODIFIED)


# --- Creating and merging feeds --------------------------------------------


def feed_get_or_create(*, url: str, resolve: bool = True) -> tuple[Feed, bool]:
    """The one Feed of ``url`` (cleaned by ``fetch.check_url``), created if new; (feed, created).

    Nothing is fetched. Raises ``FetchError`` (kind "invalid_url" or "blocked")
    for URLs the SSRF guard refuses. A new feed is due at once. ``resolve=False``
    skips the DNS lookup (OPML import: a feed whose host does not resolve now is
    still subscribed; ``fetch`` checks the address again at connect time).
    """
    cleaned = check_url(url, resolve=resolve)
    return Feed.objects.get_or_create(url=cleaned)


def feed_merge(*, source: Feed, target: Feed) -> int:
    """Fold ``source`` into ``target`` and delete ``source``; returns the number of entries moved.

    In one transaction: entries of the source whose identity the target lacks
    move to the target (same rows, so their per-user state follows); tombstones
    likewise; the icon when the target has none; directory sources. Then
    ``feeds.signals.feed_merged(sender=Feed, source_id=, target_id=)`` is sent,
    BEFORE the source is deleted, so reader moves subscriptions and the state of
    duplicate entries; then the source (with its duplicate entries) is deleted.
    Used when a permanent redirect leads to a URL another feed already has.
    """
    with transaction.atomic():
        moved = (
            Entry.objects.filter(feed=source)
            .exclude(identity_hash__in=Subquery(target.entries.values("identity_hash")))
            .update(feed=target)
        )
        EntryTombstone.objects.filter(feed=source).exclude(
            identity_hash__in=Subquery(target.tombstones.values("identity_hash"))
        ).update(feed=target)
        if not FeedIcon.objects.filter(feed=target).exists():
            FeedIcon.objects.filter(feed=source).update(feed=target)
        Source.objects.filter(feed=source).update(feed=target)
        feed_merged.send(sender=Feed, source_id=source.pk, target_id=target.pk)
        Feed.objects.filter(pk=source.pk).delete()
    logger.info(
        "feed merged source=%s target=%s entries_moved=%s",
        source.pk,
        target.pk,
        moved,
        extra={"feed_id": target.pk, "merged_from": source.pk, "entries_moved": moved},
    )
    return moved


# --- Refresh -----------------------------------------------------------------


def feed_refresh(*, feed_id: int, force: bool = False) -> RefreshResult:
    """Fetch, parse and store one feed, then schedule its next fetch.

    Without ``force`` the feed is refreshed only if due (``next_fetch_at`` has
    passed): a duplicate or late task is a cheap no-op ("skipped"). With
    ``force`` the schedule is ignored ("refresh now", ``add_feed``,
    ``refresh_feeds --now``), but never a host's Retry-After, a disabled feed,
    or a refresh already in flight. Never raises for a fetch or parse failure:
    it is recorded on the feed (``error_count``, ``last_error``,
    ``last_error_kind``, ``last_status``, ``first_error_at``, back-off) and
    returned. HTTP errors never delete entries. A 304 costs no parse and two SQL
    statements on PostgreSQL: the lease, then the fetch bookkeeping UPDATE and the
    FetchLog row (``feeds.fetch_log``) in one statement (``_bookkeep``). Each fetch is
    logged as one structured INFO line (logger ``tidings.fetch``).

    Raises only for database errors (the lease then expires after
    ``scheduling.FETCH_LEASE_SECONDS`` and the feed is due again).
    """
    started = time.monotonic()
    now = timezone.now()
    feed = scheduling.feed_lease_acquire(feed_id=feed_id, force=force, now=now)
    if feed is None:
        return RefreshResult(feed_id=feed_id, outcome=SKIPPED)
    blocked = scheduling.host_blocked_until(feed.url, now=now)
    if blocked is not None:
        return _wait_for_host(feed, until=blocked, now=now)
    try:
        result = _refresh_leased(feed, now=now, started=started)
    except Exception as exc:  # a bug must not leave the feed leased and silent
        logger.exception("feed refresh crashed feed_id=%s", feed.pk)
        result = _fail(feed, now=now, started=started, kind="error", message=_crash_text(exc))
    # The FetchLog row (admin summary and /metrics, issue 5) was written with the feed's
    # bookkeeping (_bookkeep); this is the one log line of the fetch.
    _log(result)
    return result


def _refresh_leased(feed: Feed, *, now: datetime, started: float) -> RefreshResult:
    try:
        # Per-feed options (issue 11): User-Agent, extra headers, ignore cache headers.
        fetched = fetch(feed.url, **fetch_kwargs(feed))
    except FetchError as exc:
        return _fail(
            feed,
            now=now,
            started=started,
            kind=exc.kind,
            message=str(getattr(exc, "message", "") or exc),
            status=exc.status,
            retry_after=exc.retry_after,
        )
    merged_from = None
    if fetched.permanent_redirect:
        feed, merged_from = _follow_permanent_redirect(feed, fetched.permanent_redirect)
    if fetched.status == 304:
        return _not_modified(feed, fetched, now=now, started=started, merged_from=merged_from)
    return _store(feed, fetched, now=now, started=started, merged_from=merged_from)


def _follow_permanent_redirect(feed: Feed, target_url: str) -> tuple[Feed, int | None]:
    """Store the new URL of ``feed``, or merge it into the feed that already has it."""
    # fetch already reached it through the guard; if check_url refuses it, keep its spelling.
    with contextlib.suppress(FetchError):
        target_url = check_url(target_url)
    if target_url == feed.url:
        return feed, None
    existing = Feed.objects.filter(url=target_url).exclude(pk=feed.pk).first()
    if existing is None:
        with scheduling.relaxed_transaction():
            Feed.objects.filter(pk=feed.pk).update(url=target_url)
        feed.url = target_url
        return feed, None
    feed_merge(source=feed, target=existing)
    return existing, feed.pk


def _not_modified(feed, fetched, *, now, started, merged_from) -> RefreshResult:
    """304: success with no parse and no store; one statement of bookkeeping (``_bookkeep``)."""
    interval = feed.fetch_interval
    max_age = _max_age(feed, fetched)
    delay = scheduling.clamp_interval(max(interval, max_age or 0))
    delay = _push_delay(feed, delay, now=now)
    next_at = now + timedelta(seconds=scheduling.jittered(delay, feed_id=feed.pk))
    result = _result(
        feed, NOT_MODIFIED, fetched, started=started, next_at=next_at, merged_from=merged_from
    )
    fields = _success_fields(now=now, status=304, next_at=next_at, interval=interval)
    fields.update(
        etag=fetched.etag or feed.etag, last_modified=fetched.last_modified or feed.last_modified
    )
    _bookkeep(feed.pk, fields, result)
    return result


def _store(feed, fetched, *, now, started, merged_from) -> RefreshResult:
    """200: parse, store, adapt the interval; a parse failure keeps the old entries."""
    common = {"now": now, "started": started, "status": fetched.status, "fetched": fetched}
    try:
        parsed = parse_feed(
            fetched.content, url=fetched.final_url, content_type=fetched.content_type
        )
    except NotAFeedError:
        from feeds.pipeline.discover import find_feed_links  # only this path needs discovery

        candidates = find_feed_links(fetched.content, fetched.final_url)
        message = _not_a_feed_text(candidates)
        result = _fail(feed, kind="not_a_feed", message=message, **common)
        return replace(result, candidates=[c.url for c in candidates])
    except ParseError as exc:
        return _fail(feed, kind="parse", message=f"The feed could not be read: {exc}", **common)
    if not parsed.entries and parsed.bozo_message:
        message = f"The feed could not be read: {parsed.bozo_message}"
        return _fail(feed, kind="parse", message=message, **common)
    # Entries, hooks and bookkeeping in one transaction (parsing stayed outside it), committed
    # asynchronously: _bookkeep's statement turns synchronous_commit off for the transaction.
    # Per-user reactions (rules, full text) need a subscriber: none, no query (the lease
    # read has_subscribers; a Feed loaded otherwise, e.g. by feed_push, is assumed to have).
    subscribed = getattr(feed, "has_subscribers", True)
    with transaction.atomic():
        stored = store_parsed(feed=feed, parsed=parsed, now=now)
        if stored.new_ids and subscribed:  # rules are reader's: announce the new ids
            entries_stored.send(sender=Feed, feed_id=feed.pk, entry_ids=list(stored.new_ids))
        _after_store(
            feed, parsed=parsed, stored=stored, now=now, fetched=fetched, subscribed=subscribed
        )
        interval = _adapted_interval(feed, parsed=parsed, fetched=fetched, now=now)
        delay = _push_delay(feed, interval, now=now)
        next_at = now + timedelta(seconds=scheduling.jittered(delay, feed_id=feed.pk))
        result = _result(
            feed,
            OK,
            fetched,
            started=started,
            next_at=next_at,
            merged_from=merged_from,
            new=stored.new,
            updated=stored.updated,
            unchanged=stored.unchanged,
        )
        fields = _success_fields(now=now, status=fetched.status, next_at=next_at, interval=interval)
        fields.update(etag=fetched.etag or "", last_modified=fetched.last_modified or "")
        _bookkeep(feed.pk, fields, result)
    return result


def _adapted_interval(feed: Feed, *, parsed, fetched, now: datetime) -> int:
    """Interval from the publishing rate of the latest dated entries (one indexed query).

    Entries stored without a date carry their first-seen time as published
    time (``published_at == created_at``) and say nothing about the rate.
    """
    published = list(
        Entry.objects.filter(feed_id=feed.pk)
        .exclude(published_at=F("created_at"))
        .order_by("-published_at")
        .values_list("published_at", flat=True)[: scheduling.RATE_SAMPLE]
    )
    return scheduling.adaptive_interval(
        published=published,
        now=now,
        current=feed.fetch_interval,
        ttl_seconds=getattr(parsed, "ttl_seconds", None),
        max_age=_max_age(feed, fetched),
    )


def _max_age(feed: Feed, fetched) -> int | None:
    """Cache-Control max-age of the response, unless the admin set "ignore cache headers"."""
    if getattr(feed, "ignore_cache_headers", False):
        return None
    return scheduling.max_age_seconds(fetched.headers.get("cache-control", ""))


def _push_delay(feed: Feed, delay: int, *, now: datetime) -> int:
    """Poll a feed whose WebSub lease is active rarely: up to FEED_MAX_INTERVAL, never past
    the end of the lease (issue 11). ``delay`` and the result are seconds."""
    from feeds.websub import poll_delay

    return poll_delay(feed, delay, now=now)


def _after_store(
    feed: Feed, *, parsed, stored, now: datetime, fetched, subscribed: bool = True
) -> None:
    """Issue 11 hooks after a stored document: WebSub hub discovery, automatic full text.

    Each enqueues a task on commit when there is work; neither fetches anything here. The
    response's Link header is WebSub's first discovery mechanism (a push carries none).
    """
    from feeds import fulltext, websub

    link = fetched.headers.get("link", "")
    websub.websub_after_parse(
        feed=feed, parsed=parsed, now=now, link_header=link, base_url=fetched.final_url
    )
    if stored.new and subscribed:  # full text is a subscriber's option
        fulltext.fulltext_after_store(feed_id=feed.pk, since=now)


def _bookkeep(feed_id: int, fields: dict, result: RefreshResult) -> None:
    """Write a fetch's bookkeeping on the feed (``UPDATE`` of ``fields``, as
    ``Feed.objects.filter(pk=feed_id).update(**fields)``) and its FetchLog row, which
    ``feeds.fetch_log.record_fetch`` would write for ``result``.

    PostgreSQL: ONE statement, ``WITH bookkept AS (UPDATE feeds_feed ...) INSERT INTO
    feeds_fetchlog ... RETURNING id``, committed asynchronously like the rest of fetch
    bookkeeping (``scheduling.ASYNC_COMMIT_COLUMN``; in autocommit it is its own
    transaction, no BEGIN/SET/SAVEPOINT/COMMIT round trips). The FetchLog part cannot
    fail on its own (no foreign key, values cut to their column sizes as record_fetch
    does), so folding it in does not let metrics fail a refresh. Every
    ``fetch_log.ROLLUP_EVERY``-th row folds old rows after commit, as record_fetch does.
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
    """``fetch_log.fetchlog_rollup`` that never fails a refresh (as in ``record_fetch``)."""
    try:
        fetchlog_rollup()
    except Exception:
        logger.exception("could not fold old fetch log rows")


def _success_fields(*, now: datetime, status: int, next_at: datetime, interval: int) -> dict:
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


# --- Retry and pushed content (issue 11) -------------------------------------


class FeedRetryRefused(Exception):
    """``feed_retry`` of a feed that an administrator disabled (only an admin may re-enable)."""


def feed_retry(*, feed_id: int, now: datetime | None = None) -> Feed:
    """Make a feed due now and enqueue its refresh: the one-click "retry" of every subscriber.

    A feed that Tidings disabled itself (410 Gone, FEED_DISABLE_AFTER_DAYS of failures:
    ``auto_disabled``) is re-enabled; its error count and back-off are reset so the first
    attempt happens at once (a further failure backs off again from the start, and the
    30 days count afresh). The refresh is sent to queue ``interactive`` on commit (forced, so
    it still honours a host's Retry-After). Returns the updated Feed. Raises
    ``Feed.DoesNotExist`` for an unknown id and ``FeedRetryRefused`` for a feed an
    administrator disabled.
    """
    from feeds.tasks import refresh_feed_enqueue

    now = now or timezone.now()
    feed = Feed.objects.get(pk=feed_id)
    if feed.disabled and not feed.auto_disabled:
        raise FeedRetryRefused(feed.disabled_reason or "Disabled by an administrator.")
    fields = {"next_fetch_at": now, "leased_until": None, "updated_at": now}
    if feed.disabled:
        fields.update(
            disabled=False,
            auto_disabled=False,
            disabled_reason="",
            error_count=0,
            first_error_at=None,
        )
    Feed.objects.filter(pk=feed.pk).update(**fields)
    refresh_feed_enqueue(feed_id=feed.pk, force=True, interactive=True)
    feed.refresh_from_db()
    return feed


def feed_push(
    *, feed_id: int, content: bytes, content_type: str = "", now: datetime | None = None
) -> RefreshResult:
    """Store a document a WebSub hub pushed for ``feed_id``, through the refresh pipeline.

    The body goes through exactly what a fetched 200 goes through (``_store``: parse,
    identity, sanitize, store, feed bookkeeping, hooks, schedule), as if fetched from the
    feed URL, keeping the feed's validators (the push is not the response to our GET).
    Never raises for a parse failure (recorded like a fetch error); a disabled feed is
    "skipped". Logged and recorded in the fetch log like a refresh. Raises
    ``Feed.DoesNotExist`` for an unknown id.
    """
    started = time.monotonic()
    now = now or timezone.now()
    feed = Feed.objects.get(pk=feed_id)
    if feed.disabled:
        return RefreshResult(feed_id=feed.pk, outcome=SKIPPED)
    fetched = FetchResult(
        url=feed.url,
        final_url=feed.url,
        status=200,
        content=content,
        headers={"content-type": content_type} if content_type else {},
        content_type=content_type,
        etag=feed.etag,
        last_modified=feed.last_modified,
        permanent_redirect=None,
        elapsed=0.0,
    )
    result = _store(feed, fetched, now=now, started=started, merged_from=None)
    _log(result)  # _store wrote the FetchLog row with the bookkeeping
    return result


# --- Failures ----------------------------------------------------------------


def _fail(
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
    """Record a failure on the feed and its FetchLog row (one statement, ``_bookkeep``; plus
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
            f"{_status_text(status)}rate limited by the server; "
            f"next attempt at {next_at:%Y-%m-%d %H:%M} UTC."
        )
    else:
        delay = scheduling.backoff_seconds(error_count=errors, interval=interval, feed_id=feed.pk)
        next_at = now + timedelta(seconds=delay)
        message = message or _KIND_TEXT.get(kind, kind)
    if kind == "gone":
        message = f"{message} Tidings no longer fetches it."
        fields["disabled"] = True
        fields["disabled_reason"] = message
        fields["auto_disabled"] = True
    elif _failing_too_long(fields["first_error_at"], now=now):
        # Issue 11: only 410 or 30 days of uninterrupted failures stop the schedule.
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
            _bookkeep(feed.pk, fields, result)
            scheduling.host_block(feed.url, until=next_at, now=now)
    else:
        _bookkeep(feed.pk, fields, result)
    return result


def _failing_too_long(first_error_at: datetime, *, now: datetime) -> bool:
    """Whether failures began at least FEED_DISABLE_AFTER_DAYS ago (no success since)."""
    return now - first_error_at >= timedelta(days=settings.FEED_DISABLE_AFTER_DAYS)


def _wait_for_host(feed: Feed, *, until: datetime, now: datetime) -> RefreshResult:
    """The host asked us to wait (Retry-After on another feed): no request, reschedule."""
    with scheduling.relaxed_transaction():
        Feed.objects.filter(pk=feed.pk).update(next_fetch_at=until, leased_until=None)
    message = f"Not fetched: the server rate-limited us until {until:%Y-%m-%d %H:%M} UTC"
    return RefreshResult(
        feed_id=feed.pk, outcome=RATE_LIMITED, error=message, url=feed.url, next_fetch_at=until
    )


# Used only when the error carries no message of its own.
_KIND_TEXT = {
    "invalid_url": "The feed address is not a valid http(s) URL.",
    "blocked": "The feed address points to a private or reserved network, which Tidings refuses.",
    "dns": "The feed's server name could not be resolved.",
    "connect": "Could not connect to the feed's server.",
    "timeout": "The feed's server did not answer in time.",
    "tls": "The secure connection to the feed's server failed.",
    "too_large": "The feed is larger than the size limit.",
    "too_many_redirects": "Too many redirects (or a redirect loop).",
    "http": "The feed's server answered with an error.",
    "gone": "The feed is gone (HTTP 410).",
    "parse": "The feed could not be read.",
}


def _status_text(status: int | None) -> str:
    return f"HTTP {status}: " if status else ""


def _not_a_feed_text(candidates) -> str:
    if not candidates:
        return "This address is a web page, not a feed, and the page links to no feed."
    offers = "; ".join(
        f"{c.url} ({c.title})" if getattr(c, "title", "") else c.url for c in candidates
    )
    return f"This address is a web page, not a feed. Feeds found on it: {offers}"


def _crash_text(exc: BaseException) -> str:
    return f"Internal error while refreshing ({type(exc).__name__}: {exc})"[:2000]


# --- Results and logging -------------------------------------------------------


def _result(feed, outcome, fetched, *, started, next_at, merged_from, **counts) -> RefreshResult:
    return RefreshResult(
        feed_id=feed.pk,
        outcome=outcome,
        status=fetched.status,
        url=feed.url,
        bytes=len(fetched.content or b""),
        duration=time.monotonic() - started,
        next_fetch_at=next_at,
        merged_from=merged_from,
        **counts,
    )


def _log(result: RefreshResult) -> None:
    """One structured line per fetch: key=value text, and the same fields as ``extra``."""
    fields = {
        "feed_id": result.feed_id,
        "outcome": result.outcome,
        "status": result.status,
        "duration_ms": round(result.duration * 1000),
        "bytes": result.bytes,
        "new": result.new,
        "updated": result.updated,
    }
    text = " ".join(f"{key}={value}" for key, value in fields.items())
    logger.info("feed refresh %s", text, extra=fields)


# --- Retention -----------------------------------------------------------------


def entries_prune(
    *, older_than_days: int, batch_size: int = 1000, now: datetime | None = None
) -> int:
    """Delete entries older than ``older_than_days`` that nobody starred; returns how many.

    "Older" means both published and first seen before the cutoff, so an old
    article seen for the first time today stays for the retention period.
    Each batch is one transaction that first writes an ``EntryTombstone`` of
    every deleted identity (so the feed cannot bring it back as new) and then
    deletes the entries (their non-star per-user state goes with them).
    Starred entries (``states`` with ``starred=True``) are never deleted.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=older_than_days)
    states = Entry._meta.get_field("states").related_model
    starred = states.objects.filter(entry=OuterRef("pk"), starred=True)
    candidates = Entry.objects.filter(published_at__lt=cutoff, created_at__lt=cutoff).exclude(
        Exists(starred)
    )
    total = 0
    while True:
        with transaction.atomic():
            rows = list(
                candidates.order_by("id").values_list("id", "feed_id", "identity_hash")[:batch_size]
            )
            if not rows:
                break
            EntryTombstone.objects.bulk_create(
                [EntryTombstone(feed_id=f, identity_hash=h, created_at=now) for _, f, h in rows],
                ignore_conflicts=True,
            )
            Entry.objects.filter(pk__in=[pk for pk, _, _ in rows]).delete()
        total += len(rows)
        if len(rows) < batch_size:
            break
    return total
