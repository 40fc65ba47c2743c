"""Subscriber interest: what ``feeds`` may ask about the people who read its feeds.

``feeds`` knows nothing of users (DESIGN.md; it imports neither ``reader`` nor
``accounts``), yet the scheduler fetches only feeds someone reads, the refresh runs
per-user hooks only when a feed has readers, full text is extracted only when a
subscriber asked for it, the admin counts subscribers, and retention keeps starred
entries. Those questions go through this one small interface: the app that owns
subscriptions (``reader``) implements ``SubscriberInterest`` and calls ``register``
once (``ReaderConfig.ready``); ``feeds`` calls the module functions below.

Every answer is a query expression or one query, so callers stay one statement:
expressions are correlated to the outer query through ``OuterRef``.
"""

from __future__ import annotations

from typing import Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Exists, Subquery

__all__ = [
    "SubscriberInterest",
    "entry_is_starred",
    "full_text_wanted",
    "has_readers",
    "has_readers_sql",
    "register",
    "subscriber_count",
]


class SubscriberInterest(Protocol):
    """The questions ``feeds`` asks about its readers (implemented by the subscriptions app)."""

    def has_readers(self, feed_ref: str) -> Exists:
        """EXISTS a subscription of the feed whose id is the outer query's ``feed_ref`` field."""
        ...

    def has_readers_sql(self, feed_id_sql: str) -> str:
        """The same test as raw SQL (``EXISTS (SELECT 1 ...)``) for ``feed_id_sql``, a
        column reference of the enclosing statement (no parameters, no user input)."""
        ...

    def subscriber_count(self, feed_ref: str) -> Subquery:
        """Number of subscriptions of the outer query's ``feed_ref`` feed (integer; NULL
        when none, so callers wrap it in ``Coalesce(..., 0)``)."""
        ...

    def full_text_wanted(self, feed_id: int) -> bool:
        """Whether any subscriber of feed ``feed_id`` turned on full-text extraction (one query)."""
        ...

    def entry_is_starred(self, entry_ref: str) -> Exists:
        """EXISTS a user who starred the outer query's ``entry_ref`` entry."""
        ...


_registered: SubscriberInterest | None = None


def register(implementation: SubscriberInterest) -> None:
    """Install the implementation (called once, from the subscriptions app's ``ready()``)."""
    global _registered
    _registered = implementation


def _interest() -> SubscriberInterest:
    if _registered is None:
        raise ImproperlyConfigured(
            "No SubscriberInterest is registered: the subscriptions app (reader) must call "
            "feeds.interest.register() in its AppConfig.ready()."
        )
    return _registered


def has_readers(feed_ref: str = "pk") -> Exists:
    """EXISTS a subscriber of the outer feed (``feed_ref``: "pk" on Feed, "feed" on Source)."""
    return _interest().has_readers(feed_ref)


def has_readers_sql(feed_id_sql: str) -> str:
    """``has_readers`` as a raw SQL boolean expression on the column ``feed_id_sql``."""
    return _interest().has_readers_sql(feed_id_sql)


def subscriber_count(feed_ref: str = "pk") -> Subquery:
    """Subscriptions of the outer feed, an integer subquery (NULL when none)."""
    return _interest().subscriber_count(feed_ref)


def full_text_wanted(feed_id: int) -> bool:
    """Whether a subscriber of ``feed_id`` wants the full text of its entries."""
    return _interest().full_text_wanted(feed_id)


def entry_is_starred(entry_ref: str = "pk") -> Exists:
    """EXISTS a user who starred the outer entry (``entry_ref``: "pk" on Entry)."""
    return _interest().entry_is_starred(entry_ref)
