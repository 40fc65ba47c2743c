"""Reads of per-user reading state, one module per kind; import them from here.

* ``reader.selectors.entries``: entry lists (keyset pages), id pages, one entry.
* ``reader.selectors.cursors``: the one codec of the keyset cursors of every entry list.
* ``reader.selectors.searching``: search of the user's entries.
* ``reader.selectors.counts``: unread and starred counts.
* ``reader.selectors.playback``: where a reader stopped in an entry's audio or video.
* ``reader.selectors.subscriptions``: subscriptions, categories, OPML import jobs.
* ``reader.selectors.sync``: entries in id order, entries changed since a time (sync APIs).

Every query is scoped by ``user``; what "read" means lives in ``reader.read_state``.
"""

from __future__ import annotations

from reader.selectors.counts import entry_totals, unread_counts
from reader.selectors.cursors import cursor_decode, cursor_encode, utc_datetime
from reader.selectors.entries import (
    MAX_ID_PAGE,
    MAX_PAGE_SIZE,
    EntryFilters,
    EntryPage,
    EntryRef,
    Sort,
    Status,
    entries_from_rows,
    entry_count,
    entry_filter_sql,
    entry_get,
    entry_id_page,
    entry_list,
)
from reader.selectors.playback import Playback, playback_get
from reader.selectors.searching import SEARCH_CANDIDATES, SEARCH_WORK_MEM, entry_search
from reader.selectors.subscriptions import (
    category_get,
    category_list,
    import_job_get,
    import_job_list,
    subscription_get,
    subscription_list,
)
from reader.selectors.sync import entry_changes_since, entry_id_list

__all__ = [
    "MAX_ID_PAGE",
    "MAX_PAGE_SIZE",
    "SEARCH_CANDIDATES",
    "SEARCH_WORK_MEM",
    "EntryFilters",
    "EntryPage",
    "EntryRef",
    "Playback",
    "Sort",
    "Status",
    "category_get",
    "category_list",
    "cursor_decode",
    "cursor_encode",
    "entries_from_rows",
    "entry_changes_since",
    "entry_count",
    "entry_filter_sql",
    "entry_get",
    "entry_id_list",
    "entry_id_page",
    "entry_list",
    "entry_search",
    "entry_totals",
    "import_job_get",
    "import_job_list",
    "playback_get",
    "subscription_get",
    "subscription_list",
    "unread_counts",
    "utc_datetime",
]
