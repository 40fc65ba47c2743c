"""Writes of per-user reading state, one module per kind; import them from here.

* ``reader.services.subscriptions``: subscribe, update, unsubscribe; categories.
* ``reader.services.marks``: read, kept-unread and starred marks, mark-all-read.
* ``reader.services.playback``: where a reader stopped in an entry's audio or video.
* ``reader.opml``: OPML import and export (re-exported here).

Pages, the REST API, the Google Reader/Fever APIs, tasks and commands call these
and only these (STYLE.md rule 1). Every function takes ``user`` and touches only
that user's rows; another user's ids are ``NotFound`` (single objects) or
silently skipped (batches), never told apart from unknown ids.
"""

from __future__ import annotations

# OPML lives in its own module and imports this package: last, after the names above.
from reader.opml import opml_export, opml_import_run, opml_import_start
from reader.services.marks import (
    MAX_BATCH_IDS,
    entries_set_read,
    entries_set_starred,
    mark_all_read,
    subscription_unread_older,
)
from reader.services.playback import MAX_PLAYBACK_SECONDS, playback_save
from reader.services.subscriptions import (
    UNSET,
    category_create,
    category_delete,
    category_get_or_create,
    category_rename,
    category_update_position,
    feeds_discover,
    subscription_create,
    subscription_delete,
    subscription_update,
)

__all__ = [
    "MAX_BATCH_IDS",
    "MAX_PLAYBACK_SECONDS",
    "UNSET",
    "category_create",
    "category_delete",
    "category_get_or_create",
    "category_rename",
    "category_update_position",
    "entries_set_read",
    "entries_set_starred",
    "feeds_discover",
    "mark_all_read",
    "opml_export",
    "opml_import_run",
    "opml_import_start",
    "playback_save",
    "subscription_create",
    "subscription_delete",
    "subscription_unread_older",
    "subscription_update",
]
