"""Receivers that keep per-user reading state in step with changes to shared feeds."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import receiver

from feeds.models import Entry
from feeds.signals import feed_merged
from reader.models import EntryState, Subscription


@receiver(feed_merged, dispatch_uid="reader.feed_merged")
def move_state_on_feed_merge(sender: Any, source_id: int, target_id: int, **kwargs: Any) -> None:
    """Move subscriptions and entry states from feed ``source_id`` to ``target_id``.

    Runs inside ``feeds.services.feed_merge``'s transaction, before the source
    is deleted. The source then holds only entries that duplicate a target entry
    (same ``identity_hash``): each user's state on such an entry moves to the
    target entry (a star or read mark is merged into a state the user already
    has there). A user following only the source now follows the target (same
    row: title, category and watermark kept; moved entries kept their ids); a
    user following both keeps the target subscription only.
    """
    with transaction.atomic():
        _move_states(source_id, target_id)
        both = Subscription.objects.filter(feed_id=target_id).values("user_id")
        Subscription.objects.filter(feed_id=source_id, user_id__in=both).delete()
        Subscription.objects.filter(feed_id=source_id).update(feed_id=target_id)


def _move_states(source_id: int, target_id: int) -> None:
    states = list(EntryState.objects.filter(entry__feed_id=source_id).select_related("entry"))
    if not states:
        return
    hashes = {s.entry.identity_hash for s in states}
    targets = dict(
        Entry.objects.filter(feed_id=target_id, identity_hash__in=hashes).values_list(
            "identity_hash", "id"
        )
    )
    for state in states:
        target_entry = targets.get(state.entry.identity_hash)
        if target_entry is None:
            continue
        mine = EntryState.objects.filter(user_id=state.user_id, entry_id=target_entry).first()
        if mine is None:
            EntryState.objects.filter(pk=state.pk).update(entry_id=target_entry)
            continue
        if state.starred and not mine.starred:
            mine.starred, mine.starred_at = True, state.starred_at
        if mine.read is None:
            mine.read = state.read
        mine.save(update_fields=["starred", "starred_at", "read", "updated_at"])
