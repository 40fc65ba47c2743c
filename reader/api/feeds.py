"""/api/v1/feeds/: read-only shared metadata of the feeds the user subscribes to.

A feed is listed (or retrievable) only through one of the user's
subscriptions (``reader.selectors.subscription_list``): another user's private
feed is a 404 like an unknown id, and its URL never appears. The icon URL
points at /icons/<feed id>/, which applies the same rule.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from reader import selectors
from reader.api.base import ApiView, UtcDateTimeField
from reader.api.errors import NOT_FOUND_DETAIL
from reader.errors import NotFound

FEED_EXAMPLE = {
    "id": 7,
    "url": "https://example.org/feed.xml",
    "title": "Example Blog",
    "site_url": "https://example.org/",
    "description": "Notes from Example.",
    "icon_url": "https://reader.example.com/icons/7/",
    "last_fetched_at": "2026-11-29T17:00:00Z",
    "last_success_at": "2026-11-29T17:00:00Z",
    "last_status": 200,
    "last_error": "",
    "last_error_kind": "",
    "error_count": 0,
    "next_fetch_at": "2026-11-29T18:00:00Z",
    "disabled": False,
    "disabled_reason": "",
    "retry_allowed": True,
}


class IconUrlField(serializers.Field):
    """Absolute URL of the feed's icon (/icons/<id>/), from the feed (or an object with feed_id)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("source", "*")
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value) -> str:
        """``request.build_absolute_uri`` of the icon path (a path when there is no request)."""
        feed_id = getattr(value, "feed_id", None) or value.pk
        path = reverse("feed_icon", args=[feed_id])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


extend_schema_field(OpenApiTypes.URI)(IconUrlField)


class FeedOutputSerializer(serializers.Serializer):
    """A shared feed and the state of its fetching (the same for every subscriber)."""

    id = serializers.IntegerField()
    url = serializers.CharField(help_text="The feed URL Tidings fetches.")
    title = serializers.CharField(allow_blank=True)
    site_url = serializers.CharField(allow_blank=True)
    description = serializers.CharField(allow_blank=True)
    icon_url = IconUrlField()
    last_fetched_at = UtcDateTimeField(allow_null=True)
    last_success_at = UtcDateTimeField(allow_null=True)
    last_status = serializers.IntegerField(
        allow_null=True, help_text="HTTP status of the last fetch."
    )
    last_error = serializers.CharField(allow_blank=True, help_text="Readable; empty when healthy.")
    last_error_kind = serializers.CharField(
        allow_blank=True, help_text="dns, timeout, http, parse, not_a_feed, blocked, ..."
    )
    error_count = serializers.IntegerField(help_text="Consecutive failed fetches.")
    next_fetch_at = UtcDateTimeField(help_text="When the scheduler fetches it next.")
    disabled = serializers.BooleanField()
    # Why fetching stopped, and whether a subscriber may retry.
    disabled_reason = serializers.CharField(
        allow_blank=True, help_text="Why Tidings stopped fetching it (410 Gone, 30 days failing)."
    )
    retry_allowed = serializers.SerializerMethodField(
        help_text="True unless an administrator disabled it (POST .../retry/ re-enables)."
    )

    def get_retry_allowed(self, feed) -> bool:
        """Subscribers may retry any feed but one an administrator disabled."""
        return not feed.disabled or bool(feed.auto_disabled)


def user_feed(user, feed_id: int):
    """The feed ``feed_id`` if ``user`` subscribes to it; NotFound otherwise."""
    sub = selectors.subscription_list(user=user).filter(feed_id=feed_id).first()
    if sub is None:
        raise NotFound(NOT_FOUND_DETAIL)
    return sub.feed


class FeedListView(ApiView):
    """The feeds behind the user's subscriptions."""

    @extend_schema(
        operation_id="feeds_list",
        tags=["feeds"],
        summary="List the feeds the user subscribes to",
        responses={200: FeedOutputSerializer(many=True)},
        examples=[OpenApiExample("Feeds", value=FEED_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request) -> Response:
        """Feeds in subscription order."""
        feeds = [sub.feed for sub in selectors.subscription_list(user=request.user)]
        return Response(FeedOutputSerializer(feeds, many=True, context={"request": request}).data)


class FeedDetailView(ApiView):
    """One feed the user subscribes to."""

    @extend_schema(
        operation_id="feeds_retrieve",
        tags=["feeds"],
        summary="A feed's metadata and fetch state",
        responses={200: FeedOutputSerializer},
        examples=[OpenApiExample("Feed", value=FEED_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request, pk: int) -> Response:
        """404 unless the user subscribes to the feed."""
        feed = user_feed(request.user, pk)
        return Response(FeedOutputSerializer(feed, context={"request": request}).data)
