"""What one refresh did: ``RefreshResult``, its outcomes, and the one log line per fetch."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "NOT_MODIFIED",
    "OK",
    "RATE_LIMITED",
    "SKIPPED",
    "RefreshResult",
    "log_refresh",
    "refresh_result",
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


def refresh_result(
    feed, outcome, fetched, *, started, next_at, merged_from, **counts
) -> RefreshResult:
    """The ``RefreshResult`` of a fetch that got a response (``fetched``); ``counts``: new,
    updated, unchanged."""
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


def log_refresh(result: RefreshResult) -> None:
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
