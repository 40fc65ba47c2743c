"""Search of a user's entries: ranked full-text search (PostgreSQL) or substring match (SQLite).

The query syntax and the SQL of matching and ranking live in ``reader.search``;
this selector scopes it to the user, applies their read state and filters and
returns a page like ``entry_list``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from reader import search
from reader.errors import InvalidInput
from reader.models import Subscription
from reader.read_state import IS_READ, NOT_HIDDEN
from reader.selectors.entries import (
    MAX_PAGE_SIZE,
    EntryFilters,
    EntryPage,
    entries_from_rows,
    entry_filter_sql,
    entry_list,
)

#: Search ranks the newest this many matches of the user's feeds (bounded cost: a
#: phrase of two very common words walks about 250 entries per candidate at 1M entries).
SEARCH_CANDIDATES = 200
#: work_mem of the search query (PostgreSQL), so that its bitmap of matches stays exact.
SEARCH_WORK_MEM = "64MB"


def entry_search(
    *,
    user: Any,
    q: str,
    limit: int = 50,
    offset: int = 0,
    filters: EntryFilters | Mapping[str, Any] | None = None,
) -> EntryPage:
    """Entries of the user's subscriptions matching ``q``, best match first.

    ``q`` syntax: words (all must match), ``"a phrase"``, ``-word`` / ``-"a phrase"``
    to exclude, ``OR`` between words. PostgreSQL: full-text search (config
    'simple') over title + content (``feeds_entry.search_tsv``, see
    ``reader.search``); Chinese, Japanese and Korean words are found inside
    sentences through character bigrams. The newest ``SEARCH_CANDIDATES`` (200)
    matches are ranked by ``ts_rank``, then by date: the cost is bounded
    whatever the word's frequency, and results beyond the 200th are not listed.
    SQLite: case-insensitive substring match ranked by date. ``filters`` may
    narrow by status/subscription/category/dates (its ``q`` and ``sort`` are
    ignored). Offset pagination (``limit`` 1..500); ``next_cursor`` is the next
    offset as a string, or None. Five queries on PostgreSQL (the user's feed ids,
    the work_mem setting, the ranked page, the entries, their subscriptions); one
    with no subscriptions.
    Raises ``InvalidInput`` for an empty query or a bad limit/offset.
    """
    if not q.strip():
        raise InvalidInput(_("The search is empty."))
    if not 1 <= int(limit) <= MAX_PAGE_SIZE or int(offset) < 0:
        raise InvalidInput(
            _("limit must be between 1 and %(max)s, offset >= 0.") % {"max": MAX_PAGE_SIZE}
        )
    f = replace(EntryFilters.coerce(filters), q="", sort="newest")
    if f.status == "starred":
        page = entry_list(user=user, filters=replace(f, q=q), limit=limit)
        return page
    # The user's feeds as a literal bigint[] (the column's type): the planner then
    # knows how many entries they hold and picks, per query, between the GIN index
    # (rare words: its bitmap, possibly ANDed with the feed index) and a newest-first walk of
    # entry_published_idx that stops at the SEARCH_CANDIDATES-th match (common
    # words, phrases of common words). A sub-select here hides the count and made
    # PostgreSQL always build the feed bitmap and fetch every match.
    feed_ids = list(Subscription.objects.filter(user=user).values_list("feed_id", flat=True))
    if not feed_ids:
        return EntryPage(entries=[])
    cond, cond_params = entry_filter_sql(f, None)
    rank, rank_params = search.rank_sql(q, vendor=connection.vendor)
    where, where_params = search.condition_sql(q, vendor=connection.vendor)
    status_cond = {"read": f" AND {IS_READ}", "unread": f" AND NOT {IS_READ}", "all": ""}
    state_join = (
        "LEFT JOIN reader_entrystate x ON x.user_id = s.user_id AND x.entry_id = e.id "
        if f.status != "all"
        else ""
    )
    feeds, feed_params = "", []
    if connection.vendor == "postgresql":
        feeds, feed_params = "e.feed_id = ANY(%s::bigint[]) AND ", [feed_ids]
    candidates = (
        "SELECT e.id FROM feeds_entry e "
        "JOIN reader_subscription s ON s.feed_id = e.feed_id AND s.user_id = %s "
        f"{state_join}WHERE {feeds}{where}{status_cond[f.status]} AND {NOT_HIDDEN}{cond} "
        f"ORDER BY e.published_at DESC, e.id DESC LIMIT {SEARCH_CANDIDATES}"
    )
    sql = (
        f"SELECT e.id, s.id, {IS_READ}, COALESCE(x.starred, FALSE), x.starred_at "
        f"FROM ({candidates}) c JOIN feeds_entry e ON e.id = c.id "
        "JOIN reader_subscription s ON s.feed_id = e.feed_id AND s.user_id = %s "
        "LEFT JOIN reader_entrystate x ON x.user_id = s.user_id AND x.entry_id = e.id "
        f"ORDER BY {rank + ' DESC, ' if rank else ''}e.published_at DESC, e.id DESC "
        "LIMIT %s OFFSET %s"
    )
    params = [
        user.pk,
        *feed_params,
        *where_params,
        *cond_params,
        user.pk,
        *rank_params,
        int(limit) + 1,
        int(offset),
    ]
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # An exact (not lossy) bitmap of the matches: a lossy page makes PostgreSQL
            # recheck every row on it.
            cur.execute(f"SET LOCAL work_mem = '{SEARCH_WORK_MEM}'")
        cur.execute(sql, params)
        rows = cur.fetchall()
    entries = entries_from_rows(user, rows[:limit])
    more = len(rows) > limit
    return EntryPage(entries=entries, next_cursor=str(int(offset) + limit) if more else None)
