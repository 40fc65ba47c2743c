"""Retention: old entries nobody starred are deleted, leaving tombstones."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from feeds import interest
from feeds.models import Entry, EntryTombstone

__all__ = ["entries_prune"]


def entries_prune(
    *, older_than_days: int, batch_size: int = 1000, now: datetime | None = None
) -> int:
    """Delete entries older than ``older_than_days`` that nobody starred; returns how many.

    "Older" means both published and first seen before the cutoff, so an old
    article seen for the first time today stays for the retention period.
    Each batch is one transaction that first writes an ``EntryTombstone`` of
    every deleted identity (so the feed cannot bring it back as new) and then
    deletes the entries (their non-star per-user state goes with them).
    Starred entries (``feeds.interest.entry_is_starred``) are never deleted.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=older_than_days)
    candidates = Entry.objects.filter(published_at__lt=cutoff, created_at__lt=cutoff).exclude(
        interest.entry_is_starred("pk")
    )
    total = 0
    while True:
        with transaction.atomic():
            rows = list(
                candidates.order_by("id").values_list("id", "feed_id", "identity_hash")[:batch_size]
            )
            if not rows:
                break
            EntryTombstone.objects.bulk_create(
                [EntryTombstone(feed_id=f, identity_hash=h, created_at=now) for _, f, h in rows],
                ignore_conflicts=True,
            )
            Entry.objects.filter(pk__in=[pk for pk, _, _ in rows]).delete()
        total += len(rows)
        if len(rows) < batch_size:
            break
    return total
