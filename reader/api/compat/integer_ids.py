"""Entry ids for client APIs whose apps keep ids in 32-bit integers.

Tidings' entry ids live in ``[0xA00000000000, 0xAFFFFFFFFFFF]`` (feeds migrations
0004 and 0006; see ``docs/architecture.md``, "The entry id space"). Apps of the
Nextcloud News, Tiny Tiny RSS and Miniflux APIs parse item ids as integers, and
several keep them in 32-bit ones (newsboat reads them with json-c's
``json_object_get_int``, which clamps to 2**31 - 1; the TTRSS Android clients
declare ``int``). These APIs therefore speak the *integer entry id*: the entry's
position in the id space, counted from 1::

    integer id = entry id - 0xA00000000000 + 1

It grows with first-seen time as the entry id does, so "newest item id" and
"since id" keep their meaning, and it fits in 31 bits for the first 2**31 - 1
entries a server stores. Feed, subscription and category ids are small already
and are used as they are.
"""

from __future__ import annotations

#: The first entry id (feeds migration 0004).
ENTRY_ID_START = 0xA00000000000
#: The largest integer id: 2**31 - 1, the largest value a signed 32-bit integer holds.
INTEGER_ID_MAX = 2**31 - 1


def integer_entry_id(entry_id: int) -> int:
    """Return the integer id (>= 1) of ``entry_id`` (an id of the entry id space).

    Raises ValueError for an id below ``ENTRY_ID_START`` (no entry has one).
    """
    if entry_id < ENTRY_ID_START:
        raise ValueError(f"{entry_id} is not in the entry id space")
    return entry_id - ENTRY_ID_START + 1


def entry_id_from_integer(integer_id: int) -> int | None:
    """Return the entry id an app's integer id names, or None when it names none.

    ``integer_id`` outside ``[1, INTEGER_ID_MAX]`` (zero, negative, or too large,
    as an app sends for "no item" or garbage) names no entry: the caller answers
    it as its API answers an unknown id.
    """
    if isinstance(integer_id, bool) or not 1 <= integer_id <= INTEGER_ID_MAX:
        return None
    return integer_id + ENTRY_ID_START - 1


def entry_id_bound(integer_id: int) -> int:
    """The entry id that bounds the same entries as the integer id ``integer_id`` does.

    For comparisons an app makes with integer ids (Nextcloud News ``newestItemId``:
    "every item with id <= n"; ``offset``: "ids below / above n"): an entry's integer id
    is ``<= n`` exactly when its entry id is ``<= entry_id_bound(n)``, and the same holds
    for ``<``, ``>`` and ``>=``. ``n`` is clamped to ``[0, INTEGER_ID_MAX]`` first, so
    ``entry_id_bound(0)`` is below every entry and a huge ``n`` (newsboat sends 2**63 - 1
    for "everything") bounds every entry an integer id can name.
    """
    return ENTRY_ID_START - 1 + max(0, min(int(integer_id), INTEGER_ID_MAX))
