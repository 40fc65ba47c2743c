"""The subscriber interest ``feeds`` asks about (``feeds.interest``), answered from subscriptions.

Registered once in ``ReaderConfig.ready``; ``feeds`` never imports this module.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery

from reader.models import EntryState, Subscription

__all__ = ["SubscriptionInterest"]


class SubscriptionInterest:
    """``feeds.interest.SubscriberInterest`` over ``Subscription`` and ``EntryState`` rows."""

    def has_readers(self, feed_ref: str) -> Exists:
        """EXISTS a subscription of the outer query's ``feed_ref`` feed."""
        return Exists(Subscription.objects.filter(feed=OuterRef(feed_ref)))

    def has_readers_sql(self, feed_id_sql: str) -> str:
        """``EXISTS (SELECT 1 FROM reader_subscription WHERE feed_id = <feed_id_sql>)``."""
        quote = connection.ops.quote_name
        table = quote(Subscription._meta.db_table)
        column = quote(Subscription._meta.get_field("feed").column)
        return f"EXISTS (SELECT 1 FROM {table} WHERE {column} = {feed_id_sql})"  # noqa: S608

    def subscriber_count(self, feed_ref: str) -> Subquery:
        """Subscriptions of the outer query's ``feed_ref`` feed (NULL when none)."""
        counts = (
            Subscription.objects.filter(feed=OuterRef(feed_ref))
            .order_by()
            .values("feed")
            .annotate(value=Count("id"))
            .values("value")
        )
        return Subquery(counts, output_field=IntegerField())

    def full_text_wanted(self, feed_id: int) -> bool:
        """Whether a subscriber of ``feed_id`` turned on ``fetch_full_text`` (one EXISTS query)."""
        return Subscription.objects.filter(feed_id=feed_id, fetch_full_text=True).exists()

    def entry_is_starred(self, entry_ref: str) -> Exists:
        """EXISTS a starred ``EntryState`` of the outer query's ``entry_ref`` entry."""
        return Exists(EntryState.objects.filter(entry=OuterRef(entry_ref), starred=True))
