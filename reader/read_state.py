"""The read verdict: whether an entry is read for a user, in SQL and in Python, in one place.

The rule (DESIGN.md "Read state that scales"; reader/models.py). An entry ``e`` of
a feed that the user subscribes to through subscription ``s`` is read when

1. the user's ``EntryState`` row ``x`` for it has ``read`` TRUE (a read exception)
   or FALSE (a kept-unread exception): that value wins; else
2. ``e.id <= s.read_max_id``: the watermark that mark-all-read raises (entry ids
   grow in first-seen order, so "everything up to here" is one number); or
3. ``e.published_at < s.unread_since``: a new subscriber's older entries.

An entry of a feed the user does not subscribe to (visible only because starred)
is read. Entries hidden by a rule (``HiddenEntry``, reader.rules) are marked read
when hidden, so the unread lists and counts leave them out already; the other
lists (all, read, search) filter them with ``NOT_HIDDEN``; Starred shows them.

So the unread entries of a subscription are the id tail above its watermark
(index ``reader_entry_feed_tail_idx``) minus read exceptions, plus the sparse
kept-unread exceptions below it: ``unread_sql`` builds that union.

SQL aliases: every fragment names ``e`` (``feeds_entry``), ``s`` (the user's
``reader_subscription`` of ``e.feed_id``) and, for ``IS_READ``, ``x`` (the user's
``reader_entrystate`` row of ``e``, LEFT JOINed: may be all NULL). Fragments that
allow ``s`` to be NULL (LEFT JOIN) say so. Fragments take no parameters unless
their docstring gives them.

The writes that move the watermark (``mark_read_up_to``) live here too, because
the clean-up of exceptions they do is the rule seen from the other side.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection

#: Read by the watermark or ``unread_since`` alone (no exception); ``s`` not NULL.
READ_BY_WATERMARK = (
    "(e.id <= s.read_max_id OR (s.unread_since IS NOT NULL AND e.published_at < s.unread_since))"
)
#: Not read by the watermark nor ``unread_since`` (the unread tail); ``s`` not NULL.
#: The negation of ``READ_BY_WATERMARK``, written so the tail index can serve it.
IN_UNREAD_TAIL = (
    "(e.id > s.read_max_id AND (s.unread_since IS NULL OR e.published_at >= s.unread_since))"
)
#: Read before looking at exceptions; ``s`` may be NULL (starred entry, feed unsubscribed: read).
READ_BY_DEFAULT = f"(CASE WHEN s.id IS NULL THEN TRUE ELSE {READ_BY_WATERMARK} END)"
#: The verdict: the exception ``x.read`` if any, else ``READ_BY_DEFAULT``; ``s``, ``x`` may be NULL.
IS_READ = (
    "(CASE WHEN x.read IS NOT NULL THEN x.read WHEN s.id IS NULL THEN TRUE "
    f"ELSE {READ_BY_WATERMARK} END)"
)
#: Hidden from ``s.user_id`` by one of their rules; ``s`` not NULL.
HIDDEN = (
    "EXISTS (SELECT 1 FROM reader_hiddenentry h WHERE h.user_id = s.user_id AND h.entry_id = e.id)"
)
#: Not hidden by one of the user's rules; ``s`` not NULL.
NOT_HIDDEN = f"NOT {HIDDEN}"


def unread_tail_sql(select: str, where: str = "", tail: str = "") -> str:
    """SQL selecting ``select`` over the user's entries above their watermarks and not read.

    Aliases ``s`` and ``e`` (joined, never NULL). ``where``: more conditions,
    starting with `` AND``; ``tail``: a clause after them (e.g. `` GROUP BY s.id``).
    Parameters: the user id, then those of ``where``.
    """
    return (
        f"SELECT {select} FROM reader_subscription s "
        "JOIN feeds_entry e ON e.feed_id = s.feed_id AND e.id > s.read_max_id "
        "WHERE s.user_id = %s "
        "AND (s.unread_since IS NULL OR e.published_at >= s.unread_since) "
        "AND NOT EXISTS (SELECT 1 FROM reader_entrystate r WHERE r.user_id = s.user_id "
        f"AND r.entry_id = e.id AND r.read = TRUE){where}{tail}"
    )


def kept_unread_sql(select: str, where: str = "", tail: str = "") -> str:
    """SQL selecting ``select`` over the user's kept-unread entries below their watermarks.

    Aliases ``x`` (the exception row), ``e`` and ``s`` (never NULL). ``where`` and
    ``tail`` as in ``unread_tail_sql``. Parameters: the user id, then those of ``where``.
    """
    return (
        f"SELECT {select} FROM reader_entrystate x "
        "JOIN feeds_entry e ON e.id = x.entry_id "
        "JOIN reader_subscription s ON s.user_id = x.user_id AND s.feed_id = e.feed_id "
        f"WHERE x.user_id = %s AND x.read = FALSE AND NOT {IN_UNREAD_TAIL}{where}{tail}"
    )


def unread_sql(select: str, where: str = "") -> str:
    """SQL selecting ``select`` over every unread entry of the user (each once).

    The union of ``unread_tail_sql`` and ``kept_unread_sql``. Parameters: the
    user id, those of ``where``, the user id again, those of ``where`` again
    (``unread_params`` builds that list).
    """
    return f"{unread_tail_sql(select, where)} UNION ALL {kept_unread_sql(select, where)}"


def unread_params(user_id: int, where_params: list[Any]) -> list[Any]:
    """The parameters of ``unread_sql`` for ``user_id`` and its ``where`` parameters."""
    return [user_id, *where_params, user_id, *where_params]


def is_read(entry: Any, sub: Any | None, state: Any | None) -> bool:
    """The verdict for one entry in Python (same rule as ``IS_READ``).

    ``entry``: an Entry (``pk``, ``published_at``); ``sub``: the user's
    Subscription of its feed, or None; ``state``: the user's EntryState of it, or None.
    """
    if state is not None and state.read is not None:
        return state.read
    if sub is None:
        return True
    return entry.pk <= sub.read_max_id or (
        sub.unread_since is not None and entry.published_at < sub.unread_since
    )


# --- Writes that move the watermark -------------------------------------------------


def _bound_sql(alias: str, *, bound: int, before: datetime | None) -> tuple[str, list[Any]]:
    """SQL (and parameters) of subscription ``alias``'s mark-all-read bound: an entry id.

    ``bound`` alone: that id. With ``before``: the newest entry of the feed first
    seen at or before ``before`` and not above ``bound`` (one index probe), else 0.
    """
    if before is None:
        return "%s", [bound]
    sql = (
        "COALESCE((SELECT b.id FROM feeds_entry b WHERE b.feed_id = "
        f"{alias}.feed_id AND b.created_at <= %s AND b.id <= %s "
        "ORDER BY b.created_at DESC, b.id DESC LIMIT 1), 0)"
    )
    return sql, [connection.ops.adapt_datetimefield_value(before), bound]


def mark_read_up_to(
    cur: Any,
    *,
    user_id: int,
    scope: str,
    scope_params: list[Any],
    bound: int,
    before: datetime | None = None,
) -> int:
    """Make read every unread entry of the scoped subscriptions at or below their bound.

    ``scope``: SQL conditions on alias ``s`` (a ``reader_subscription`` of
    ``user_id``) with ``scope_params``. The bound of each subscription is
    ``bound`` (an entry id) or, with ``before`` (aware datetime), the newest
    entry first seen at or before it and not above ``bound``. Exactly the
    entries in scope at or below the bound change: the watermark rises to the
    bound where it is lower, and the exceptions at or below the bound go (a
    starred row keeps its star and loses only ``read``). A kept-unread entry
    above the bound stays unread even when it is below the watermark.
    Two statements on ``cur`` (in the caller's transaction) plus one UPDATE;
    cost does not grow with the number of entries. Returns how many
    subscriptions moved their watermark.
    """
    new, new_params = _bound_sql("reader_subscription", bound=bound, before=before)
    cur.execute(
        f"UPDATE reader_subscription SET read_max_id = {new} WHERE id IN "
        f"(SELECT s.id FROM reader_subscription s WHERE {scope}) AND read_max_id < {new}",
        [*new_params, *scope_params, *new_params],
    )
    moved = cur.rowcount
    upto, upto_params = _bound_sql("s", bound=bound, before=before)
    below = (
        "SELECT x.entry_id FROM reader_entrystate x JOIN feeds_entry e ON e.id = x.entry_id "
        "JOIN reader_subscription s ON s.feed_id = e.feed_id AND s.user_id = x.user_id "
        f"WHERE x.user_id = %s AND x.read IS NOT NULL AND {scope} AND e.id <= {upto}"
    )
    below_params = [user_id, *scope_params, *upto_params]
    cur.execute(
        "DELETE FROM reader_entrystate WHERE user_id = %s AND starred = FALSE "
        f"AND entry_id IN ({below})",
        [user_id, *below_params],
    )
    cur.execute(
        "UPDATE reader_entrystate SET read = NULL WHERE user_id = %s AND starred = TRUE "
        f"AND entry_id IN ({below})",
        [user_id, *below_params],
    )
    return moved
