"""Per-user fetching services: retry a failing feed, full text on demand and by choice.

Each function is the one service behind the page, the REST API and any later client API:
it scopes by ``user`` (another user's subscription or entry is ``NotFound``, a 404) and calls
the shared feed services (``feeds.services.feed_retry``, ``feeds.fulltext``).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from feeds.fulltext import fulltext_extract
from feeds.services import FeedRetryRefused, feed_retry
from reader import selectors
from reader.errors import ReaderError
from reader.models import Subscription

__all__ = [
    "FeedDisabledByAdmin",
    "entry_fetch_full_text",
    "feed_status",
    "subscription_fetch_states",
    "subscription_retry",
    "subscription_set_full_text",
]

#: Most subscriptions one call of ``subscription_fetch_states`` reports on.
MAX_WATCHED = 20


class FeedDisabledByAdmin(ReaderError):
    """The feed was disabled by an administrator: a reader cannot re-enable it (409)."""

    code = "feed_disabled_by_admin"


def feed_status(feed: Any) -> str:
    """One word for a feed's fetch state: "ok", "failing" (backing off), "disabled" (Tidings
    stopped it: retry possible), "disabled_by_admin" (only an admin may re-enable it)."""
    if feed.disabled:
        return "disabled" if feed.auto_disabled else "disabled_by_admin"
    return "failing" if feed.error_count else "ok"


def subscription_retry(*, user: Any, subscription_id: int) -> Subscription:
    """Retry the feed of one of ``user``'s subscriptions now (the one-click "Retry").

    Re-enables a feed Tidings disabled itself (410 Gone or 30 days of failures), makes it
    due now and enqueues a forced refresh on commit (``feeds.services.feed_retry``). Any
    subscriber may do it: the feed is shared, and a retry only fetches once. Returns the
    subscription with its feed reloaded. Raises ``NotFound`` for an unknown or foreign
    subscription and ``FeedDisabledByAdmin`` when an administrator disabled the feed.
    """
    sub = selectors.subscription_get(user=user, subscription_id=subscription_id)
    try:
        sub.feed = feed_retry(feed_id=sub.feed_id)
    except FeedRetryRefused as exc:
        raise FeedDisabledByAdmin(
            _("An administrator stopped fetching this feed; only an administrator can resume it.")
        ) from exc

    return sub


def subscription_set_full_text(*, user: Any, subscription_id: int, enabled: bool) -> Subscription:
    """Turn automatic full-text extraction on or off for one of ``user``'s subscriptions.

    When on, new entries of the feed get their article extracted after each refresh
    (``feeds.fulltext``; stored once per entry, for every reader). Raises ``NotFound``.
    """
    sub = selectors.subscription_get(user=user, subscription_id=subscription_id)
    Subscription.objects.filter(pk=sub.pk).update(fetch_full_text=bool(enabled))
    sub.fetch_full_text = bool(enabled)
    return sub


def entry_fetch_full_text(*, user: Any, entry_id: int) -> Any:
    """Extract the full article of an entry ``user`` can read, now; returns the entry.

    The entry comes back as ``selectors.entry_get`` gives it (per-user flags), with
    ``full_content``, ``full_content_fetched_at`` and ``full_content_error`` set. An entry
    that already has full text is not fetched again (stored once, shared); one whose last
    attempt failed is tried again. Raises ``NotFound`` for an entry the user cannot read.
    Network failures are not raised: ``full_content_error`` says what happened.
    """
    entry = selectors.entry_get(user=user, entry_id=entry_id)
    done = fulltext_extract(entry_id=entry.pk)
    entry.full_content = done.full_content
    entry.full_content_fetched_at = done.full_content_fetched_at
    entry.full_content_error = done.full_content_error
    return entry


def subscription_fetch_states(*, user: Any, subscription_ids: list[int]) -> list[dict[str, Any]]:
    """Where the fetching of some of ``user``'s subscriptions stands, for a page waiting on it.

    One row per subscription of ``user`` among ``subscription_ids`` (the first
    ``MAX_WATCHED``; foreign or unknown ids are left out, never told apart): ``{"id":
    subscription id, "status": feed_status(), "last_fetched_at": aware datetime or None
    (the end of the feed's last fetch attempt; None: never fetched, the first fetch is
    queued), "last_error": readable text, "" when the last fetch worked}``. A client that
    started a fetch waits until ``last_fetched_at`` moves. One query.
    """
    ids = [int(i) for i in subscription_ids[:MAX_WATCHED]]
    if not ids:
        return []
    rows = (
        Subscription.objects.filter(user=user, pk__in=ids)
        .select_related("feed")
        .only(
            "id",
            "feed__disabled",
            "feed__auto_disabled",
            "feed__error_count",
            "feed__last_fetched_at",
            "feed__last_error",
        )
        .order_by("id")
    )
    return [
        {
            "id": sub.pk,
            "status": feed_status(sub.feed),
            "last_fetched_at": sub.feed.last_fetched_at,
            "last_error": sub.feed.last_error,
        }
        for sub in rows
    ]
