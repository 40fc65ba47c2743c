"""The Tiny Tiny RSS API (tt-rss API Reference, ``classes/API.php``) on Tidings' services.

* ``protocol``: replies, error codes, parameter parsing.
* ``feeds``: counters, categories, feeds, the feed tree, catch-up, subscribe, unsubscribe.
* ``articles``: headlines, articles, read and starred marks.
* ``views``: the endpoint (``api``), sessions and the table of calls.

Mounted at ``/api/`` and ``/api/index.php`` (apps append ``/api/`` to the server URL) and at
the classic ``/tt-rss/api/``; see docs/apps.md.
"""

from __future__ import annotations

from reader.api.compat.ttrss.views import api

__all__ = ["api"]
