"""The refresh chain: fetch -> parse -> (identity, sanitize inside) store -> schedule.

``feed_refresh`` is the only refresh path that fetches: the worker task, the
"refresh now" button, the API and ``manage.py refresh_feeds``/``add_feed`` all
call it, so every caller sees the same fetch state on the feed (error count,
readable last error, back-off). ``feed_push`` sends a document a WebSub hub
pushed through the same chain, and ``feed_refresh_from_response`` the response
the discovery of a new subscription already fetched (its first refresh).
Policies: cases/README.md rule 7 (redirects, validators, 304, Retry-After, back-off).
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import replace
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from feeds import fulltext, scheduling, websub
from feeds.fetch_options import fetch_kwargs
from feeds.models import Entry, Feed
from feeds.pipeline.discover import find_feed_links
from feeds.pipeline.fetch import FetchError, FetchResult, check_url, fetch
from feeds.pipeline.parse import NotAFeedError, ParseError, parse_feed
from feeds.pipeline.store import store_parsed
from feeds.services.bookkeeping import bookkeep, record_failure, success_fields
from feeds.services.creation import feed_merge
from feeds.services.failure_texts import crash_text, not_a_feed_text
from feeds.services.results import (
    NOT_MODIFIED,
    OK,
    RATE_LIMITED,
    SKIPPED,
    RefreshResult,
    log_refresh,
    refresh_result,
)
from feeds.signals import entries_stored

__all__ = ["feed_push", "feed_refresh", "feed_refresh_from_response"]

logger = logging.getLogger("tidings.fetch")


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
    FetchLog row (``feeds.metrics``) in one statement (``bookkeep``). Each fetch is
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
        result = record_failure(
            feed, now=now, started=started, kind="error", message=crash_text(exc)
        )
    # The FetchLog row (admin summary and /metrics) was written with the feed's
    # bookkeeping (bookkeep); this is the one log line of the fetch.
    log_refresh(result)
    return result


def _refresh_leased(feed: Feed, *, now: datetime, started: float) -> RefreshResult:
    try:
        # Per-feed options: User-Agent, extra headers, ignore cache headers.
        fetched = fetch(feed.url, **fetch_kwargs(feed))
    except FetchError as exc:
        return record_failure(
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
    """304: success with no parse and no store; one statement of bookkeeping (``bookkeep``)."""
    interval = feed.fetch_interval
    max_age = _max_age(feed, fetched)
    delay = scheduling.clamp_interval(max(interval, max_age or 0))
    delay = _push_delay(feed, delay, now=now)
    next_at = now + timedelta(seconds=scheduling.jittered(delay, feed_id=feed.pk))
    result = refresh_result(
        feed, NOT_MODIFIED, fetched, started=started, next_at=next_at, merged_from=merged_from
    )
    fields = success_fields(now=now, status=304, next_at=next_at, interval=interval)
    fields.update(
        etag=fetched.etag or feed.etag, last_modified=fetched.last_modified or feed.last_modified
    )
    bookkeep(feed.pk, fields, result)
    return result


def _store(feed, fetched, *, now, started, merged_from, parsed=None) -> RefreshResult:
    """200: parse (unless ``parsed`` is given), store, adapt the interval; a parse failure
    keeps the old entries."""
    common = {"now": now, "started": started, "status": fetched.status, "fetched": fetched}
    try:
        if parsed is None:
            parsed = parse_feed(
                fetched.content, url=fetched.final_url, content_type=fetched.content_type
            )
    except NotAFeedError:
        candidates = find_feed_links(fetched.content, fetched.final_url)
        message = not_a_feed_text(candidates)
        result = record_failure(feed, kind="not_a_feed", message=message, **common)
        return replace(result, candidates=[c.url for c in candidates])
    except ParseError as exc:
        return record_failure(
            feed, kind="parse", message=f"The feed could not be read: {exc}", **common
        )
    if not parsed.entries and parsed.bozo_message:
        message = f"The feed could not be read: {parsed.bozo_message}"
        return record_failure(feed, kind="parse", message=message, **common)
    # Entries, hooks and bookkeeping in one transaction (parsing stayed outside it), committed
    # asynchronously: bookkeep's statement turns synchronous_commit off for the transaction.
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
        result = refresh_result(
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
        fields = success_fields(now=now, status=fetched.status, next_at=next_at, interval=interval)
        fields.update(etag=fetched.etag or "", last_modified=fetched.last_modified or "")
        bookkeep(feed.pk, fields, result)
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
    the end of the lease. ``delay`` and the result are seconds."""
    return websub.poll_delay(feed, delay, now=now)


def _after_store(
    feed: Feed, *, parsed, stored, now: datetime, fetched, subscribed: bool = True
) -> None:
    """The hooks after a stored document: WebSub hub discovery, automatic full text.

    Each enqueues a task on commit when there is work; neither fetches anything here. The
    response's Link header is WebSub's first discovery mechanism (a push carries none).
    """
    link = fetched.headers.get("link", "")
    websub.websub_after_parse(
        feed=feed, parsed=parsed, now=now, link_header=link, base_url=fetched.final_url
    )
    if stored.new and subscribed:  # full text is a subscriber's option
        fulltext.fulltext_after_store(feed_id=feed.pk, since=now)


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
    log_refresh(result)  # _store wrote the FetchLog row with the bookkeeping
    return result


def feed_refresh_from_response(*, feed_id: int, fetched: FetchResult, parsed=None) -> RefreshResult:
    """Store ``fetched``, a 200 response of the feed's URL fetched elsewhere, as a refresh.

    The first refresh of a feed found by discovery (``feeds.services.address``): the
    discovery's response (``fetched``, and its ``ParsedFeed`` ``parsed`` when it was already
    parsed) goes through exactly what ``feed_refresh`` does with a 200 (parse, store,
    validators and bookkeeping, hooks, schedule, FetchLog row and log line), so a new
    subscription costs one request. The lease is taken as a forced refresh takes it: a
    refresh already in flight or a disabled feed gives "skipped". Never raises for a parse
    failure (recorded on the feed); raises only database errors.
    """
    started = time.monotonic() - fetched.elapsed  # the fetch is part of this refresh
    now = timezone.now()
    feed = scheduling.feed_lease_acquire(feed_id=feed_id, force=True, now=now)
    if feed is None:
        return RefreshResult(feed_id=feed_id, outcome=SKIPPED)
    try:
        result = _store(feed, fetched, now=now, started=started, merged_from=None, parsed=parsed)
    except Exception as exc:  # as in feed_refresh: never leave the feed leased and silent
        logger.exception("storing the first response crashed feed_id=%s", feed.pk)
        result = record_failure(
            feed, now=now, started=started, kind="error", message=crash_text(exc)
        )
    log_refresh(result)
    return result


def _wait_for_host(feed: Feed, *, until: datetime, now: datetime) -> RefreshResult:
    """The host asked us to wait (Retry-After on another feed): no request, reschedule."""
    with scheduling.relaxed_transaction():
        Feed.objects.filter(pk=feed.pk).update(next_fetch_at=until, leased_until=None)
    message = f"Not fetched: the server rate-limited us until {until:%Y-%m-%d %H:%M} UTC"
    return RefreshResult(
        feed_id=feed.pk, outcome=RATE_LIMITED, error=message, url=feed.url, next_fetch_at=until
    )
