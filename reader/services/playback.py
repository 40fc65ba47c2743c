"""Where a reader stopped in an entry's audio or video (the player of the reading pane)."""

from __future__ import annotations

import math
from typing import Any

from django.utils.translation import gettext as _

from reader.errors import InvalidInput
from reader.models import PlaybackPosition
from reader.selectors.entries import entry_get

__all__ = ["MAX_PLAYBACK_SECONDS", "playback_save"]

#: The longest position or duration accepted, in seconds (a week: no episode is longer).
MAX_PLAYBACK_SECONDS = 7 * 24 * 3600


def _seconds(value: Any, name: str) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(_("%(name)s must be a number of seconds.") % {"name": name}) from exc
    if not math.isfinite(seconds) or not 0 <= seconds <= MAX_PLAYBACK_SECONDS:
        message = _("%(name)s must be between 0 and %(max)s seconds.")
        raise InvalidInput(message % {"name": name, "max": MAX_PLAYBACK_SECONDS})
    return seconds


def playback_save(
    *, user: Any, entry_id: int, position: Any, duration: Any = None
) -> PlaybackPosition:
    """Remember that ``user`` stopped at ``position`` seconds of entry ``entry_id``'s media.

    ``duration`` (seconds, optional) is the media's length as the player knows it; a position
    past it is stored as the duration. Upsert on (user, entry). Raises ``NotFound`` for an entry
    the user cannot see (``entry_get``), ``InvalidInput`` for a value that is not a number of
    seconds between 0 and :data:`MAX_PLAYBACK_SECONDS`.
    """
    entry = entry_get(user=user, entry_id=entry_id)
    seconds = _seconds(position, "position")
    length = None if duration is None else _seconds(duration, "duration")
    if length is not None:
        seconds = min(seconds, length)
    saved, _created = PlaybackPosition.objects.update_or_create(
        user=user, entry_id=entry.pk, defaults={"position": seconds, "duration": length}
    )
    return saved
