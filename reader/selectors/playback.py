"""Where a reader stopped in an entry's audio or video."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reader.models import PlaybackPosition
from reader.selectors.entries import entry_get

__all__ = ["Playback", "playback_get"]


@dataclass(frozen=True)
class Playback:
    """A reader's place in an entry's media: ``position`` and ``duration`` in seconds
    (``duration`` None when unknown), ``updated_at`` None when they never played it."""

    entry_id: int
    position: float
    duration: float | None
    updated_at: datetime | None


def playback_get(*, user: Any, entry_id: int) -> Playback:
    """``user``'s playback position in entry ``entry_id`` (0 s when never played).

    Raises ``NotFound`` for an entry the user cannot see (``entry_get``).
    """
    entry = entry_get(user=user, entry_id=entry_id)
    saved = PlaybackPosition.objects.filter(user=user, entry_id=entry.pk).first()
    if saved is None:
        return Playback(entry_id=entry.pk, position=0.0, duration=None, updated_at=None)
    return Playback(
        entry_id=entry.pk,
        position=saved.position,
        duration=saved.duration,
        updated_at=saved.updated_at,
    )
