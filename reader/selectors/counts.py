"""Unread and starred counts of a user: per subscription, per category, in total."""

from __future__ import annotations

from typing import Any

from django.db import connection

from reader import duplicates
from reader.read_state import unread_counts_sql


def unread_counts(*, user: Any) -> dict[str, Any]:
    """Unread counts of all the user's subscriptions, in one query.

    Returns ``{"subscriptions": {subscription_id: n}, "categories": {category_id
    or None (Uncategorized): n}, "total": n, "starred": n}``; every subscription
    and every category holding one appears, with 0 when all is read.
    With ``User.merge_duplicates`` the ``total`` counts an article carried by
    several subscriptions once, like the merged Unread list (one more query).
    """
    sql = (
        f"SELECT t.sub_id, MAX(t.cat_id), SUM(t.n) FROM ({unread_counts_sql()} "
        "UNION ALL SELECT -1, CAST(NULL AS BIGINT), COUNT(*) FROM reader_entrystate x "
        "WHERE x.user_id = %s AND x.starred = TRUE"
        ") t GROUP BY t.sub_id"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [user.pk] * 4)
        rows = cur.fetchall()
    subs: dict[int, int] = {}
    cats: dict[int | None, int] = {}
    starred = 0
    for sub_id, cat_id, n in rows:
        if sub_id == -1:
            starred = int(n)
            continue
        subs[sub_id] = int(n)
        cats[cat_id] = cats.get(cat_id, 0) + int(n)
    return {
        "subscriptions": subs,
        "categories": cats,
        # Merged Unread list (reader.duplicates, opt-in): an article counts once.
        "total": sum(subs.values()) - duplicates.unread_duplicates(user=user),
        "starred": starred,
    }


def entry_totals(*, user: Any) -> dict[int, int]:
    """How many entries each of the user's subscriptions holds, read or not, in one query.

    ``{subscription_id: n}`` (subscriptions without entries are left out). With
    ``unread_counts`` it gives read counts (the Miniflux API's feed counters).
    """
    sql = (
        "SELECT s.id, COUNT(e.id) FROM reader_subscription s "
        "JOIN feeds_entry e ON e.feed_id = s.feed_id WHERE s.user_id = %s GROUP BY s.id"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [user.pk])
        return {int(sub_id): int(n) for sub_id, n in cur.fetchall()}
