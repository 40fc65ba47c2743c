"""``manage.py feed_status URL [--json]``: a feed's fetch state, entry count and entries.

``--json`` prints one object: id, url, title, site_url, entry_count, last_status,
last_error, last_error_kind, error_count, first_error_at, disabled,
disabled_reason, last_fetched_at, last_success_at, next_fetch_at,
fetch_interval (seconds), etag, last_modified, and ``entries``: a list of
{guid, url, title, published} newest first (ISO 8601 UTC times, null when unset).
What a feed published is printed with its control characters escaped (``printable``):
a feed title cannot drive the terminal.
"""

from __future__ import annotations

import json
from datetime import datetime

from django.core.management.base import BaseCommand

from feeds.management.commands._feedcli import feed_lookup, printable, printable_json
from feeds.models import Feed


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def feed_status(feed: Feed, *, limit: int | None = None) -> dict:
    """The JSON-ready status object of ``feed`` (shape in the module docstring)."""
    entries = feed.entries.order_by("-published_at", "-id").values(
        "guid", "url", "title", "published_at"
    )
    if limit is not None:
        entries = entries[:limit]
    return {
        "id": feed.pk,
        "url": feed.url,
        "title": feed.title,
        "site_url": feed.site_url,
        "entry_count": feed.entries.count(),
        "last_status": feed.last_status,
        "last_error": feed.last_error,
        "last_error_kind": feed.last_error_kind,
        "error_count": feed.error_count,
        "first_error_at": _iso(feed.first_error_at),
        "disabled": feed.disabled,
        "disabled_reason": feed.disabled_reason,
        "last_fetched_at": _iso(feed.last_fetched_at),
        "last_success_at": _iso(feed.last_success_at),
        "next_fetch_at": _iso(feed.next_fetch_at),
        "fetch_interval": feed.fetch_interval,
        "etag": feed.etag,
        "last_modified": feed.last_modified,
        "entries": [
            {
                "guid": e["guid"],
                "url": e["url"],
                "title": e["title"],
                "published": _iso(e["published_at"]),
            }
            for e in entries
        ],
    }


class Command(BaseCommand):
    """Print one feed's fetch state (text, or one JSON object with --json)."""

    help = "Print a feed's fetch state and entry count (--json: one object with its entries)."

    def add_arguments(self, parser):
        parser.add_argument("url", help="the feed's URL (or its numeric id)")
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print one JSON object"
        )
        parser.add_argument("--limit", type=int, default=None, help="at most this many entries")

    def handle(self, *args, url: str, as_json: bool = False, limit: int | None = None, **opts):
        status = feed_status(feed_lookup(url), limit=limit)
        if as_json:
            self.stdout.write(printable_json(json.dumps(status, ensure_ascii=False, indent=2)))
            return
        for key, value in status.items():
            if key != "entries":
                self.stdout.write(f"{key}: {printable(value)}")
