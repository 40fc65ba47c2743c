"""/api/v1/entries/<id>/playback/: where the reader stopped in an entry's audio or video.

- ``GET``: ``{"entry_id", "position", "duration", "updated_at"}`` (``position`` 0 and
  ``updated_at`` null when never played; seconds as numbers);
- ``PUT`` ``{"position": 754.2, "duration": 1830}``: remember it (the player of the reading
  pane saves every few seconds and on pause; apps may too).

Calls ``reader.selectors.playback_get`` and ``reader.services.playback_save``; another user's
entry, or one of a feed the user does not read, is 404.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from reader import selectors, services
from reader.api.base import ApiView, UtcDateTimeField

PLAYBACK_EXAMPLE = {
    "entry_id": 1042,
    "position": 754.2,
    "duration": 1830.0,
    "updated_at": "2026-12-03T09:30:00Z",
}


class PlaybackOutputSerializer(serializers.Serializer):
    """A reader's place in an entry's media."""

    entry_id = serializers.IntegerField()
    position = serializers.FloatField(help_text="Seconds from the start.")
    duration = serializers.FloatField(allow_null=True, help_text="Seconds; null when unknown.")
    updated_at = UtcDateTimeField(allow_null=True, help_text="When it was saved; null if never.")


class PlaybackInputSerializer(serializers.Serializer):
    """Where the reader stopped (seconds, 0 to one week)."""

    position = serializers.FloatField(min_value=0, max_value=services.MAX_PLAYBACK_SECONDS)
    duration = serializers.FloatField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=services.MAX_PLAYBACK_SECONDS,
    )


class EntryPlaybackView(ApiView):
    """The reader's playback position in one entry's audio or video."""

    references_ids = True

    @extend_schema(
        operation_id="entries_playback_retrieve",
        tags=["entries"],
        summary="Where the reader stopped in the entry's audio or video",
        responses={200: PlaybackOutputSerializer},
        examples=[OpenApiExample("Half way", value=PLAYBACK_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request, pk: int) -> Response:
        """404 unless the entry is in a feed the user subscribes to (or starred)."""
        playback = selectors.playback_get(user=request.user, entry_id=pk)
        return Response(PlaybackOutputSerializer(playback).data)

    @extend_schema(
        operation_id="entries_playback_update",
        tags=["entries"],
        summary="Remember where the reader stopped",
        request=PlaybackInputSerializer,
        responses={200: PlaybackOutputSerializer},
        examples=[
            OpenApiExample(
                "Paused", value={"position": 754.2, "duration": 1830}, request_only=True
            ),
            OpenApiExample("Saved", value=PLAYBACK_EXAMPLE, response_only=True),
        ],
    )
    def put(self, request: Request, pk: int) -> Response:
        """Save the position; 404 for an entry the user cannot see."""
        data = self.body(PlaybackInputSerializer, request.data)
        services.playback_save(
            user=request.user,
            entry_id=pk,
            position=data["position"],
            duration=data.get("duration"),
        )
        playback = selectors.playback_get(user=request.user, entry_id=pk)
        return Response(PlaybackOutputSerializer(playback).data)
