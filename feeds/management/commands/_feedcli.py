"""Helpers shared by the feed management commands (not a command: the name starts with "_")."""

from __future__ import annotations

import re
import sys
from typing import Any, TextIO

from django.core.management.base import CommandError

from feeds.models import Feed
from feeds.pipeline.fetch import FetchError, check_url

# C0 and C1 controls, DEL, and the bidirectional overrides/isolates that reorder what a
# terminal shows (CVE-2021-42574, "Trojan Source").
_UNPRINTABLE_RE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# What json.dumps leaves raw in strings (it escapes C0 itself; its indentation is LF).
_UNPRINTABLE_IN_JSON_RE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    code = ord(char)
    return _NAMED_ESCAPES.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def printable(value: Any) -> str:
    """``value`` as text safe to print on a terminal: control characters escaped.

    C0/C1 controls and DEL become ``\\xNN`` (tab, LF, CR ``\\t``, ``\\n``, ``\\r``),
    bidirectional controls ``\\uNNNN``; so a feed title holding ``ESC [ 2 J`` or a
    newline prints as those characters' escapes, on one line, and drives nothing.
    ``None`` is "". Other characters (accents, CJK, emoji) are printed as they are.
    """
    text = "" if value is None else str(value)
    return _UNPRINTABLE_RE.sub(_escape, text)


def printable_json(text: str) -> str:
    """A JSON document (``json.dumps(..., ensure_ascii=False)``) safe to print on a terminal.

    json escapes C0 controls itself; DEL, C1 and bidirectional controls are written as
    ``\\uNNNN`` escapes, which mean the same characters to a JSON reader (RFC 8259
    section 7). They only occur inside strings, so the document stays equal.
    """
    return _UNPRINTABLE_IN_JSON_RE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


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
            self.stream.write(f"\r{line} {printable(label)[:60]:<60}")
            if self.done >= self.total:
                self.stream.write("\n")
        elif int(fraction * 10) != self._last_tenth:
            self._last_tenth = int(fraction * 10)
            self.stream.write(line + "\n")
        self.stream.flush()
