"""Feed dates: any spelling publishers use, as an aware UTC datetime or None.

Policy 2 of ``../shared/cases/README.md``: a value that cannot be read is ``None``,
never a guess (the store then uses the first-seen time); zone-less values are UTC.
Two-digit years are read as RFC 5322 section 4.3 says (00-49 are 2000-2049, 50-99
are 1950-1999), not as feedparser or the email package would (their cut-offs differ).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import time

import feedparser.datetimes

__all__ = ["parse_date", "rfc5322_year"]

UTC = dt.UTC
_ISO_RE = re.compile(r"^\d{4}-?\d{2}-?\d{2}(?:[T ]|$)")
# RFC 822/5322 "[day-name,] day month year": the year group is two digits (obs-year).
_TWO_DIGIT_YEAR_RE = re.compile(
    r"^((?:[a-z]{3,9},?\s*)?\d{1,2}[\s-]+"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?[\s-]+)(\d{2})(?=\s|$)",
    re.IGNORECASE,
)
# Numbers that may write a year: four or two digits, not part of a time (hh:mm:ss).
_YEAR_RE = re.compile(r"(?<![\d:])(\d{4}|\d{2})(?![\d:])")
_SLASH_RE = re.compile(
    r"^(\d{4})/(\d{1,2})/(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*(Z|UTC|GMT)?$",
    re.IGNORECASE,
)


def _aware(value: dt.datetime) -> dt.datetime | None:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # policy 2: zone-less values are UTC
    value = value.astimezone(UTC)
    return value if value.year >= 1900 else None


def rfc5322_year(two_digits: int) -> int:
    """The four-digit year of an obsolete two-digit year (RFC 5322 section 4.3).

    00-49 are 2000-2049, 50-99 are 1950-1999. ``two_digits`` in 0..99.
    """
    return two_digits + (2000 if two_digits < 50 else 1900)


def _expand_two_digit_year(raw: str) -> str:
    """``raw`` with an RFC 822 two-digit year written in four digits (else unchanged)."""
    match = _TWO_DIGIT_YEAR_RE.match(raw)
    if not match:
        return raw
    year = rfc5322_year(int(match.group(2)))
    return f"{match.group(1)}{year}{raw[match.end() :]}"


def _year_in_text(year: int, raw: str) -> bool:
    """Whether ``raw`` writes ``year`` (or a year next to it: the UTC shift can cross one).

    A four-digit number equal to it counts, or a two-digit one (not part of a time)
    whose RFC 5322 reading is.
    """
    for token in _YEAR_RE.findall(raw):
        written = int(token) if len(token) == 4 else rfc5322_year(int(token))
        if abs(written - year) <= 1:
            return True
    return False


def parse_date(raw: str | None, parsed: time.struct_time | None = None) -> dt.datetime | None:
    """A feed date string as an aware UTC datetime, or None when it cannot be read.

    ISO 8601/RFC 3339 (Atom, JSON Feed) and ``YYYY/M/D h:m:s`` are read here;
    RFC 822 and the other spellings feedparser knows come from ``parsed``
    (feedparser's UTC struct_time, else feedparser's date parser), kept whenever
    its result is consistent with the text, the year it found being written there
    (four digits, or two read as RFC 5322 says), so a misread never becomes a
    different date (P06). An RFC 822 two-digit year is expanded first
    (``Tue, 10 Jun 03 09:41:01 GMT`` is 2003-06-10 09:41:01 UTC).
    """
    raw = (raw or "").strip()
    if not raw:
        return None
    expanded = _expand_two_digit_year(raw)
    if expanded != raw:
        raw, parsed = expanded, None  # feedparser read the two digits by its own rule
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
    if not _year_in_text(value.year, raw):
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
