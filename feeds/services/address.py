"""The front door into ``feeds``: "give me the feed for this URL".

``feed_for_url`` cleans and checks the address (``feed_address_clean``: http(s) only,
the SSRF guard ``feeds.pipeline.fetch.check_url``), reuses the Feed Tidings already
fetches for it (no fetch at all), else finds the feed behind a site address
(``feeds.pipeline.discover``) and creates it. The response discovery fetched from the feed
is its first refresh (stored when the subscription commits: one request per new
subscription); a feed created without discovery gets its first fetch enqueued. A host
that asked readers to wait (a 429/503 Retry-After, ``feeds.scheduling.host_block``) is not
contacted: the feed is created under the URL as given and first fetched when the wait
ends (``feed_waits_for_host_until`` says when). Subscribing
(``reader.services.subscription_create``, reached from the web form, the REST API,
Google Reader quickadd, the directory and OPML import) goes through it.

Errors are ``FeedAddressError`` subclasses whose ``message`` is safe to show to users, in
the language active when they were raised (the request's, through gettext).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from feeds import scheduling
from feeds.models import Feed
from feeds.pipeline.discover import Discovery, FeedCandidate, FoundFeed, discover
from feeds.pipeline.fetch import FetchError, check_url
from feeds.services.creation import feed_get_or_create
from feeds.services.refresh import feed_refresh_from_response
from feeds.tasks import refresh_feed_enqueue

logger = logging.getLogger("tidings.fetch")

__all__ = [
    "FeedAddressError",
    "FeedAddressInvalid",
    "FeedAddressUnreachable",
    "FeedChoiceNeeded",
    "FeedNotFoundAtAddress",
    "feed_address_clean",
    "feed_candidates",
    "feed_for_url",
    "feed_waits_for_host_until",
]


class FeedAddressError(Exception):
    """An address that leads to no feed; ``message`` is safe to show to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FeedAddressInvalid(FeedAddressError):
    """Not an http(s) URL with a host, a bare path, or refused by the SSRF guard."""


class FeedAddressUnreachable(FeedAddressError):
    """The address could not be fetched; ``kind`` is the ``FetchError`` kind and
    ``retry_after`` its Retry-After (aware UTC datetime, for kind "rate_limited") or None."""

    def __init__(
        self, message: str, *, kind: str = "", retry_after: datetime | None = None
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.retry_after = retry_after


class FeedNotFoundAtAddress(FeedAddressError):
    """The page was fetched but neither is a feed nor links to one."""


class FeedChoiceNeeded(FeedAddressError):
    """The site offers several feeds: ``candidates`` (``FeedCandidate``: url, title, type)."""

    def __init__(self, message: str, *, candidates: list[FeedCandidate]) -> None:
        super().__init__(message)
        self.candidates = candidates


def feed_address_clean(url: str) -> str:
    """The URL stripped, ``https://`` added if no scheme, cleaned like the fetcher does.

    A bare path (``/feed.xml``, as relative OPML ``xmlUrl`` values are) is refused, not
    read as a host name; a protocol-relative ``//host/path`` gets ``https:``. The host is
    not resolved. Raises ``FeedAddressInvalid`` unless http(s) with a host (at most 2048
    characters) that the SSRF guard accepts.
    """
    url = (url or "").strip()
    if url.startswith("/") and not url.startswith("//"):  # a path, e.g. a relative OPML xmlUrl
        raise FeedAddressInvalid(
            _("%(url)s is a path, not a full web address.") % {"url": url[:200]}
        )
    if url and "://" not in url and not url.lower().startswith(("javascript:", "data:")):
        url = "https://" + url.lstrip("/")
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # an unbalanced "[": "Invalid IPv6 URL"
        raise FeedAddressInvalid("Enter a web address starting with http:// or https://.") from exc
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or len(url) > 2048:
        raise FeedAddressInvalid(_("Enter a web address starting with http:// or https://."))
    try:  # the fetcher's cleaning (case, default port, empty path), so lookups match
        return check_url(url, resolve=False)
    except FetchError as exc:
        raise FeedAddressInvalid(str(exc)) from exc


def feed_candidates(url: str) -> list[FeedCandidate]:
    """Feed candidates at the cleaned ``url``: itself when it is a feed, else the feeds its
    page links to (autodiscovery, then common paths), best first; never empty.

    One or more fetches. Raises ``FeedAddressInvalid`` (refused by the SSRF guard),
    ``FeedAddressUnreachable`` (fetch failed: message from the fetcher) or
    ``FeedNotFoundAtAddress`` (no feed there).
    """
    return list(_discovery(url).candidates)


def _discovery(url: str) -> Discovery:
    """``discover(url)`` with its errors as ``FeedAddressError``; never without candidates."""
    try:
        found = discover(url)
    except FetchError as exc:
        if exc.kind in ("invalid_url", "blocked"):
            raise FeedAddressInvalid(str(exc)) from exc
        message = _("Could not fetch %(url)s: %(reason)s") % {"url": url, "reason": exc}
        raise FeedAddressUnreachable(message, kind=exc.kind, retry_after=exc.retry_after) from exc
    if not found.candidates:
        raise FeedNotFoundAtAddress(_("No feed found at %(url)s.") % {"url": url})
    return found


def feed_waits_for_host_until(feed: Feed, *, now: datetime | None = None) -> datetime | None:
    """When a feed never fetched yet is first fetched, if its host asked readers to wait.

    An aware UTC datetime (the host's Retry-After, ``feeds.scheduling.host_blocked_until``)
    when ``feed`` has never been fetched and its host is rate-limited now, else None.
    ``now`` defaults to ``timezone.now()``.
    """
    if feed.last_fetched_at is not None:
        return None
    return scheduling.host_blocked_until(feed.url, now=now or timezone.now())


@contextmanager
def feed_for_url(
    *, url: str, discover: bool = True, interactive: bool = True, enqueue: bool = True
) -> Iterator[Feed]:
    """The Feed for ``url``, inside a transaction whose commit starts a new feed's first refresh.

    Use as ``with feed_for_url(url=...) as feed:`` and write what depends on the feed
    (a subscription) in the block: the first refresh of a new feed happens only when the
    block's transaction commits, so it sees those rows (and nothing happens if the block
    raises). Before the block: the URL is cleaned (``feed_address_clean``); a URL Tidings
    already fetches is reused without any fetch; a URL whose host asked readers to wait
    (Retry-After, also when discovery itself gets a 429/503 with one) is taken as the
    feed's without a request and its feed is due when the wait ends (no task is sent;
    ``feed_waits_for_host_until`` tells when); otherwise, with ``discover``, the feed
    behind a site address is found (``feeds.pipeline.discover.discover``: exactly one
    candidate that is a feed is needed) and the Feed is created, and on commit discovery's
    response of the feed is stored as its first refresh (``feed_refresh_from_response``;
    no second request). ``discover=False`` (OPML import) takes the URL as the feed's and
    skips the DNS lookup; its first fetch is sent on commit to queue ``interactive`` when
    ``interactive`` (someone is waiting), else to ``feeds``. ``enqueue=False`` sends no
    first fetch: the new feed is due, and the caller sends many at once
    (``feeds.tasks.refresh_feeds_enqueue``, as the OPML import does) or the scheduler
    claims it within a minute.

    Raises ``FeedAddressInvalid``, ``FeedChoiceNeeded``, ``FeedNotFoundAtAddress`` or
    ``FeedAddressUnreachable`` before the block runs.
    """
    feed, created, first, waits = _feed_get_or_create(feed_address_clean(url), discover=discover)
    with transaction.atomic():
        yield feed
        if not created or waits:
            return
        if first is not None:
            transaction.on_commit(lambda: _first_refresh(feed.pk, first, interactive))
        elif enqueue:
            refresh_feed_enqueue(feed_id=feed.pk, interactive=interactive)


def _first_refresh(feed_id: int, first: FoundFeed, interactive: bool) -> None:
    """Store discovery's response as the first refresh; if that breaks, enqueue a fetch."""
    try:
        feed_refresh_from_response(feed_id=feed_id, fetched=first.response, parsed=first.parsed)
    except Exception:  # the subscription is committed: the worker's fetch is the fallback
        logger.exception("could not store the first response of feed %s", feed_id)
        refresh_feed_enqueue(feed_id=feed_id, interactive=interactive)


def _feed_get_or_create(url: str, *, discover: bool) -> tuple[Feed, bool, FoundFeed | None, bool]:
    """(feed, created, discovery's fetched feed or None, waits for its host): the existing
    Feed of ``url``, else a waiting one (host rate-limited), else via discovery, else new."""
    existing = Feed.objects.filter(url=url).first()
    if existing is not None:
        return existing, False, None, False
    now = timezone.now()
    blocked = scheduling.host_blocked_until(url, now=now)
    if blocked is not None:
        return (*_waiting_feed(url, until=blocked, resolve=discover), None, True)
    first = None
    if discover:
        try:
            found = _discovery(url)
        except FeedAddressUnreachable as exc:
            if exc.kind != "rate_limited" or exc.retry_after is None:
                raise
            # The host asked to wait: remember it (its other feeds wait too) and subscribe.
            until = min(max(exc.retry_after, now), now + timedelta(days=1))
            scheduling.host_block(url, until=until, now=now)
            return (*_waiting_feed(url, until=until, resolve=True), None, True)
        if len(found.candidates) > 1:
            raise FeedChoiceNeeded(
                _("This site offers several feeds; pick one."), candidates=found.candidates
            )
        first = found.first
        url = found.candidates[0].url
    feed, created = _get_or_create(url, resolve=discover)
    return feed, created, first, False


def _waiting_feed(url: str, *, until: datetime, resolve: bool) -> tuple[Feed, bool]:
    """The Feed of ``url`` as given, due no earlier than ``until`` when created now."""
    feed, created = _get_or_create(url, resolve=resolve)
    if created:
        Feed.objects.filter(pk=feed.pk, next_fetch_at__lt=until).update(next_fetch_at=until)
        feed.next_fetch_at = max(feed.next_fetch_at, until)
    return feed, created


def _get_or_create(url: str, *, resolve: bool) -> tuple[Feed, bool]:
    try:
        return feed_get_or_create(url=url, resolve=resolve)
    except FetchError as exc:
        if exc.kind in ("invalid_url", "blocked"):
            raise FeedAddressInvalid(str(exc)) from exc
        raise FeedAddressUnreachable(str(exc), kind=exc.kind) from exc
