"""Creating feeds and merging two feeds that turned out to be one."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Subquery

from feeds.models import Entry, EntryTombstone, Feed, FeedIcon, Source
from feeds.pipeline.fetch import check_url
from feeds.signals import feed_merged

__all__ = ["feed_get_or_create", "feed_merge"]

logger = logging.getLogger("tidings.fetch")


def feed_get_or_create(*, url: str, resolve: bool = True) -> tuple[Feed, bool]:
    """The one Feed of ``url`` (cleaned by ``fetch.check_url``), created if new; (feed, created).

    Nothing is fetched. Raises ``FetchError`` (kind "invalid_url" or "blocked")
    for URLs the SSRF guard refuses. A new feed is due at once. ``resolve=False``
    skips the DNS lookup (OPML import: a feed whose host does not resolve now is
    still subscribed; ``fetch`` checks the address again at connect time).
    """
    cleaned = check_url(url, resolve=resolve)
    return Feed.objects.get_or_create(url=cleaned)


def feed_merge(*, source: Feed, target: Feed) -> int:
    """Fold ``source`` into ``target`` and delete ``source``; returns the number of entries moved.

    In one transaction: entries of the source whose identity the target lacks
    move to the target (same rows, so their per-user state follows); tombstones
    likewise; the icon when the target has none; directory sources. Then
    ``feeds.signals.feed_merged(sender=Feed, source_id=, target_id=)`` is sent,
    BEFORE the source is deleted, so reader moves subscriptions and the state of
    duplicate entries; then the source (with its duplicate entries) is deleted.
    Used when a permanent redirect leads to a URL another feed already has.
    """
    with transaction.atomic():
        moved = (
            Entry.objects.filter(feed=source)
            .exclude(identity_hash__in=Subquery(target.entries.values("identity_hash")))
            .update(feed=target)
        )
        EntryTombstone.objects.filter(feed=source).exclude(
            identity_hash__in=Subquery(target.tombstones.values("identity_hash"))
        ).update(feed=target)
        if not FeedIcon.objects.filter(feed=target).exists():
            FeedIcon.objects.filter(feed=source).update(feed=target)
        Source.objects.filter(feed=source).update(feed=target)
        feed_merged.send(sender=Feed, source_id=source.pk, target_id=target.pk)
        Feed.objects.filter(pk=source.pk).delete()
    logger.info(
        "feed merged source=%s target=%s entries_moved=%s",
        source.pk,
        target.pk,
        moved,
        extra={"feed_id": target.pk, "merged_from": source.pk, "entries_moved": moved},
    )
    return moved
