"""Feed dates: any spelling publishers use, as an aware UTC datetime or None.

Policy 2 of ``../shared/cases/README.md``: a value that cannot be read is ``None``,
never a guess (the store then uses the first-seen time); zone-less values are UTC.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import time

import feedparser.datetimes

__all__ = ["parse_date"]

UTC = dt.UTC
_ISO_RE = re.compile(r"^\d{4}-?\d{2}-?\d{2}(?:[T ]|$)")
_SLASH_RE = re.compile(
    r"^(\d{4})/(\d{1,2})/(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*(Z|UTC|GMT)?$",
    re.IGNORECASE,
)


def _aware(value: dt.datetime) -> dt.datetime | None:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # policy 2: zone-less values are UTC
    value = value.astimezone(UTC)
    return value if value.year >= 1900 else None


def parse_date(raw: str | None, parsed: time.struct_time | None = None) -> dt.datetime | None:
    """A feed date string as an aware UTC datetime, or None when it cannot be read.

    ISO 8601/RFC 3339 (Atom, JSON Feed) and ``YYYY/M/D h:m:s`` are read here;
    RFC 822 and the other spellings feedparser knows come from ``parsed``
    (feedparser's UTC struct_time), kept only when the year it found appears in
    the raw text, so a misread never becomes a different date (P06).
    """
    raw = (raw or "").strip()
    if not raw:
        return None
    if _ISO_RE.match(raw):
        try:
            return _aware(dt.datetime.fromisoformat(raw.replace(" ", "T", 1)))
        except ValueError:
            pass
    slash = _SLASH_RE.match(raw)
    if slash:
        year, month, day, hour, minute, second = (int(g or 0) for g in slash.groups()[:6])
        try:
            return _aware(dt.datetime(year, month, day, hour, minute, second, tzinfo=UTC))
        except ValueError:
            return None
    if parsed is None:
        parsed = feedparser.datetimes._parse_date(raw)
    if parsed is None:
        return _rfc822_date(raw)
    try:
        value = dt.datetime(*parsed[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None
    years = {str(value.year), str(value.year - 1), str(value.year + 1)}
    if not any(year in raw for year in years):
        return None
    return _aware(value)


def _rfc822_date(raw: str) -> dt.datetime | None:
    """RFC 822 spellings feedparser refuses (e.g. no seconds), via the email package."""
    try:
        fields = email.utils.parsedate_tz(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if not fields or str(fields[0]) not in raw:
        return None
    try:
        return _aware(dt.datetime.fromtimestamp(email.utils.mktime_tz(fields), UTC))
    except (OverflowError, ValueError, OSError):
        return None
