"""Id-keyed reads and counts that the client APIs (Google Reader, Fever, Tiny Tiny RSS) need
beyond ``reader.selectors``.

They use the read verdict of ``reader.read_state`` (the rule lives there,
once) and ``reader.selectors.entry_id_page`` (pages of bare ids: GReader
``stream/items/ids``, Fever id lists); what is added here is entries
by id (GReader ``stream/items/contents``, Fever ``with_ids``) and id ranges
(Fever ``since_id`` / ``max_id``). Every query is scoped to ``user``: entries
of feeds they subscribe to, plus entries they starred.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection

from feeds.models import Entry
from reader.read_state import IS_READ
from reader.selectors import MAX_ID_PAGE, entries_from_rows, entry_id_page


def entry_ids(*, user: Any, status: str, page_size: int | None = None) -> list[int]:
    """Every id of the user's entries with ``status`` (unread or starred), newest first.

    For Fever's ``unread_item_ids`` / ``saved_item_ids`` and GReader id sets. Reads
    ``entry_id_page`` pages of ``page_size`` ids (default ``MAX_ID_PAGE``), each
    starting at the previous page's cursor, so every id comes once.
    """
    ids: list[int] = []
    cursor = None
    while True:
        rows, cursor = entry_id_page(
            user=user,
            filters={"status": status},
            cursor=cursor,
            limit=page_size or MAX_ID_PAGE,
            first_seen=False,
        )
        ids.extend(row.id for row in rows)
        if cursor is None:
            return ids


def _rows_sql(where: str) -> str:
    return (
        f"SELECT e.id, s.id, {IS_READ}, COALESCE(x.starred, FALSE), x.starred_at "
        "FROM feeds_entry e "
        "LEFT JOIN reader_subscription s ON s.feed_id = e.feed_id AND s.user_id = %s "
        "LEFT JOIN reader_entrystate x ON x.entry_id = e.id AND x.user_id = %s "
        f"WHERE (s.id IS NOT NULL OR x.starred = TRUE) AND {where}"
    )


def entries_by_id(*, user: Any, ids: Iterable[int]) -> list[Entry]:
    """The visible entries among ``ids`` in the given order, with per-user flags.

    Unknown and foreign ids are skipped silently. Entries carry the attributes
    of ``selectors.EntryPage`` entries (is_read, is_starred, subscription_id...).
    At most 1,000 ids are read; two queries.
    """
    wanted = list(dict.fromkeys(int(i) for i in ids))[:1000]
    if not wanted:
        return []
    marks = ", ".join(["%s"] * len(wanted))
    with connection.cursor() as cur:
        cur.execute(_rows_sql(f"e.id IN ({marks})"), [user.pk, user.pk, *wanted])
        rows = cur.fetchall()
    position = {entry_id: n for n, entry_id in enumerate(wanted)}
    rows.sort(key=lambda r: position[r[0]])
    return entries_from_rows(user, rows)


def entries_by_id_range(
    *, user: Any, after_id: int | None = None, before_id: int | None = None, limit: int = 50
) -> list[Entry]:
    """Visible entries with ``id > after_id`` ascending, or ``id < before_id`` descending.

    Fever's ``since_id`` and ``max_id`` paging (ids grow with insertion time).
    ``before_id=0`` (or both None) means the newest. ``limit`` 1..500.
    """
    limit = max(1, min(int(limit), 500))
    if after_id is not None:
        where, params, order = "e.id > %s", [int(after_id)], "ASC"
    elif before_id:
        where, params, order = "e.id < %s", [int(before_id)], "DESC"
    else:
        where, params, order = "TRUE", [], "DESC"
    # Subscribed feeds through the per-feed id index, then starred entries of
    # feeds no longer subscribed; the best `limit` of both.
    sql = f"SELECT * FROM ({_rows_sql(where)}) r ORDER BY 1 {order} LIMIT %s"
    with connection.cursor() as cur:
        cur.execute(sql, [user.pk, user.pk, *params, limit])
        rows = cur.fetchall()
    return entries_from_rows(user, rows)


def visible_entry_count(*, user: Any) -> int:
    """How many entries the user can read (Fever ``total_items``); one query."""
    sql = (
        "SELECT (SELECT COUNT(*) FROM reader_subscription s JOIN feeds_entry e "
        "ON e.feed_id = s.feed_id WHERE s.user_id = %s) + (SELECT COUNT(*) FROM "
        "reader_entrystate x JOIN feeds_entry e ON e.id = x.entry_id WHERE x.user_id = %s "
        "AND x.starred = TRUE AND NOT EXISTS (SELECT 1 FROM reader_subscription s "
        "WHERE s.user_id = x.user_id AND s.feed_id = e.feed_id))"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [user.pk, user.pk])
        return int(cur.fetchone()[0])


def starred_unread_count(*, user: Any) -> int:
    """How many entries the user starred are unread (Tiny Tiny RSS's Starred counter); one
    query over the user's starred state rows, with the read verdict of ``read_state``."""
    sql = (
        "SELECT COUNT(*) FROM reader_entrystate x JOIN feeds_entry e ON e.id = x.entry_id "
        "LEFT JOIN reader_subscription s ON s.user_id = x.user_id AND s.feed_id = e.feed_id "
        f"WHERE x.user_id = %s AND x.starred = TRUE AND NOT {IS_READ}"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [user.pk])
        return int(cur.fetchone()[0])
