"""Feed health: the annotated feed list and the admin's feed actions.

The admin (feeds/admin/) only parses input and calls these; the site summary page
is the project layer's (reader/project/admin_summary.py; figures in
``reader.project.site_figures``). Every list figure is an annotation, so a page of
feeds costs one query whatever its length.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    IntegerField,
    Max,
    Min,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from feeds import interest
from feeds.models import Entry, Feed, Source
from feeds.tasks import refresh_feed_enqueue


def _per_feed(queryset: QuerySet, aggregate, output_field) -> Subquery:
    """A correlated subquery: ``aggregate`` over ``queryset`` rows of the outer feed."""
    return Subquery(
        queryset.filter(feed=OuterRef("pk"))
        .order_by()
        .values("feed")
        .annotate(value=aggregate)
        .values("value"),
        output_field=output_field,
    )


def feed_health_queryset(queryset: QuerySet[Feed] | None = None) -> QuerySet[Feed]:
    """Feeds annotated with their health figures, computed in the database.

    Annotations: ``subscriber_count`` and ``entry_count`` (ints), ``first_entry_at``
    and ``last_entry_at`` (published times of the oldest and newest stored entries,
    None without entries), ``listed`` (an active directory source points at it).
    ``average_entry_interval`` turns them into a mean gap between entries.
    """
    queryset = Feed.objects.all() if queryset is None else queryset
    entries = Entry.objects.all()
    return queryset.annotate(
        subscriber_count=Coalesce(interest.subscriber_count("pk"), Value(0)),
        entry_count=Coalesce(_per_feed(entries, Count("id"), IntegerField()), Value(0)),
        first_entry_at=_per_feed(entries, Min("published_at"), DateTimeField()),
        last_entry_at=_per_feed(entries, Max("published_at"), DateTimeField()),
        listed=Exists(Source.objects.filter(feed=OuterRef("pk"), active=True)),
    )


def sources_with_subscribers(queryset: QuerySet[Source]) -> QuerySet[Source]:
    """Sources annotated with ``subscriber_count``: subscribers of the linked feed (0 if none)."""
    return queryset.annotate(subscriber_count=Coalesce(interest.subscriber_count("feed"), Value(0)))


def average_entry_interval(feed: Feed) -> timedelta | None:
    """Mean time between consecutive stored entries of an annotated feed (None below 2 entries).

    Equals (newest published - oldest published) / (entries - 1).
    """
    count = getattr(feed, "entry_count", 0)
    first, last = getattr(feed, "first_entry_at", None), getattr(feed, "last_entry_at", None)
    if count < 2 or first is None or last is None:
        return None
    return (last - first) / (count - 1)


# An admin "refresh now" of at most this many feeds goes to queue ``interactive``; a larger
# selection is bulk work and goes to ``feeds`` (it must not hold up people's subscriptions).
INTERACTIVE_REFRESH_MAX = 20


def feeds_refresh_enqueue(*, feed_ids: Iterable[int]) -> int:
    """Queue a forced ``refresh_feed`` for each feed (sent on commit); returns how many."""
    ids = list(feed_ids)
    interactive = len(ids) <= INTERACTIVE_REFRESH_MAX
    for feed_id in ids:
        refresh_feed_enqueue(feed_id=feed_id, force=True, interactive=interactive)
    return len(ids)


def feeds_reset_errors(*, feed_ids: Iterable[int], now: datetime | None = None) -> int:
    """Clear the error state of these feeds, re-enable them and make them due now.

    Returns the number of feeds updated. The next scheduled fetch starts afresh
    (no back-off); the entries are untouched.
    """
    now = now or timezone.now()
    return Feed.objects.filter(pk__in=list(feed_ids)).update(
        error_count=0,
        last_error="",
        last_error_kind="",
        first_error_at=None,
        disabled=False,
        disabled_reason="",
        next_fetch_at=now,
        leased_until=None,
        updated_at=now,
    )


def feeds_disable(*, feed_ids: Iterable[int], reason: str = "Disabled by an administrator") -> int:
    """Stop fetching these feeds (``disabled`` with a readable reason); returns how many."""
    return Feed.objects.filter(pk__in=list(feed_ids)).update(
        disabled=True, disabled_reason=reason, leased_until=None, updated_at=timezone.now()
    )
