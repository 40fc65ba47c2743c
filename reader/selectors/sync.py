"""Reads for apps that sync by entry id and by time of change (Nextcloud News).

Two questions the keyset lists of ``reader.selectors.entries`` do not answer:

* ``entry_id_list``: the user's entries in **id order** (first-seen order), above or below
  an id bound, optionally limited. Nextcloud News pages ``items`` by id (``offset``: the
  lowest id of the previous page, or the highest with ``oldestFirst``).
* ``entry_changes_since``: every entry whose content or state **changed at or after a
  time**, with that time (Nextcloud News ``items/updated?lastModified=``). The dates come
  from ``reader.read_state.changes_since_sql``, which also reads the record of watermark
  moves, so entries marked read by a mark-all-read are among them.

Both are scoped to the user's subscriptions (a starred entry of a feed no longer
subscribed is not listed: these apps drop items whose feed they do not know) and take the
read verdict from ``reader.read_state``. Entries carry the attributes of ``EntryPage``
entries plus ``changed_at`` (aware UTC datetime).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from feeds.models import Entry
from reader.read_state import (
    IS_READ,
    NOT_HIDDEN,
    changes_since_params,
    changes_since_sql,
    unread_sql,
)
from reader.selectors.cursors import utc_datetime
from reader.selectors.entries import EntryFilters, entries_from_rows, entry_filter_sql


def _id_bounds(after_id: int | None, before_id: int | None) -> tuple[str, list[Any]]:
    sql, params = "", []
    if after_id is not None:
        sql += " AND e.id > %s"
        params.append(int(after_id))
    if before_id is not None:
        sql += " AND e.id < %s"
        params.append(int(before_id))
    return sql, params


def _limit(limit: int | None) -> tuple[str, list[Any]]:
    return (" LIMIT %s", [int(limit)]) if limit is not None else ("", [])


def _id_page_sql(
    user_id: int, f: EntryFilters, bounds: tuple[str, list[Any]], order: str, limit: int | None
) -> tuple[str, list[Any]]:
    """SQL of ``(id, sub_id, is_read, changed-at columns...)`` in id ``order``."""
    cond, cond_params = entry_filter_sql(f, None)
    cond += bounds[0]
    cond_params += bounds[1]
    lim, lim_params = _limit(limit)
    if f.status == "unread":
        inner = unread_sql("e.id AS id, s.id AS sub_id", cond)
        sql = (
            f"SELECT u.id AS id, u.sub_id AS sub_id, FALSE AS is_read FROM ({inner}) u "
            f"ORDER BY u.id {order}{lim}"
        )
        return sql, [user_id, *cond_params, user_id, *cond_params, *lim_params]
    if f.status == "starred":
        sql = (
            f"SELECT e.id AS id, s.id AS sub_id, {IS_READ} AS is_read FROM reader_entrystate x "
            "JOIN feeds_entry e ON e.id = x.entry_id "
            "JOIN reader_subscription s ON s.user_id = x.user_id AND s.feed_id = e.feed_id "
            f"WHERE x.user_id = %s AND x.starred = TRUE{cond} ORDER BY e.id {order}{lim}"
        )
        return sql, [user_id, *cond_params, *lim_params]
    if connection.vendor == "postgresql" and limit is not None and not f.q.strip():
        # The newest (or oldest) `limit` ids of each subscribed feed off the (feed_id, id)
        # index, then the best `limit` of those.
        sql = (
            f"SELECT e.id AS id, s.id AS sub_id, {IS_READ} AS is_read FROM reader_subscription s "
            "CROSS JOIN LATERAL (SELECT e.id, e.published_at FROM feeds_entry e "
            f"WHERE e.feed_id = s.feed_id AND {NOT_HIDDEN}{cond} ORDER BY e.id {order} "
            "LIMIT %s) e "
            "LEFT JOIN reader_entrystate x ON x.user_id = s.user_id AND x.entry_id = e.id "
            f"WHERE s.user_id = %s ORDER BY e.id {order}{lim}"
        )
        return sql, [*cond_params, int(limit), user_id, *lim_params]
    sql = (
        f"SELECT e.id AS id, s.id AS sub_id, {IS_READ} AS is_read FROM reader_subscription s "
        "JOIN feeds_entry e ON e.feed_id = s.feed_id "
        "LEFT JOIN reader_entrystate x ON x.user_id = s.user_id AND x.entry_id = e.id "
        f"WHERE s.user_id = %s AND {NOT_HIDDEN}{cond} ORDER BY e.id {order}{lim}"
    )
    return sql, [user_id, *cond_params, *lim_params]


def _with_flags(page_sql: str, order: str) -> str:
    """Wrap a page of ``(id, sub_id, is_read)``: stars and the known dates of change."""
    return (
        "SELECT p.id, p.sub_id, p.is_read, COALESCE(st.starred, FALSE), st.starred_at, "
        "e.created_at, sub.created_at, st.updated_at "
        f"FROM ({page_sql}) p "
        "JOIN feeds_entry e ON e.id = p.id "
        "JOIN reader_subscription sub ON sub.id = p.sub_id "
        "LEFT JOIN reader_entrystate st ON st.entry_id = p.id AND st.user_id = sub.user_id "
        f"ORDER BY p.id {order}"
    )


def _entries(user: Any, rows: list[tuple]) -> list[Entry]:
    """Entries for rows ``(id, sub_id, is_read, starred, starred_at, *dates)``, in order,
    each with ``changed_at``: the latest of the dates (None ones skipped)."""
    entries = entries_from_rows(user, [row[:5] for row in rows])
    latest = {row[0]: max(utc_datetime(d) for d in row[5:] if d is not None) for row in rows}
    for entry in entries:
        entry.changed_at = latest[entry.pk]
    return entries


def entry_id_list(
    *,
    user: Any,
    filters: EntryFilters | Mapping[str, Any] | None = None,
    after_id: int | None = None,
    before_id: int | None = None,
    oldest_first: bool = False,
    limit: int | None = None,
) -> list[Entry]:
    """The user's entries with ``after_id < id < before_id`` in id order, at most ``limit``.

    ``filters``: ``status`` (``all``, ``unread`` or ``starred``), ``subscription_id``,
    ``category_id`` (0: Uncategorized), and the other ``EntryFilters`` fields. Newest id
    first, or oldest with ``oldest_first``; ``limit`` None returns every entry (read in
    one query: callers bound it). Entries hidden by the user's rules are left out except
    under starred. Each entry has ``changed_at``: the latest of its first-seen time, its
    subscription's start and the user's exception row; a lower bound of the date
    ``entry_changes_since`` gives, so an app that syncs from the newest of them gets a
    superset of what changed. Two queries plus those of ``entries_from_rows``. Raises
    ``InvalidInput`` for a bad filter.
    """
    f = EntryFilters.coerce(filters)
    if f.status not in ("all", "unread", "starred"):
        f = dataclasses.replace(f, status="all")
    order = "ASC" if oldest_first else "DESC"
    sql, params = _id_page_sql(user.pk, f, _id_bounds(after_id, before_id), order, limit)
    with connection.cursor() as cur:
        cur.execute(_with_flags(sql, order), params)
        rows = cur.fetchall()
    return _entries(user, rows)


def entry_changes_since(
    *,
    user: Any,
    since: datetime,
    subscription_id: int | None = None,
    category_id: int | None = None,
    status: str = "all",
) -> list[Entry]:
    """Every entry of the user's subscriptions whose content or state changed at or after
    ``since`` (aware datetime), newest id first, each with ``changed_at`` (the latest
    change, capped at now).

    Changes counted (``read_state.changes_since_sql``): first seen, the publisher's
    update, a new subscription, a mark of the user (read, kept unread, star, and their
    removal) and a mark-all-read that covered it. ``subscription_id`` / ``category_id``
    (0: Uncategorized) narrow the scope; ``status`` ``unread`` or ``starred`` keeps those
    only (``all``: every state, read ones too). Two queries plus those of
    ``entries_from_rows``.
    """
    scope, scope_params = "s.user_id = %s", [user.pk]
    if subscription_id is not None:
        scope += " AND s.id = %s"
        scope_params.append(int(subscription_id))
    if category_id is not None and int(category_id) == 0:
        scope += " AND s.category_id IS NULL"
    elif category_id is not None:
        scope += " AND s.category_id = %s"
        scope_params.append(int(category_id))
    keep = {"unread": f" AND NOT {IS_READ}", "starred": " AND x.starred = TRUE"}.get(status, "")
    sql = (
        "SELECT c.id, c.sub_id, "
        f"{IS_READ}, COALESCE(x.starred, FALSE), x.starred_at, c.changed_at "
        f"FROM (SELECT t.id, t.sub_id, MAX(t.changed_at) AS changed_at "
        f"FROM ({changes_since_sql(scope)}) t "
        "GROUP BY t.id, t.sub_id) c "
        "JOIN feeds_entry e ON e.id = c.id JOIN reader_subscription s ON s.id = c.sub_id "
        "LEFT JOIN reader_entrystate x ON x.entry_id = e.id AND x.user_id = s.user_id "
        f"WHERE TRUE{keep} ORDER BY c.id DESC"
    )
    with connection.cursor() as cur:
        cur.execute(sql, changes_since_params(scope_params, since))
        rows = cur.fetchall()
    entries = _entries(user, rows)
    now = timezone.now()
    for entry in entries:
        entry.changed_at = min(entry.changed_at, now)
    return entries
