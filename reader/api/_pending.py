"""Service functions the API needs that the owning modules do not offer yet.

Each should move to its owner's module (named below); the API then imports it
from there and this module shrinks. Nothing here is a rule of the API itself.

- ``feeds_discover`` -> reader.services (H5): discovery without subscribing,
  with the same URL cleaning and error mapping as ``subscription_create``.
"""

from __future__ import annotations

from typing import Any

from reader.errors import FeedNotFound, FeedUnreachable, InvalidURL


def feeds_discover(*, url: str) -> list[Any]:
    """Feed candidates (FeedCandidate: url, title, type) at ``url``: itself if a feed, else the
    feeds its page links to (autodiscovery, common paths).

    The URL is cleaned like ``subscription_create`` (``https://`` assumed).
    Raises ``InvalidURL`` (not http(s), or refused by the SSRF guard),
    ``FeedUnreachable`` (fetch failed) or ``FeedNotFound`` (no feed there).
    """
    from feeds.pipeline.discover import discover_feeds
    from feeds.pipeline.fetch import FetchError
    from reader.services import _clean_url

    url = _clean_url(url)
    try:
        candidates = discover_feeds(url)
    except FetchError as exc:
        if exc.kind in ("invalid_url", "blocked"):
            raise InvalidURL(str(exc)) from exc
        raise FeedUnreachable(f"Could not fetch {url}: {exc}", kind=exc.kind) from exc
    if not candidates:
        raise FeedNotFound(f"No feed found at {url}.")
    return list(candidates)
