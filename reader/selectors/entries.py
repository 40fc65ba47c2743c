"""Reads of a user's entries: lists, id pages, one entry, with per-user flags.

Every query here is scoped by ``user`` (DESIGN.md, "Every per-user query is
scoped by user in a selector or service"): an entry is visible to a user when
they subscribe to its feed, or when they starred it (starred entries stay
readable after unsubscribing). Anything else is ``reader.errors.NotFound``.

Whether an entry is read comes from ``reader.read_state`` (the rule and its SQL
live there only): the unread entries of a subscription are the id tail above its
watermark plus the sparse "kept unread" exceptions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any, Literal, NamedTuple

from django.db import connection
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from feeds.models import Entry
from reader import duplicates, read_state, search
from reader.errors import InvalidInput, NotFound
from reader.models import EntryState, Subscription
from reader.read_state import IS_READ, NOT_HIDDEN, unread_sql
from reader.selectors.cursors import cursor_decode, cursor_encode, utc_datetime

#: Largest page of entries a caller may ask for.
MAX_PAGE_SIZE = 500
#: Most ids one ``entry_id_page`` page returns (NetNewsWire asks for 10,000).
MAX_ID_PAGE = 10_000

Status = Literal["unread", "read", "starred", "all"]
Sort = Literal["newest", "oldest"]


@dataclass(frozen=True)
class EntryFilters:
    """What ``entry_list`` shows.

    ``status``: unread, read, starred or all. ``subscription_id`` / ``category_id``
    narrow to one subscription or category (``category_id=0``: Uncategorized).
    ``q``: search words (``"a phrase"``, ``-excluded``). ``published_before`` /
    ``published_after``: aware datetimes, exclusive / inclusive bounds on
    ``published_at`` (the publisher's date). ``first_seen_before`` /
    ``first_seen_after``: the same bounds on ``created_at``, when Tidings first
    saw the entry (Google Reader's ``nt`` / ``ot``: an entry published long ago
    but first seen after a client's last sync is still new to that client).
    ``marked_read_after``: only entries the user marked read one by one at or after
    this aware datetime (``read_state.MARKED_READ_SINCE``; Tiny Tiny RSS's "Recently
    read"; ``status`` is then ignored: they are read).
    ``sort``: newest or oldest first by ``(published_at, id)``.
    ``starred``: True (only starred) or False (only not starred) narrows an unread,
    read or all list (a status ``starred`` list is starred already; with
    ``starred=False`` it is refused). ``after_id`` / ``before_id``: exclusive bounds
    on the entry id (ids grow in first-seen order; the Miniflux API's
    ``after_entry_id`` / ``before_entry_id``).
    """

    status: Status = "all"
    subscription_id: int | None = None
    category_id: int | None = None
    q: str = ""
    published_before: datetime | None = None
    published_after: datetime | None = None
    first_seen_before: datetime | None = None
    first_seen_after: datetime | None = None
    marked_read_after: datetime | None = None
    sort: Sort = "newest"
    starred: bool | None = None
    after_id: int | None = None
    before_id: int | None = None

    @classmethod
    def coerce(cls, value: EntryFilters | Mapping[str, Any] | None) -> EntryFilters:
        """An ``EntryFilters`` from itself, a mapping of its field names, or None (defaults).

        Raises ``InvalidInput`` for an unknown status or sort.
        """
        if value is None:
            value = cls()
        elif not isinstance(value, EntryFilters):
            names = {f.name for f in fields(cls)}
            value = cls(**{k: v for k, v in value.items() if k in names and v is not None})
        if value.status not in ("unread", "read", "starred", "all"):
            raise InvalidInput(_("Unknown status %(value)s.") % {"value": repr(value.status)})
        if value.sort not in ("newest", "oldest"):
            raise InvalidInput(_("Unknown sort %(value)s.") % {"value": repr(value.sort)})
        if value.status == "starred" and value.starred is not None:
            if not value.starred:
                raise InvalidInput(_("A starred list cannot leave out starred entries."))
            value = replace(value, starred=None)
        return value


@dataclass
class EntryPage:
    """One page of entries and the cursor of the next page (None at the end).

    Each entry carries per-user attributes: ``is_read``, ``is_starred``,
    ``starred_at`` (datetime or None), ``subscription_id`` (None for a starred
    entry of a feed no longer subscribed), ``subscription_title`` (the user's
    title, else the feed's), ``category_id``. ``entry.feed`` is preloaded.
    """

    entries: list[Entry]
    next_cursor: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# --- SQL pieces ----------------------------------------------------------------


def _db_datetime(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def entry_filter_sql(f: EntryFilters, cursor: tuple[datetime, int] | None) -> tuple[str, list[Any]]:
    """SQL conditions of ``f`` (and of the position after ``cursor``) and their parameters.

    The conditions start with `` AND`` and name aliases ``s`` (the user's
    subscription) and ``e`` (the entry): subscription, category, date bounds,
    first-seen bounds, keyset position ``(published_at, id)``, search words, starred or not,
    and entry id bounds. ``f.status`` is not
    included (each list applies it its own way). Returns ``(sql, params)``.
    """
    sql, params = [], []
    if f.subscription_id is not None:
        sql.append("s.id = %s")
        params.append(int(f.subscription_id))
    if f.category_id is not None:
        if int(f.category_id) == 0:
            sql.append("s.id IS NOT NULL AND s.category_id IS NULL")
        else:
            sql.append("s.category_id = %s")
            params.append(int(f.category_id))
    if f.published_before is not None:
        sql.append("e.published_at < %s")
        params.append(_db_datetime(f.published_before))
    if f.published_after is not None:
        sql.append("e.published_at >= %s")
        params.append(_db_datetime(f.published_after))
    if f.first_seen_before is not None:
        sql.append("e.created_at < %s")
        params.append(_db_datetime(f.first_seen_before))
    if f.first_seen_after is not None:
        sql.append("e.created_at >= %s")
        params.append(_db_datetime(f.first_seen_after))
    if cursor is not None:
        op = "<" if f.sort == "newest" else ">"
        sql.append(f"(e.published_at, e.id) {op} (%s, %s)")
        params += [_db_datetime(cursor[0]), cursor[1]]
    if f.q.strip():
        cond, cond_params = search.condition_sql(f.q, vendor=connection.vendor)
        sql.append(cond)
        params += cond_params
    if f.starred is not None:
        # Only lists of subscribed feeds get here (coerce), where ``s`` is never NULL.
        exists = "EXISTS" if f.starred else "NOT EXISTS"
        sql.append(
            f"{exists} (SELECT 1 FROM reader_entrystate st WHERE st.user_id = s.user_id "
            "AND st.entry_id = e.id AND st.starred = TRUE)"
        )
    if f.after_id is not None:
        sql.append("e.id > %s")
        params.append(int(f.after_id))
    if f.before_id is not None:
        sql.append("e.id < %s")
        params.append(int(f.before_id))
    return "".join(f" AND {part}" for part in sql), params


def _order(f: EntryFilters, prefix: str = "e.") -> str:
    direction = "DESC" if f.sort == "newest" else "ASC"
    return f"{prefix}published_at {direction}, {prefix}id {direction}"


def _page_sql(
    user_id: int,
    f: EntryFilters,
    cursor: tuple[datetime, int] | None,
    limit: int,
    *,
    ids_only: bool = False,
    first_seen: bool = True,
) -> tuple[str, list[Any]]:
    """SQL returning (id, sub_id, is_read, is_starred, starred_at) of one page, in order.

    With ``ids_only``: (id, published_at, created_at) only, without the star probe
    per row (the Google Reader and Fever id sets); ``first_seen=False`` gives NULL
    for created_at and saves reading it.
    """
    cond, cond_params = entry_filter_sql(f, cursor)
    columns = "e.id AS id, e.published_at AS published_at, s.id AS sub_id"
    finish = {"ids_only": ids_only, "first_seen": first_seen}
    if f.marked_read_after is not None:
        # The user's read exceptions since then: few rows, straight from their state rows.
        sql = (
            f"SELECT {columns}, TRUE AS is_read FROM reader_entrystate x "
            "JOIN feeds_entry e ON e.id = x.entry_id "
            "LEFT JOIN reader_subscription s ON s.user_id = x.user_id AND s.feed_id = e.feed_id "
            f"WHERE x.user_id = %s AND {read_state.MARKED_READ_SINCE}{cond} "
            f"ORDER BY {_order(f)} LIMIT %s"
        )
        since = _db_datetime(f.marked_read_after)
        return _finish(sql, [user_id, since, *cond_params, limit], user_id, f, **finish)
    if f.status == "starred":
        sql = (
            f"SELECT {columns}, {IS_READ} AS is_read FROM reader_entrystate x "
            "JOIN feeds_entry e ON e.id = x.entry_id "
            "LEFT JOIN reader_subscription s ON s.user_id = x.user_id AND s.feed_id = e.feed_id "
            f"WHERE x.user_id = %s AND x.starred = TRUE{cond} ORDER BY {_order(f)} LIMIT %s"
        )
        return _finish(sql, [user_id, *cond_params, limit], user_id, f, **finish)
    if f.status == "unread":
        # The id tail above each watermark, minus read exceptions, plus kept-unread
        # exceptions below it. Cost grows with the user's unread entries, not the feeds'.
        # For an id page the first-seen time comes along from the tail index
        # (reader migration 0010 INCLUDEs it): no probe per id afterwards.
        seen = ", e.created_at AS created_at" if ids_only and first_seen else ""
        unread = unread_sql(f"{columns}, FALSE AS is_read{seen}", cond)
        sql = f"SELECT * FROM ({unread}) e ORDER BY {_order(f)} LIMIT %s"
        params = [user_id, *cond_params, user_id, *cond_params, limit]
        return _finish(sql, params, user_id, f, **finish, first_seen_selected=bool(seen))
    status_cond = {"read": f" AND {IS_READ}", "all": ""}[f.status] + f" AND {NOT_HIDDEN}"
    if connection.vendor == "postgresql" and not f.q.strip():
        # Newest (or oldest) `limit` entries of each subscribed feed straight off the
        # (feed_id, published_at, id) index, then the best `limit` of those. Only the
        # read list needs the state rows inside; the others join them for the page only.
        read_join = (
            "LEFT JOIN reader_entrystate x ON x.user_id = s.user_id AND x.entry_id = e.id "
            if f.status == "read"
            else ""
        )
        sql = (
            f"SELECT {columns}, {IS_READ} AS is_read FROM reader_subscription s "
            "CROSS JOIN LATERAL (SELECT e.id, e.published_at FROM feeds_entry e "
            f"{read_join}WHERE e.feed_id = s.feed_id{status_cond}{cond} "
            f"ORDER BY {_order(f)} LIMIT %s) e "
            "LEFT JOIN reader_entrystate x ON x.user_id = s.user_id AND x.entry_id = e.id "
            f"WHERE s.user_id = %s ORDER BY {_order(f)} LIMIT %s"
        )
        params = [*cond_params, limit, user_id, limit]
        return _finish(sql, params, user_id, f, **finish)
    sql = (
        f"SELECT {columns}, {IS_READ} AS is_read FROM reader_subscription s "
        "JOIN feeds_entry e ON e.feed_id = s.feed_id "
        "LEFT JOIN reader_entrystate x ON x.user_id = s.user_id AND x.entry_id = e.id "
        f"WHERE s.user_id = %s{status_cond}{cond} ORDER BY {_order(f)} LIMIT %s"
    )
    return _finish(sql, [user_id, *cond_params, limit], user_id, f, **finish)


def _finish(
    page_sql: str,
    params: list[Any],
    user_id: int,
    f: EntryFilters,
    *,
    ids_only: bool,
    first_seen: bool,
    first_seen_selected: bool = False,
) -> tuple[str, list[Any]]:
    """The page query as entry_list reads it (with stars) or, ``ids_only``, as
    (id, published_at, created_at) in list order; returns (sql, params).

    ``first_seen_selected``: ``page_sql`` already has a ``created_at`` column.
    """
    if ids_only:
        order = _order(f, "p.")
        if first_seen_selected:
            return (
                f"SELECT p.id, p.published_at, p.created_at FROM ({page_sql}) p ORDER BY {order}",
                params,
            )
        if not first_seen:
            return f"SELECT p.id, p.published_at, NULL FROM ({page_sql}) p ORDER BY {order}", params
        # First-seen times of the page's rows only (one primary-key probe each), so that
        # the per-feed index walks above stay on (feed_id, published_at, id).
        sql = (
            f"SELECT p.id, p.published_at, seen.created_at FROM ({page_sql}) p "
            f"JOIN feeds_entry seen ON seen.id = p.id ORDER BY {order}"
        )
        return sql, params
    return _with_stars(page_sql, user_id, f), [*params, user_id]


def _with_stars(page_sql: str, user_id: int, f: EntryFilters) -> str:
    """Wrap a page query: add the star columns from the user's state rows (one probe per row)."""
    return (
        "SELECT p.id, p.sub_id, p.is_read, COALESCE(st.starred, FALSE), st.starred_at "
        f"FROM ({page_sql}) p LEFT JOIN reader_entrystate st "
        f"ON st.entry_id = p.id AND st.user_id = %s ORDER BY {_order(f, 'p.')}"
    )


# --- Entries -------------------------------------------------------------------


def entry_list(
    *,
    user: Any,
    filters: EntryFilters | Mapping[str, Any] | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> EntryPage:
    """A page of the user's entries, keyset-paginated on ``(published_at, id)``.

    Stable while entries arrive: a page starts strictly after the previous
    page's last ``(published_at, id)``, so nothing is shown twice or skipped.
    Always 3 queries (page keys with per-user flags, the rows with feeds, the
    subscriptions) whatever ``limit`` (1..500). Raises ``InvalidInput`` for a bad cursor, limit
    or filter. Unknown or foreign subscription/category ids give an empty page.
    Entries hidden by the user's rules are left out (except under Starred).
    With ``User.merge_duplicates``, All/Unread lists show an article carried by
    several feeds once (``reader.duplicates.merge_page``: one more query; the
    page may then hold fewer than ``limit`` entries) and every entry has
    ``duplicates`` (its other sources).
    """
    f = EntryFilters.coerce(filters)
    if not 1 <= int(limit) <= MAX_PAGE_SIZE:
        raise InvalidInput(_("limit must be between 1 and %(max)s.") % {"max": MAX_PAGE_SIZE})
    after = cursor_decode(cursor) if cursor else None
    sql, params = _page_sql(user.pk, f, after, int(limit) + 1)
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    more = len(rows) > limit
    entries = entries_from_rows(user, rows[:limit])
    next_cursor = None
    if more and entries:
        last = entries[-1]
        next_cursor = cursor_encode(published_at=last.published_at, entry_id=last.pk)
    # Duplicates across feeds (opt-in): one more query, only for the merged lists.
    entries = duplicates.merge_page(user=user, entries=entries, filters=f)
    return EntryPage(entries=entries, next_cursor=next_cursor)


#: LIMIT of the page query that ``entry_count`` counts (larger than any user's entries).
_COUNT_ALL = 2**62


def entry_count(*, user: Any, filters: EntryFilters | Mapping[str, Any] | None = None) -> int:
    """How many entries ``entry_list`` lists for ``filters`` over all its pages.

    Counts entries, not merged articles (with ``User.merge_duplicates`` a page may show
    fewer). One query; its cost grows with the entries counted (the Miniflux API's
    ``total``). Raises ``InvalidInput`` for a bad filter.
    """
    f = EntryFilters.coerce(filters)
    sql, params = _page_sql(user.pk, f, None, _COUNT_ALL, ids_only=True)
    with connection.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM ({sql}) counted", params)
        return int(cur.fetchone()[0])


class EntryRef(NamedTuple):
    """One row of ``entry_id_page``: an entry's id and its two times (aware UTC datetimes).

    ``published_at``: the publisher's date (the list's sort key); ``first_seen_at``:
    when Tidings first stored the entry (``Entry.created_at``), None when the page was
    asked ``first_seen=False``.
    """

    id: int
    published_at: datetime
    first_seen_at: datetime | None


def entry_id_page(
    *,
    user: Any,
    filters: EntryFilters | Mapping[str, Any] | None,
    cursor: str | None = None,
    limit: int = 1000,
    first_seen: bool = True,
) -> tuple[list[EntryRef], str | None]:
    """One page of ``EntryRef`` rows in list order and the next cursor (or None).

    Same filters, order and cursor (``reader.selectors.cursors``) as
    ``entry_list``, so pages stay stable while entries arrive or change state,
    without loading entry rows: the Google Reader and Fever id sets. ``limit`` is
    clamped to 1..MAX_ID_PAGE. ``first_seen=False`` leaves ``first_seen_at`` None
    and spares reading it (Fever's id lists carry no times). Raises
    ``InvalidInput`` for a bad cursor or filter.
    """
    f = EntryFilters.coerce(filters)
    limit = max(1, min(int(limit), MAX_ID_PAGE))
    after = cursor_decode(cursor) if cursor else None
    sql, params = _page_sql(user.pk, f, after, limit + 1, ids_only=True, first_seen=first_seen)
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    refs = [
        EntryRef(int(i), utc_datetime(p), utc_datetime(c) if c is not None else None)
        for i, p, c in rows[:limit]
    ]
    next_cursor = None
    if len(rows) > limit and refs:
        next_cursor = cursor_encode(published_at=refs[-1].published_at, entry_id=refs[-1].id)
    return refs, next_cursor


def entries_from_rows(user: Any, rows: list[tuple]) -> list[Entry]:
    """Entries (with feed) for rows ``(id, sub_id, is_read, is_starred, starred_at)``, in order.

    Each carries the per-user attributes of ``EntryPage`` entries. Rows whose
    entry is gone (pruned meanwhile) are dropped. Two queries (none for no rows).
    """
    if not rows:
        return []
    by_id = Entry.objects.select_related("feed").in_bulk([r[0] for r in rows])
    subs = {s.pk: s for s in _subscriptions_cached(user, {r[1] for r in rows if r[1]})}
    out = []
    for entry_id, sub_id, is_read, is_starred, starred_at in rows:
        entry = by_id.get(entry_id)
        if entry is None:  # pruned between the two queries
            continue
        _annotate(entry, subs.get(sub_id), bool(is_read), bool(is_starred), starred_at)
        out.append(entry)
    return out


def _subscriptions_cached(user: Any, ids: set[int]) -> list[Subscription]:
    # Subscriptions are few per user; one small query keeps titles/categories exact.
    return list(Subscription.objects.filter(user=user, pk__in=ids)) if ids else []


def _annotate(
    entry: Entry, sub: Subscription | None, is_read: bool, is_starred: bool, starred_at: Any
) -> None:
    if isinstance(starred_at, str):  # SQLite returns raw text in raw queries
        starred_at = parse_datetime(starred_at)
    entry.is_read = is_read
    entry.is_starred = is_starred
    entry.starred_at = starred_at if is_starred else None
    entry.subscription_id = sub.pk if sub else None
    entry.category_id = sub.category_id if sub else None
    entry.subscription_title = (
        (sub.title if sub and sub.title else "") or entry.feed.title or entry.feed.url
    )


def entry_get(*, user: Any, entry_id: int) -> Entry:
    """One entry visible to ``user`` (subscribed feed, or starred by them), with per-user flags.

    Same attributes as ``EntryPage`` entries. Raises ``NotFound`` (an Http404)
    for an unknown id or an entry of a feed the user neither subscribes to nor
    starred from: the two cases are never told apart.
    """
    try:
        entry = Entry.objects.select_related("feed").get(pk=int(entry_id))
    except (Entry.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound("No such entry.") from exc
    sub = Subscription.objects.filter(user=user, feed_id=entry.feed_id).first()
    state = EntryState.objects.filter(user=user, entry=entry).first()
    if sub is None and not (state and state.starred):
        raise NotFound("No such entry.")
    _annotate(
        entry, sub, read_state.is_read(entry, sub, state), bool(state and state.starred), None
    )
    entry.starred_at = state.starred_at if state and state.starred else None
    return entry
