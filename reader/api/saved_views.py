"""/api/v1/views/: saved searches shown in the sidebar, their unread counts and private feeds.

Calls ``reader.saved_views`` only. A view is a search (``q``, syntax of the
search endpoint) narrowed to a subscription or category and/or to the last
``since_days`` days; list its entries with ``GET /api/v1/entries/`` and the
same filters. ``POST /api/v1/views/<id>/feed/`` gives the view a private
RSS/Atom URL (a new secret each time); ``DELETE`` turns it off. ``today`` in
``GET /api/v1/views/`` is the built-in "Today" view (since local midnight in
the user's time zone).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from reader import saved_views
from reader.api.base import ApiView, UtcDateTimeField, id_field

_EXAMPLE = {
    "id": 5,
    "name": "Rust releases",
    "q": 'rust "release notes"',
    "subscription_id": None,
    "category_id": 2,
    "since_days": 30,
    "status": "unread",
    "display": "cards",
    "position": 1,
    "unread_count": 4,
    "feed": {
        "atom": "https://tidings.example.org/views/3oZk…/atom/",
        "rss": "https://tidings.example.org/views/3oZk…/rss/",
    },
    "created_at": "2026-11-29T17:31:34Z",
}


class FeedUrlsSerializer(serializers.Serializer):
    """The private feed URLs (anyone holding them can read the view's entries)."""

    atom = serializers.URLField()
    rss = serializers.URLField()


class SavedViewOutputSerializer(serializers.Serializer):
    """A saved view with its unread count and private feed URLs (null when off)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    q = serializers.CharField(allow_blank=True)
    subscription_id = serializers.IntegerField(allow_null=True)
    category_id = serializers.IntegerField(allow_null=True)
    since_days = serializers.IntegerField(allow_null=True)
    status = serializers.ChoiceField(choices=saved_views.STATUSES)
    display = serializers.ChoiceField(choices=saved_views.DISPLAYS)
    position = serializers.IntegerField()
    unread_count = serializers.IntegerField()
    feed = FeedUrlsSerializer(allow_null=True)
    created_at = UtcDateTimeField()


class TodayOutputSerializer(serializers.Serializer):
    """The built-in Today view: since local midnight (aware, in UTC) and its unread count."""

    since = UtcDateTimeField()
    unread_count = serializers.IntegerField()


class SavedViewListOutputSerializer(serializers.Serializer):
    """Today and the saved views, in sidebar order."""

    today = TodayOutputSerializer()
    views = SavedViewOutputSerializer(many=True)


class SavedViewInputSerializer(serializers.Serializer):
    """A new saved view."""

    name = serializers.CharField(max_length=255)
    q = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    subscription_id = id_field(required=False, allow_null=True, default=None)
    category_id = id_field(required=False, allow_null=True, default=None)
    since_days = serializers.IntegerField(
        min_value=1, max_value=3650, required=False, allow_null=True, default=None
    )
    status = serializers.ChoiceField(choices=saved_views.STATUSES, default="unread")
    display = serializers.ChoiceField(choices=saved_views.DISPLAYS, default="list")


class SavedViewUpdateInputSerializer(serializers.Serializer):
    """Changes to a saved view (any subset)."""

    name = serializers.CharField(max_length=255, required=False)
    q = serializers.CharField(max_length=500, required=False, allow_blank=True)
    subscription_id = id_field(required=False, allow_null=True)
    category_id = id_field(required=False, allow_null=True)
    since_days = serializers.IntegerField(
        min_value=1, max_value=3650, required=False, allow_null=True
    )
    status = serializers.ChoiceField(choices=saved_views.STATUSES, required=False)
    display = serializers.ChoiceField(choices=saved_views.DISPLAYS, required=False)
    position = serializers.IntegerField(required=False, min_value=-(2**31), max_value=2**31 - 1)

    def validate(self, attrs: dict) -> dict:
        """Refuse an empty change."""
        if not attrs:
            raise serializers.ValidationError(_("Give at least one field to change."))
        return attrs


def feed_urls(view: Any) -> dict[str, str] | None:
    """``{"atom": url, "rss": url}`` of the view's private feed, or None when it has none."""
    if not view.feed_token:
        return None
    return {
        kind: settings.SITE_URL + reverse(f"saved_view_{kind}", args=[view.feed_token])
        for kind in ("atom", "rss")
    }


def _out(user: Any, views: list[Any]) -> list[dict]:
    specs = [
        saved_views.ViewSpec(key=str(v.pk), title=v.name, filters=saved_views.view_filters(v))
        for v in views
    ]
    counts = saved_views.unread_counts(user=user, specs=specs)
    for view in views:
        view.unread_count = counts.get(str(view.pk), 0)
        view.feed = feed_urls(view)
    return SavedViewOutputSerializer(views, many=True).data


class SavedViewListView(ApiView):
    """List (with Today) and create saved views."""

    references_ids = True

    @extend_schema(
        operation_id="views_list",
        tags=["views"],
        summary="Today and the saved views, with unread counts",
        responses={200: SavedViewListOutputSerializer},
        examples=[
            OpenApiExample(
                "Views",
                value={
                    "today": {"since": "2026-11-28T23:00:00Z", "unread_count": 17},
                    "views": [_EXAMPLE],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        """Two queries whatever the number of views."""
        sidebar = saved_views.sidebar_views(user=request.user)
        today = sidebar[0]
        views = [item.saved for item in sidebar[1:]]
        for item, view in zip(sidebar[1:], views, strict=True):
            view.unread_count = item.unread
            view.feed = feed_urls(view)
        body = {
            "today": {
                "since": saved_views.local_midnight(user=request.user),
                "unread_count": today.unread,
            },
            "views": views,
        }
        return Response(SavedViewListOutputSerializer(body).data)

    @extend_schema(
        operation_id="views_create",
        tags=["views"],
        summary="Save a search as a view",
        request=SavedViewInputSerializer,
        responses={201: SavedViewOutputSerializer},
        examples=[
            OpenApiExample(
                "Save",
                value={"name": "Rust releases", "q": 'rust "release notes"', "category_id": 2},
                request_only=True,
            ),
            OpenApiExample("Created", value=_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
    )
    def post(self, request: Request) -> Response:
        """Create; 400 when the name is taken; 404 for another user's subscription/category."""
        data = self.body(SavedViewInputSerializer, request.data)
        view = saved_views.saved_view_create(user=request.user, **data)
        return Response(_out(request.user, [view])[0], status=status.HTTP_201_CREATED)


class SavedViewDetailView(ApiView):
    """Retrieve, change and delete one saved view."""

    references_ids = True

    @extend_schema(
        operation_id="views_retrieve",
        tags=["views"],
        summary="A saved view",
        responses={200: SavedViewOutputSerializer},
        examples=[OpenApiExample("View", value=_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request, pk: int) -> Response:
        """One view; 404 when unknown or another user's."""
        view = saved_views.saved_view_get(user=request.user, view_id=pk)
        return Response(_out(request.user, [view])[0])

    @extend_schema(
        operation_id="views_update",
        tags=["views"],
        summary="Change a saved view",
        request=SavedViewUpdateInputSerializer,
        responses={200: SavedViewOutputSerializer},
        examples=[OpenApiExample("Cards", value={"display": "cards"}, request_only=True)],
    )
    def patch(self, request: Request, pk: int) -> Response:
        """Change any subset of the fields."""
        data = self.body(SavedViewUpdateInputSerializer, request.data)
        view = saved_views.saved_view_update(user=request.user, view_id=pk, **data)
        return Response(_out(request.user, [view])[0])

    @extend_schema(
        operation_id="views_destroy",
        tags=["views"],
        summary="Delete a saved view (its private feed stops)",
        responses={204: None},
    )
    def delete(self, request: Request, pk: int) -> Response:
        """Delete."""
        saved_views.saved_view_delete(user=request.user, view_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SavedViewFeedView(ApiView):
    """Turn a view's private RSS/Atom feed on (new secret URL) or off."""

    references_ids = True

    @extend_schema(
        operation_id="views_feed_create",
        tags=["views"],
        summary="Give the view a new private feed URL (the previous one stops working)",
        request=None,
        responses={200: SavedViewOutputSerializer},
        examples=[OpenApiExample("With feed", value=_EXAMPLE, response_only=True)],
    )
    def post(self, request: Request, pk: int) -> Response:
        """Rotate the secret; the response carries the new URLs."""
        view = saved_views.feed_token_rotate(user=request.user, view_id=pk)
        return Response(_out(request.user, [view])[0])

    @extend_schema(
        operation_id="views_feed_destroy",
        tags=["views"],
        summary="Turn the view's private feed off",
        responses={204: None},
    )
    def delete(self, request: Request, pk: int) -> Response:
        """The feed URL answers 404 from now on."""
        saved_views.feed_token_clear(user=request.user, view_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
