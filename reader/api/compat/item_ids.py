"""Google Reader API item ids and stream ids, as FreshRSS and Miniflux parse them.

An item id is our positive 64-bit entry id (below 2**63, so its decimal form is
never negative). Output: decimal strings in ``stream/items/ids``, the long form
``tag:google.com,2005:reader/item/<16 lowercase hex>`` in item contents.
Input accepts the long form, bare 16-hex, unpadded hex and decimal
(../shared/specs/client-apis.md A3; case P24).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LONG_PREFIX = "tag:google.com,2005:reader/item/"
_HEX = re.compile(r"^[0-9a-fA-F]{1,16}$")
_DEC = re.compile(r"^[1-9][0-9]{0,18}$")
MAX_ID = 2**63 - 1

READING_LIST = "user/-/state/com.google/reading-list"
READ = "user/-/state/com.google/read"
STARRED = "user/-/state/com.google/starred"
KEPT_UNREAD = "user/-/state/com.google/kept-unread"
UNREAD = "user/-/state/com.google/unread"
LABEL_PREFIX = "user/-/label/"


class InvalidItemId(ValueError):
    """Raised for a value that is no item id in any accepted form."""


def item_id_long(entry_id: int) -> str:
    """Return ``tag:google.com,2005:reader/item/<16 hex>`` for ``entry_id``."""
    return f"{LONG_PREFIX}{entry_id:016x}"


def parse_item_id(value: str) -> int:
    """Parse one item id in any client spelling; returns the positive entry id.

    Rules (Miniflux's, which avoid FreshRSS's digits-only-hex ambiguity for
    padded forms): the long prefix means hex; exactly 16 hex digits mean hex; a
    decimal without a leading zero means decimal; other hex (unpadded, with a
    letter or a leading zero) means hex. Negative decimals (the original
    service's signed form of ids >= 2**63) can name none of our ids.
    Raises InvalidItemId for anything else, zero, or a value >= 2**63.
    """
    raw = (value or "").strip()
    if raw.startswith(LONG_PREFIX):
        digits = raw[len(LONG_PREFIX) :]
        if not _HEX.match(digits):
            raise InvalidItemId(value)
        number = int(digits, 16)
    elif len(raw) == 16 and _HEX.match(raw):
        number = int(raw, 16)
    elif _DEC.match(raw):
        number = int(raw)
    elif _HEX.match(raw):
        number = int(raw, 16)
    else:
        raise InvalidItemId(value)
    if number <= 0 or number > MAX_ID:
        raise InvalidItemId(value)
    return number


def parse_item_ids(values: list[str]) -> list[int]:
    """Parse many ids, dropping malformed ones (batch semantics); order kept, no repeats."""
    seen: dict[int, None] = {}
    for value in values:
        try:
            seen.setdefault(parse_item_id(value), None)
        except InvalidItemId:
            continue
    return list(seen)


@dataclass(frozen=True)
class Stream:
    """A parsed stream id: ``kind`` is one of reading-list, read, starred, kept-unread,
    unread, label, feed, ignored; ``value`` is the label name or the feed id/URL."""

    kind: str
    value: str = ""


def parse_stream_id(stream_id: str | None) -> Stream:
    """Parse a GReader stream id (spec A3). ``user/<anything>/`` equals ``user/-/``.

    An empty stream means the reading list (EasyRSS and FeedMe send none).
    Raises ValueError for a stream id of an unknown shape.
    """
    sid = (stream_id or "").strip()
    if not sid:
        return Stream("reading-list")
    if sid.startswith("feed/"):
        return Stream("feed", sid[len("feed/") :])
    match = re.match(r"^user/[^/]+/(state/com\.google|label)/(.+)$", sid)
    if not match:
        raise ValueError(f"unknown stream id {sid!r}")
    space, name = match.groups()
    if space == "label":
        return Stream("label", name)
    if name in {"reading-list", "read", "starred", "kept-unread", "unread"}:
        return Stream(name)
    return Stream("ignored", name)  # broadcast, like, fresh...
