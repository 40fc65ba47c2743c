"""Readable failure texts of a refresh (shown as ``Feed.last_error`` to subscribers and admins)."""

from __future__ import annotations

__all__ = ["KIND_TEXT", "crash_text", "not_a_feed_text", "status_text"]

KIND_TEXT = {
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


def status_text(status: int | None) -> str:
    """ "HTTP 503: " (a prefix), or "" without a status."""
    return f"HTTP {status}: " if status else ""


def not_a_feed_text(candidates) -> str:
    """The error of a web page, naming the feeds it links to (``FeedCandidate`` list)."""
    if not candidates:
        return "This address is a web page, not a feed, and the page links to no feed."
    offers = "; ".join(
        f"{c.url} ({c.title})" if getattr(c, "title", "") else c.url for c in candidates
    )
    return f"This address is a web page, not a feed. Feeds found on it: {offers}"


def crash_text(exc: BaseException) -> str:
    """The error of an unexpected exception during a refresh (at most 2000 characters)."""
    return f"Internal error while refreshing ({type(exc).__name__}: {exc})"[:2000]
