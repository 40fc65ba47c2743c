"""Admin site of the feeds app, one module per admin.

- ``categories``, ``sources``: the directory of recommended sources. Edits are
  remembered per field (``edit_tracking``) so that ``load_directory`` never
  overwrites them; sources can be validated (a synchronous refresh through the
  pipeline), activated, deactivated and exported or imported as OPML.
- ``feed_health``: feeds with subscribers, last fetch and status, errors, next
  fetch, entries stored and mean interval between entries, all annotated in one
  query; filters for failing, disabled and unsubscribed feeds; actions refresh
  now, reset errors and re-enable, disable.
- ``fetch_log``: the recent fetches; ``websub_subscriptions``: WebSub leases (read-only).

The site-wide summary page (``admin/feeds/feed/summary/``) belongs to the project
layer: ``reader/project/admin_summary.py``.
"""

from __future__ import annotations

from feeds.admin import (  # noqa: F401  (importing registers each admin)
    categories,
    feed_health,
    fetch_log,
    sources,
    websub_subscriptions,
)
