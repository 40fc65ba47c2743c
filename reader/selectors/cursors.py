"""The one codec of keyset cursors: where the next page of an entry list starts.

Every paged list of entries is sorted by ``(published_at, id)`` (newest or
oldest first) and pages by keyset: a page starts strictly after the last
``(published_at, id)`` of the previous one, so entries arriving, being read or
starred between pages never make a page repeat or skip an entry that stays in
the list (the id breaks ties between entries published at the same instant).
Its cursor is that position, opaque to clients:

    URL-safe base64, unpadded, of ``"<published_at as ISO 8601 in UTC, with +00:00>|<id>"``

Written by ``reader.selectors.entry_list`` and ``entry_id_page``, and passed
back unchanged by every face that pages entries: ``next_cursor`` / ``cursor``
of ``/api/v1/entries/``, ``continuation`` / ``c`` of Google Reader's
``stream/contents``, ``stream/items/ids`` and Atom output, and the internal
paging of Fever's ``unread_item_ids`` / ``saved_item_ids``. (Fever's ``items``
page by entry id, ``since_id`` / ``max_id``, and need no cursor.)

The time is always written in UTC with its offset, whatever the database hands
back: PostgreSQL gives aware datetimes, SQLite gives naive UTC text in raw SQL
(a cursor once written from that text without an offset was then refused).
On reading, a time without an offset is taken as UTC, so such cursors still work.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from reader.errors import InvalidInput

#: Entry ids are positive 64-bit integers (a larger one would overflow the SQL parameter).
MAX_ENTRY_ID = 2**63 - 1


def utc_datetime(value: Any) -> datetime:
    """``value`` (a datetime, or the ISO text SQLite returns in raw SQL) as an aware UTC datetime.

    A naive value is taken as UTC (Django stores UTC when ``USE_TZ`` is on).
    Raises ``ValueError`` for text that is no date and time, ``TypeError`` for
    anything else.
    """
    if isinstance(value, str):
        parsed = parse_datetime(value.strip())
        if parsed is None:
            raise ValueError(f"not a date and time: {value!r}")
        value = parsed
    if not isinstance(value, datetime):
        raise TypeError(f"not a date and time: {value!r}")
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def cursor_encode(*, published_at: datetime | str, entry_id: int) -> str:
    """The cursor of the position just after ``(published_at, entry_id)`` (module docstring).

    ``published_at``: the entry's sort time as read from the database (aware or
    naive-UTC datetime, or SQLite's text). Always decodes back to the same
    position with ``cursor_decode``.
    """
    stamp = utc_datetime(published_at).isoformat()
    raw = f"{stamp}|{int(entry_id)}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(cursor: str) -> tuple[datetime, int]:
    """``(published_at as aware UTC datetime, entry id)`` of a ``cursor_encode`` cursor.

    Raises ``reader.errors.InvalidInput`` ("The cursor is not valid.", answered
    400 by every face) for anything that is not such a cursor, including an id
    outside 1..2**63-1.
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, separator, ident = raw.partition("|")
        entry_id = int(ident)
        if not separator or not 0 < entry_id <= MAX_ENTRY_ID:
            raise ValueError(raw)
        return utc_datetime(stamp), entry_id
    except (ValueError, TypeError, UnicodeDecodeError, binascii.Error) as exc:
        raise InvalidInput(_("The cursor is not valid.")) from exc
