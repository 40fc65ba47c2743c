"""The feed services: what other apps, tasks, commands and the admin call to change feeds.

Modules by concern:

- ``address``: the one front door "give me the feed for this URL" (validation, the SSRF
  guard, discovery, get-or-create, the first fetch);
- ``creation``: ``feed_get_or_create``, ``feed_merge``;
- ``refresh``: the refresh chain ``feed_refresh`` (fetch -> parse -> store -> schedule)
  and ``feed_push`` (a WebSub push through the same chain);
- ``bookkeeping``: what a fetch writes on the feed and its FetchLog row (the SQL);
- ``failure_texts``: the readable errors recorded on a failing feed;
- ``results``: ``RefreshResult`` and the one log line per fetch;
- ``retry``: ``feed_retry``; ``retention``: ``entries_prune``.
"""

from __future__ import annotations

from feeds.scheduling import feeds_claim_due
from feeds.services.address import (
    FeedAddressError,
    FeedAddressInvalid,
    FeedAddressUnreachable,
    FeedChoiceNeeded,
    FeedNotFoundAtAddress,
    feed_address_clean,
    feed_candidates,
    feed_for_url,
    feed_waits_for_host_until,
)
from feeds.services.creation import feed_get_or_create, feed_merge
from feeds.services.refresh import feed_push, feed_refresh, feed_refresh_from_response
from feeds.services.results import RefreshResult
from feeds.services.retention import entries_prune
from feeds.services.retry import FeedRetryRefused, feed_retry

__all__ = [
    "FeedAddressError",
    "FeedAddressInvalid",
    "FeedAddressUnreachable",
    "FeedChoiceNeeded",
    "FeedNotFoundAtAddress",
    "FeedRetryRefused",
    "RefreshResult",
    "entries_prune",
    "feed_address_clean",
    "feed_candidates",
    "feed_for_url",
    "feed_get_or_create",
    "feed_merge",
    "feed_push",
    "feed_refresh",
    "feed_refresh_from_response",
    "feed_retry",
    "feed_waits_for_host_until",
    "feeds_claim_due",
]
