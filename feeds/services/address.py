"""The front door into ``feeds``: "give me the feed for this URL".

``feed_for_url`` cleans and checks the address (``feed_address_clean``: http(s) only,
the SSRF guard ``feeds.pipeline.fetch.check_url``), reuses the Feed Tidings already
fetches for it (no fetch at all), else finds the feed behind a site address
(``feeds.pipeline.discover``), creates it and enqueues its first fetch. Subscribing
(``reader.services.subscription_create``, reached from the web form, the REST API,
Google Reader quickadd, the directory and OPML import) goes through it.

Errors are ``FeedAddressError`` subclasses whose ``message`` is safe to show to users, in
the language active when they were raised (the request's, through gettext).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from django.db import transaction
from django.utils.translation import gettext as _

from feeds.models import Feed
from feeds.pipeline.discover import FeedCandidate, discover_feeds
from feeds.pipeline.fetch import FetchError, check_url
from feeds.services.creation import feed_get_or_create
from feeds.tasks import refresh_feed_enqueue

__all__ = [
    "FeedAddressError",
    "FeedAddressInvalid",
    "FeedAddressUnreachable",
    "FeedChoiceNeeded",
    "FeedNotFoundAtAddress",
    "feed_address_clean",
    "feed_candidates",
    "feed_for_url",
]


class FeedAddressError(Exception):
    """An address that leads to no feed; ``message`` is safe to show to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FeedAddressInvalid(FeedAddressError):
    """Not an http(s) URL with a host, a bare path, or refused by the SSRF guard."""


class FeedAddressUnreachable(FeedAddressError):
    """The address could not be fetched; ``kind`` is the ``FetchError`` kind."""

    def __init__(self, message: str, *, kind: str = "") -> None:
        super().__init__(message)
        self.kind = kind


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
    try:
        candidates = discover_feeds(url)
    except FetchError as exc:
        if exc.kind in ("invalid_url", "blocked"):
            raise FeedAddressInvalid(str(exc)) from exc
        message = _("Could not fetch %(url)s: %(reason)s") % {"url": url, "reason": exc}
        raise FeedAddressUnreachable(message, kind=exc.kind) from exc
    if not candidates:
        raise FeedNotFoundAtAddress(_("No feed found at %(url)s.") % {"url": url})
    return list(candidates)


@contextmanager
def feed_for_url(*, url: str, discover: bool = True, interactive: bool = True) -> Iterator[Feed]:
    """The Feed for ``url``, inside a transaction that enqueues its first fetch on commit.

    Use as ``with feed_for_url(url=...) as feed:`` and write what depends on the feed
    (a subscription) in the block: the first fetch of a new feed is sent only when the
    block's transaction commits, so the worker sees those rows (and nothing is sent if
    the block raises). Before the block: the URL is cleaned (``feed_address_clean``); a
    URL Tidings already fetches is reused without any fetch; otherwise, with
    ``discover``, the feed behind a site address is found (``feed_candidates``; exactly
    one is needed) and the Feed is created (``feed_get_or_create``, which resolves the
    host through the SSRF guard). ``discover=False`` (OPML import) takes the URL as the
    feed's and skips the DNS lookup. ``interactive`` sends the first fetch to queue
    ``interactive`` (someone is waiting), else to ``feeds``.

    Raises ``FeedAddressInvalid``, ``FeedChoiceNeeded``, ``FeedNotFoundAtAddress`` or
    ``FeedAddressUnreachable`` before the block runs.
    """
    feed, created = _feed_get_or_create(feed_address_clean(url), discover=discover)
    with transaction.atomic():
        yield feed
        if created:
            refresh_feed_enqueue(feed_id=feed.pk, interactive=interactive)


def _feed_get_or_create(url: str, *, discover: bool) -> tuple[Feed, bool]:
    """(feed, created): the existing Feed of ``url``, else via discovery, else a new one."""
    existing = Feed.objects.filter(url=url).first()
    if existing is not None:
        return existing, False
    if discover:
        candidates = feed_candidates(url)
        if len(candidates) > 1:
            raise FeedChoiceNeeded(
                _("This site offers several feeds; pick one."), candidates=candidates
            )

        url = candidates[0].url
    try:
        return feed_get_or_create(url=url, resolve=discover)
    except FetchError as exc:
        if exc.kind in ("invalid_url", "blocked"):
            raise FeedAddressInvalid(str(exc)) from exc
        raise FeedAddressUnreachable(str(exc), kind=exc.kind) from exc
