"""The shared factories under their former path; new tests import ``tests.factories``."""

from __future__ import annotations

from tests.factories import (
    CategoryFactory,
    EntryFactory,
    FeedFactory,
    SubscriptionFactory,
    entries,
)

__all__ = ["CategoryFactory", "EntryFactory", "FeedFactory", "SubscriptionFactory", "entries"]
