"""Helpers shared by the feed management commands (not a command: the name starts with "_")."""

from __future__ import annotations

import sys
from typing import TextIO

from django.core.management.base import CommandError

from feeds.models import Feed
from feeds.pipeline.fetch import FetchError, check_url


def feed_lookup(url_or_id: str) -> Feed:
    """The Feed named by its URL (cleaned like ``feed_get_or_create`` does) or numeric id.

    Raises CommandError when there is none.
    """
    if url_or_id.isdigit():
        feed = Feed.objects.filter(pk=int(url_or_id)).first()
    else:
        try:
            cleaned = check_url(url_or_id, resolve=False)
        except FetchError as exc:
            raise CommandError(exc.message) from exc
        feed = Feed.objects.filter(url__in={cleaned, url_or_id.strip()}).first()
    if feed is None:
        raise CommandError(f"No feed {url_or_id!r}. Add it with: manage.py add_feed URL")
    return feed


class ProgressBar:
    """A one-line text progress bar on ``stream`` (stderr by default).

    On a terminal the line is redrawn in place; otherwise one line is printed
    at every tenth of the way, so logs stay short.
    """

    def __init__(self, total: int, *, stream: TextIO | None = None, width: int = 30) -> None:
        self.total = max(total, 0)
        self.done = 0
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_tenth = -1

    def advance(self, label: str = "") -> None:
        """Count one more item done and redraw."""
        self.done += 1
        fraction = self.done / self.total if self.total else 1.0
        filled = int(fraction * self.width)
        line = f"[{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total}"
        if self.tty:
            self.stream.write(f"\r{line} {label[:60]:<60}")
            if self.done >= self.total:
                self.stream.write("\n")
        elif int(fraction * 10) != self._last_tenth:
            self._last_tenth = int(fraction * 10)
            self.stream.write(line + "\n")
        self.stream.flush()
