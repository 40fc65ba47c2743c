"""/api/v1/me/: the current user and their reading preferences.

PATCH validates and saves through ``accounts.forms.PreferencesForm``, the same
rules as the settings page (choices of language, time zone, theme, sort order;
10-200 entries per page), so the API adds no rule of its own.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.forms import PreferencesForm
from reader.api.base import ApiView, UtcDateTimeField
from reader.api.errors import INVALID_INPUT_DETAIL, ApiError

PREFERENCE_FIELDS = PreferencesForm.Meta.fields


class PreferencesSerializer(serializers.Serializer):
    """Reading and display preferences (output)."""

    language = serializers.CharField(help_text="Interface language; empty: the browser's.")
    timezone = serializers.CharField(help_text="IANA time zone name, e.g. `Europe/Paris`.")
    theme = serializers.ChoiceField(choices=["system", "light", "dark"])
    entries_per_page = serializers.IntegerField(min_value=10, max_value=200)
    sort_order = serializers.ChoiceField(choices=["newest", "oldest"])
    mark_read_on_open = serializers.BooleanField()
    show_unread_only = serializers.BooleanField()
    merge_duplicates = serializers.BooleanField(
        help_text="Show an article carried by several subscriptions once (All, Unread)."
    )
    highlight_words = serializers.CharField(
        allow_blank=True, help_text="Comma-separated words highlighted in titles."
    )
    remote_images = serializers.ChoiceField(
        choices=["on", "click", "off"],
        help_text="Images in entries: loaded (through the media proxy), after a click, or never.",
    )
    mark_read_when_played = serializers.BooleanField(
        help_text="Mark an entry read when its audio or video has played to the end."
    )


class PreferencesInputSerializer(serializers.Serializer):
    """Preferences to change (any subset). Values are checked by the settings form's rules."""

    language = serializers.CharField(required=False, allow_blank=True, max_length=10)
    timezone = serializers.CharField(required=False, max_length=64)
    theme = serializers.ChoiceField(choices=["system", "light", "dark"], required=False)
    entries_per_page = serializers.IntegerField(min_value=10, max_value=200, required=False)
    sort_order = serializers.ChoiceField(choices=["newest", "oldest"], required=False)
    mark_read_on_open = serializers.BooleanField(required=False)
    show_unread_only = serializers.BooleanField(required=False)
    merge_duplicates = serializers.BooleanField(required=False)
    highlight_words = serializers.CharField(required=False, allow_blank=True, max_length=500)
    remote_images = serializers.ChoiceField(choices=["on", "click", "off"], required=False)
    mark_read_when_played = serializers.BooleanField(required=False)


class MeOutputSerializer(serializers.Serializer):
    """The signed-in user."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField(allow_blank=True)
    date_joined = UtcDateTimeField()
    is_staff = serializers.BooleanField()
    preferences = PreferencesSerializer(source="*")


class MeInputSerializer(serializers.Serializer):
    """PATCH body: ``{"preferences": {...}}`` with any subset of the preferences."""

    preferences = PreferencesInputSerializer()


_ME_EXAMPLE = {
    "id": 1,
    "username": "alice",
    "email": "alice@example.com",
    "date_joined": "2026-11-01T09:00:00Z",
    "is_staff": False,
    "preferences": {
        "language": "",
        "timezone": "Europe/Paris",
        "theme": "system",
        "entries_per_page": 50,
        "sort_order": "newest",
        "mark_read_on_open": True,
        "show_unread_only": True,
        "merge_duplicates": False,
        "highlight_words": "rust, security",
        "remote_images": "on",
        "mark_read_when_played": True,
    },
}


class MeView(ApiView):
    """The current user; PATCH changes preferences."""

    @extend_schema(
        operation_id="me_retrieve",
        tags=["me"],
        summary="The current user and preferences",
        responses={200: MeOutputSerializer},
        examples=[OpenApiExample("Alice", value=_ME_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request) -> Response:
        """Return the user and their preferences."""
        return Response(MeOutputSerializer(request.user).data)

    @extend_schema(
        operation_id="me_update",
        tags=["me"],
        summary="Change preferences",
        request=MeInputSerializer,
        responses={200: MeOutputSerializer},
        examples=[
            OpenApiExample(
                "Dark theme, 100 per page",
                value={"preferences": {"theme": "dark", "entries_per_page": 100}},
                request_only=True,
            ),
            OpenApiExample("Updated", value=_ME_EXAMPLE, response_only=True),
        ],
    )
    def patch(self, request: Request) -> Response:
        """Apply a subset of preferences with the settings form's validation."""
        changes = self.body(MeInputSerializer, request.data)["preferences"]
        user = request.user
        current = {name: getattr(user, name) for name in PREFERENCE_FIELDS}
        form = PreferencesForm(data={**current, **changes}, instance=user)
        if not form.is_valid():
            errors = {f"preferences.{k}": [str(m) for m in v] for k, v in form.errors.items()}
            raise ApiError(status_code=400, detail=str(INVALID_INPUT_DETAIL), errors=errors)
        form.save()
        return Response(MeOutputSerializer(user).data)
