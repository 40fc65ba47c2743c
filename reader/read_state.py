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
the clean-up of exceptions they do is the rule seen from the other side. So does
the record of when state changed without an ``EntryState`` row to date it
(``reader.models.ReadStateChange``): every watermark move and every removed
exception row is recorded here, in the same transaction, and
``changes_since_sql`` reads it back with the other dates of change.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Max, Min
from django.utils import timezone

from feeds.models import Entry

#: How long ``ReadStateChange`` rows are kept one by one; older rows of a subscription
#: are coalesced into one covering all their ids (``coalesce_state_changes``).
STATE_CHANGE_RETENTION = timedelta(days=30)
#: The largest entry id: a recorded range "from this entry up" ends here.
LAST_ENTRY_ID = 2**63 - 1
_CHANGE_INSERT = (
    "INSERT INTO reader_readstatechange (subscription_id, first_id, last_id, changed_at) "
)

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
#: Read by the user's own mark on this one entry, made at or after a time (one parameter: an
#: aware datetime): a read exception ``x`` (not NULL) written since then. Entries read by a
#: mark-all-read (the watermark) carry no time and are not included. Tiny Tiny RSS's
#: "Recently read" feed.
MARKED_READ_SINCE = "(x.read = TRUE AND x.updated_at >= %s)"


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


def unread_counts_sql() -> str:
    """SQL of ``(sub_id, cat_id, n)`` rows whose sums per ``sub_id`` are the user's unread counts.

    The same verdict as ``unread_sql``, counted without listing the entries: per subscription
    the entries of its unread tail (``IN_UNREAD_TAIL``, counted on the feed's index by a
    correlated ``COUNT``), minus those of them the user marked read (exception rows), plus
    the kept-unread ones below the watermark (``kept_unread_sql``). Every subscription has a
    row carrying its ``category_id``; the others carry NULL. Joining every tail entry to the
    exceptions and grouping them cost twice as much for a user with 1,000 subscriptions and
    50,000 unread (bench/reading.py). Parameters: the user id three times.
    """
    per_sub = "s.id AS sub_id, CAST(NULL AS BIGINT) AS cat_id, COUNT(*) AS n"
    return (
        "SELECT s.id AS sub_id, s.category_id AS cat_id, (SELECT COUNT(*) FROM feeds_entry e "
        f"WHERE e.feed_id = s.feed_id AND {IN_UNREAD_TAIL}) AS n "
        "FROM reader_subscription s WHERE s.user_id = %s "
        "UNION ALL SELECT s.id, CAST(NULL AS BIGINT), -COUNT(*) FROM reader_entrystate x "
        "JOIN feeds_entry e ON e.id = x.entry_id "
        "JOIN reader_subscription s ON s.user_id = x.user_id AND s.feed_id = e.feed_id "
        f"WHERE x.user_id = %s AND x.read = TRUE AND {IN_UNREAD_TAIL} GROUP BY s.id "
        f"UNION ALL {kept_unread_sql(per_sub, tail=' GROUP BY s.id')}"
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
    above the bound stays unread even when it is below the watermark. What
    changes is recorded first (``ReadStateChange``: each moved watermark's new
    range, each kept-unread entry below the old watermark that becomes read).
    Five statements on ``cur`` (in the caller's transaction) plus the coalescing
    of old change rows; cost does not grow with the number of entries. Returns
    how many subscriptions moved their watermark.
    """
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    upto, upto_params = _bound_sql("s", bound=bound, before=before)
    # Record what changes before it changes: the ids between each old watermark and its
    # new bound, and the kept-unread entries below the old watermark that become read.
    cur.execute(
        f"{_CHANGE_INSERT}SELECT s.id, s.read_max_id + 1, {upto}, %s FROM reader_subscription s "
        f"WHERE {scope} AND s.read_max_id < {upto}",
        [*upto_params, now, *scope_params, *upto_params],
    )
    cur.execute(
        f"{_CHANGE_INSERT}SELECT s.id, e.id, e.id, %s FROM reader_entrystate x "
        "JOIN feeds_entry e ON e.id = x.entry_id "
        "JOIN reader_subscription s ON s.feed_id = e.feed_id AND s.user_id = x.user_id "
        f"WHERE x.user_id = %s AND x.read = FALSE AND {scope} AND e.id <= {upto} "
        "AND e.id <= s.read_max_id",
        [now, user_id, *scope_params, *upto_params],
    )
    new, new_params = _bound_sql("reader_subscription", bound=bound, before=before)
    cur.execute(
        f"UPDATE reader_subscription SET read_max_id = {new} WHERE id IN "
        f"(SELECT s.id FROM reader_subscription s WHERE {scope}) AND read_max_id < {new}",
        [*new_params, *scope_params, *new_params],
    )
    moved = cur.rowcount
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
    coalesce_state_changes(cur, user_id=user_id)
    return moved


def record_entry_changes(cur: Any, *, user_id: int, entry_ids: list[int]) -> None:
    """Record that the state of ``entry_ids`` changed now for ``user_id``.

    For the writes that remove an ``EntryState`` row (a mark back to the watermark's
    verdict, an unstar), which leave no ``updated_at`` behind: one ``ReadStateChange``
    per entry of a feed the user subscribes to (others are skipped). Runs on ``cur`` in
    the caller's transaction; two statements (one with the coalescing).
    """
    ids = sorted({int(i) for i in entry_ids})
    if not ids:
        return
    marks = ", ".join(["%s"] * len(ids))
    cur.execute(
        f"{_CHANGE_INSERT}SELECT s.id, e.id, e.id, %s FROM feeds_entry e "
        "JOIN reader_subscription s ON s.feed_id = e.feed_id AND s.user_id = %s "
        f"WHERE e.id IN ({marks})",
        [connection.ops.adapt_datetimefield_value(timezone.now()), user_id, *ids],
    )
    coalesce_state_changes(cur, user_id=user_id)


def coalesce_state_changes(cur: Any, *, user_id: int, now: datetime | None = None) -> int:
    """Keep the change record bounded: merge each subscription's rows older than
    ``STATE_CHANGE_RETENTION`` into one row (lowest ``first_id``, highest ``last_id``,
    latest ``changed_at``).

    Nothing is forgotten, only blurred: an app asking for changes since a time before the
    horizon gets every entry of the merged range. So a subscription keeps at most one
    row older than the horizon plus one per change made since. One indexed query when
    nothing is old enough; returns how many subscriptions were coalesced.
    """
    horizon = connection.ops.adapt_datetimefield_value(
        (now or timezone.now()) - STATE_CHANGE_RETENTION
    )
    cur.execute(
        "SELECT r.subscription_id, MIN(r.first_id), MAX(r.last_id), MAX(r.changed_at) "
        "FROM reader_readstatechange r JOIN reader_subscription s ON s.id = r.subscription_id "
        "WHERE s.user_id = %s AND r.changed_at < %s GROUP BY r.subscription_id "
        "HAVING COUNT(*) > 1",
        [user_id, horizon],
    )
    merged = cur.fetchall()
    for sub_id, first, last, latest in merged:
        cur.execute(
            "DELETE FROM reader_readstatechange WHERE subscription_id = %s AND changed_at < %s",
            [sub_id, horizon],
        )
        cur.execute(f"{_CHANGE_INSERT}VALUES (%s, %s, %s, %s)", [sub_id, first, last, latest])
    return len(merged)


def changes_since_sql(scope: str) -> str:
    """SQL of ``(entry id, subscription id, changed at)`` for every entry of the user's
    subscriptions in ``scope`` whose content or state may have changed at or after a time.

    The dates of change of an entry ``e`` of subscription ``s``: when Tidings first saw it
    (``e.created_at``), the publisher's update (``e.updated_at``, kept at most "now" by the
    store), when the user subscribed (``s.created_at``: all its entries are new to apps),
    the user's exception row (``EntryState.updated_at``) and every ``ReadStateChange``
    covering it. An entry may come once per date; callers take the latest.
    ``scope``: conditions on ``s`` (``s.user_id = %s`` first). Parameters: the scope's
    and the time, five times over (``changes_since_params``).
    """
    subs = f"(SELECT s.* FROM reader_subscription s WHERE {scope})"
    return (
        f"SELECT e.id AS id, s.id AS sub_id, e.created_at AS changed_at FROM {subs} s "
        "JOIN feeds_entry e ON e.feed_id = s.feed_id WHERE e.created_at >= %s "
        f"UNION ALL SELECT e.id, s.id, e.updated_at FROM {subs} s "
        "JOIN feeds_entry e ON e.feed_id = s.feed_id WHERE e.updated_at >= %s "
        f"UNION ALL SELECT e.id, s.id, s.created_at FROM {subs} s "
        "JOIN feeds_entry e ON e.feed_id = s.feed_id WHERE s.created_at >= %s "
        f"UNION ALL SELECT e.id, s.id, x.updated_at FROM {subs} s "
        "JOIN reader_entrystate x ON x.user_id = s.user_id "
        "JOIN feeds_entry e ON e.id = x.entry_id AND e.feed_id = s.feed_id "
        "WHERE x.updated_at >= %s "
        f"UNION ALL SELECT e.id, s.id, r.changed_at FROM {subs} s "
        "JOIN reader_readstatechange r ON r.subscription_id = s.id "
        "JOIN feeds_entry e ON e.feed_id = s.feed_id AND e.id >= r.first_id "
        "AND e.id <= r.last_id WHERE r.changed_at >= %s"
    )


def changes_since_params(scope_params: list[Any], since: datetime) -> list[Any]:
    """The parameters of ``changes_since_sql`` for its scope's parameters and ``since``."""
    at = connection.ops.adapt_datetimefield_value(since)
    return [*scope_params, at] * 5


# --- Where a new subscription starts ----------------------------------------------

#: A new subscriber's choice of what starts unread: entries of the last
#: ``NEW_SUBSCRIPTION_UNREAD_DAYS`` days (the default), everything, or nothing.
START_RECENT = "recent"
START_ALL = "all"
START_NONE = "none"
START_CHOICES = (START_RECENT, START_ALL, START_NONE)


def starting_point(
    *, feed_id: int, choice: str, now: datetime, recent_days: int
) -> tuple[int, datetime | None]:
    """The ``(read_max_id, unread_since)`` a new subscription to ``feed_id`` starts with.

    ``choice`` is one of ``START_CHOICES``:

    - ``"recent"``: entries published in the last ``recent_days`` days are unread;
      ``unread_since = now - recent_days`` and the watermark just below the feed's
      first entry published since then (entries under it are older anyway: a short tail).
    - ``"all"``: every entry is unread (``0, None``).
    - ``"none"``: nothing published before ``now`` is unread, now or when the first
      fetch brings it (``unread_since = now``, the watermark at the feed's newest entry);
      entries published later are unread.

    Raises ``ValueError`` for another ``choice``. One or two indexed queries.
    """
    if choice == START_ALL:
        return 0, None
    if choice == START_NONE:
        newest = Entry.objects.filter(feed_id=feed_id).aggregate(last=Max("id"))["last"]
        return newest or 0, now
    if choice != START_RECENT:
        raise ValueError(f"unknown starting choice {choice!r}")
    since = now - timedelta(days=recent_days)
    first = Entry.objects.filter(feed_id=feed_id, published_at__gte=since).aggregate(
        first=Min("id")
    )["first"]
    if first is not None:
        return first - 1, since
    newest = Entry.objects.filter(feed_id=feed_id).aggregate(last=Max("id"))["last"]
    return newest or 0, since


#: Entries ``e`` of subscription ``s`` read only because they were published before the
#: subscription started (``unread_since``) and with no exception of the user (``x``-free).
_OLDER_READ = (
    "FROM feeds_entry e WHERE e.feed_id = %s AND e.published_at < %s "
    "AND NOT EXISTS (SELECT 1 FROM reader_entrystate x WHERE x.user_id = %s "
    "AND x.entry_id = e.id AND x.read IS NOT NULL)"
)


def older_read_count(sub: Any) -> int:
    """How many entries of subscription ``sub`` started read as older than its start.

    Those published before ``sub.unread_since`` that the user has not marked read or
    unread by hand (no exception); 0 when ``unread_since`` is NULL. One query on the
    feed's ``(feed, published_at)`` index.
    """
    if sub.unread_since is None:
        return 0
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT COUNT(*) {_OLDER_READ}",
            [sub.feed_id, connection.ops.adapt_datetimefield_value(sub.unread_since), sub.user_id],
        )
        return int(cur.fetchone()[0])


def older_entries_unread(cur: Any, *, sub: Any) -> int:
    """Make unread the entries ``sub`` started with as read (those ``older_read_count`` counts).

    ``unread_since`` becomes NULL and the watermark drops below the oldest of them; an
    entry between the new and the old watermark that is not older (so read because the
    user marked all read since) keeps its verdict through a read exception. Runs on
    ``cur`` in the caller's transaction; ``sub`` is the subscription row as locked by
    the caller. Returns how many entries became unread.
    """
    if sub.unread_since is None:
        return 0
    since = connection.ops.adapt_datetimefield_value(sub.unread_since)
    count = older_read_count(sub)
    cur.execute(
        "SELECT MIN(e.id) FROM feeds_entry e WHERE e.feed_id = %s AND e.published_at < %s "
        "AND e.id <= %s",
        [sub.feed_id, since, sub.read_max_id],
    )
    lowest = cur.fetchone()[0]
    new_mark = sub.read_max_id if lowest is None else lowest - 1
    if new_mark < sub.read_max_id:
        # Keep read what the watermark made read and is not older than the start.
        cur.execute(
            "INSERT INTO reader_entrystate (user_id, entry_id, read, starred, updated_at) "
            "SELECT %s, e.id, TRUE, FALSE, %s FROM feeds_entry e WHERE e.feed_id = %s "
            "AND e.id > %s AND e.id <= %s AND e.published_at >= %s "
            "AND NOT EXISTS (SELECT 1 FROM reader_entrystate x WHERE x.user_id = %s "
            "AND x.entry_id = e.id)",
            [
                sub.user_id,
                connection.ops.adapt_datetimefield_value(timezone.now()),
                sub.feed_id,
                new_mark,
                sub.read_max_id,
                since,
                sub.user_id,
            ],
        )
    cur.execute(
        "UPDATE reader_subscription SET read_max_id = %s, unread_since = NULL WHERE id = %s",
        [new_mark, sub.pk],
    )
    # Entries above the lowered watermark may change, older ones of any id included.
    cur.execute(
        f"{_CHANGE_INSERT}VALUES (%s, %s, %s, %s)",
        [
            sub.pk,
            new_mark + 1,
            LAST_ENTRY_ID,
            connection.ops.adapt_datetimefield_value(timezone.now()),
        ],
    )
    return count
