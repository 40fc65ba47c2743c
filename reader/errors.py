"""Errors raised by the reading services and selectors.

Faces map them once: ``NotFound`` is an ``Http404`` (pages and DRF answer 404),
``SubscriptionExists`` / ``CategoryExists`` mean 409, ``DiscoveryChoice`` asks the
user to pick a feed (300/409 with the candidates), the others are 400 except
``OpmlTooLarge`` (413).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404


class ReaderError(Exception):
    """Base of the reading app's errors; ``message`` is safe to show to the user."""

    code = "invalid"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(Http404):
    """An object that does not exist or belongs to another user (never told apart)."""


class InvalidURL(ReaderError):
    """The URL is not an http(s) URL with a host."""

    code = "invalid_url"


class SubscriptionExists(ReaderError):
    """The user already subscribes to this feed; ``subscription`` is the existing row."""

    code = "subscription_exists"

    def __init__(self, message: str, *, subscription: Any) -> None:
        super().__init__(message)
        self.subscription = subscription


class DiscoveryChoice(ReaderError):
    """The site offers several feeds: ``candidates`` (FeedCandidate: url, title, type)."""

    code = "discovery_choice"

    def __init__(self, message: str, *, candidates: list[Any]) -> None:
        super().__init__(message)
        self.candidates = candidates


class FeedNotFound(ReaderError):
    """The page was fetched but neither is a feed nor links to one."""

    code = "feed_not_found"


class FeedUnreachable(ReaderError):
    """The URL could not be fetched during discovery; ``kind`` is the FetchError kind."""

    code = "feed_unreachable"

    def __init__(self, message: str, *, kind: str = "") -> None:
        super().__init__(message)
        self.kind = kind


class CategoryExists(ReaderError):
    """The user already has a category with this title; ``category`` is the existing row."""

    code = "category_exists"

    def __init__(self, message: str, *, category: Any) -> None:
        super().__init__(message)
        self.category = category


class InvalidInput(ReaderError):
    """An argument is out of range (too many ids, bad cursor, empty title...)."""


class OpmlInvalid(ReaderError):
    """The OPML file could not be read at all; ``line`` is where it broke (or None)."""

    code = "opml_invalid"

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class OpmlTooLarge(ReaderError):
    """The OPML file is over the size limit (5 MiB) or has too many feeds."""

    code = "opml_too_large"
