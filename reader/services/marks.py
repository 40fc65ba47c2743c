"""Writes of read and starred state: marks on entries and mark-all-read.

Pages, the REST API, the Google Reader/Fever APIs, rules and tasks call these
(STYLE.md rule 1). Every function takes ``user`` and touches only that user's
rows; ids of entries the user cannot see are silently skipped, a foreign
subscription or category is ``NotFound``. What "read" means, and the SQL that
moves the watermark, live in ``reader.read_state``: here only which rows to
write (sparse ``EntryState`` exceptions: an exception is written only when the
wish differs from the watermark's verdict).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext

from feeds.models import Entry
from reader import duplicates, read_state
from reader.errors import InvalidInput
from reader.models import EntryState, HiddenEntry, Subscription
from reader.selectors import category_get, subscription_get

#: Most entry ids accepted by one batch call.
MAX_BATCH_IDS = 1000


def _clean_ids(entry_ids: Iterable[Any]) -> list[int]:
    ids = []
    for value in entry_ids:
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if 0 < number < 2**63:
            ids.append(number)
    ids = sorted(set(ids))
    if len(ids) > MAX_BATCH_IDS:
        raise InvalidInput(
            gettext("At most %(count)s entries per call.") % {"count": MAX_BATCH_IDS}
        )

    return ids


def _visible_defaults(user: Any, ids: list[int]) -> list[tuple[int, bool, bool]]:
    """(entry_id, read by default, starred) for the ids the user may see; others dropped."""
    if not ids:
        return []
    marks = ", ".join(["%s"] * len(ids))
    sql = (
        f"SELECT e.id, {read_state.READ_BY_DEFAULT}, COALESCE(x.starred, FALSE) FROM feeds_entry e "
        "LEFT JOIN reader_subscription s ON s.feed_id = e.feed_id AND s.user_id = %s "
        "LEFT JOIN reader_entrystate x ON x.entry_id = e.id AND x.user_id = %s "
        f"WHERE e.id IN ({marks}) AND (s.id IS NOT NULL OR x.starred = TRUE)"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [user.pk, user.pk, *ids])
        return [(row[0], bool(row[1]), bool(row[2])) for row in cur.fetchall()]


def _record_removed(user: Any, entry_ids: list[int]) -> None:
    """Date the change of entries whose exception row was just removed (no row keeps
    an ``updated_at``): ``read_state.record_entry_changes``, in the caller's transaction."""
    if entry_ids:
        with connection.cursor() as cur:
            read_state.record_entry_changes(cur, user_id=user.pk, entry_ids=entry_ids)


def entries_set_read(*, user: Any, entry_ids: Iterable[int], read: bool) -> list[int]:
    """Mark up to 1,000 entries read (``read=True``) or unread; returns the ids applied.

    Ids of entries the user cannot see (other users' feeds, unknown ids, junk)
    are silently skipped. An exception row is written only when the wish differs
    from the watermark's verdict; a redundant one is removed (and the removal dated
    in ``ReadStateChange``: three more queries when rows go). Four queries.
    With ``User.merge_duplicates`` the same article in the user's other feeds
    is marked too (``reader.duplicates``: two more queries); marking unread also
    unhides entries a rule hid (one more query). Raises ``InvalidInput`` for
    more than 1,000 ids.
    """
    ids = duplicates.with_duplicates(user=user, entry_ids=_clean_ids(entry_ids))
    if not read:
        HiddenEntry.objects.filter(user=user, entry_id__in=ids).delete()
    visible = _visible_defaults(user, ids)
    needed = [entry_id for entry_id, default, _ in visible if default != bool(read)]
    redundant = [entry_id for entry_id, default, _ in visible if default == bool(read)]
    now = timezone.now()
    with transaction.atomic():
        if needed:
            EntryState.objects.bulk_create(
                [
                    EntryState(user=user, entry_id=i, read=bool(read), updated_at=now)
                    for i in needed
                ],
                update_conflicts=True,
                unique_fields=["user", "entry"],
                update_fields=["read", "updated_at"],
            )
        if redundant:
            states = EntryState.objects.filter(user=user, entry_id__in=redundant)
            removed = list(states.filter(starred=False).values_list("entry_id", flat=True))
            states.filter(starred=False).delete()
            states.filter(read__isnull=False).update(read=None, updated_at=now)
            _record_removed(user, removed)
    return [entry_id for entry_id, _, _ in visible]


def entries_set_starred(*, user: Any, entry_ids: Iterable[int], starred: bool) -> list[int]:
    """Star or unstar up to 1,000 entries; returns the ids applied (others silently skipped).

    Starring keeps the first ``starred_at``. Starred entries are never pruned by
    retention and stay readable after unsubscribing. An unstar that removes the
    row is dated in ``ReadStateChange`` (``read_state.record_entry_changes``).
    Raises ``InvalidInput`` for more than 1,000 ids.
    """
    visible = _visible_defaults(user, _clean_ids(entry_ids))
    now = timezone.now()
    with transaction.atomic():
        if starred:
            new = [entry_id for entry_id, _, is_starred in visible if not is_starred]
            if new:
                EntryState.objects.bulk_create(
                    [
                        EntryState(
                            user=user, entry_id=i, starred=True, starred_at=now, updated_at=now
                        )
                        for i in new
                    ],
                    update_conflicts=True,
                    unique_fields=["user", "entry"],
                    update_fields=["starred", "starred_at", "updated_at"],
                )
        else:
            ids = [entry_id for entry_id, _, is_starred in visible if is_starred]
            if ids:
                states = EntryState.objects.filter(user=user, entry_id__in=ids)
                states.update(starred=False, starred_at=None, updated_at=now)
                removed = list(states.filter(read__isnull=True).values_list("entry_id", flat=True))
                states.filter(read__isnull=True).delete()
                _record_removed(user, removed)
    return [entry_id for entry_id, _, _ in visible]


def mark_all_read(
    *,
    user: Any,
    subscription_id: int | None = None,
    category_id: int | None = None,
    before: datetime | None = None,
    max_entry_id: int | None = None,
) -> int:
    """Mark everything read in one subscription, one category (0: Uncategorized) or all.

    Upper bound: only entries that existed when the request was made are
    marked, never later ones; narrower with ``max_entry_id`` (the highest entry
    id the client saw) and/or ``before`` (an aware datetime: entries first seen
    at or before it). Exactly the unread entries in scope at or below the bound
    become read; kept-unread entries above it stay unread
    (``reader.read_state.mark_read_up_to``). Cost does not grow with the number
    of entries: one UPDATE of the watermarks, then one DELETE and one UPDATE of
    the user's exception rows at or below the bound. Returns how many
    subscriptions moved their watermark. Raises ``NotFound`` for a foreign or
    unknown subscription/category.
    """
    scope, params = "s.user_id = %s", [user.pk]
    if subscription_id is not None:
        scope += " AND s.id = %s"
        params.append(subscription_get(user=user, subscription_id=subscription_id).pk)
    elif category_id is not None and int(category_id) == 0:
        scope += " AND s.category_id IS NULL"
    elif category_id is not None:
        scope += " AND s.category_id = %s"
        params.append(category_get(user=user, category_id=category_id).pk)
    bound = Entry.objects.aggregate(m=Max("id"))["m"] or 0
    if max_entry_id is not None:
        bound = max(0, min(bound, int(max_entry_id)))
    with transaction.atomic(), connection.cursor() as cur:
        return read_state.mark_read_up_to(
            cur, user_id=user.pk, scope=scope, scope_params=params, bound=bound, before=before
        )


def subscription_unread_older(*, user: Any, subscription_id: int) -> int:
    """Make unread the older entries a subscription started with as read.

    The one-click answer to "N older entries were marked read"
    (``reader.read_state.older_read_count``): the entries published before the
    subscription started become unread and it stops hiding older entries
    (``read_state.older_entries_unread``). Entries the user marked by hand keep their
    mark. Returns how many entries became unread. Raises ``NotFound`` for a foreign
    or unknown subscription.
    """
    subscription_get(user=user, subscription_id=subscription_id)
    with transaction.atomic():
        sub = Subscription.objects.select_for_update().get(pk=subscription_id, user=user)
        with connection.cursor() as cur:
            return read_state.older_entries_unread(cur, sub=sub)
