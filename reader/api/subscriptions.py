"""/api/v1/subscriptions/: list (with unread counts), subscribe by URL, rename/move,
unsubscribe, "refresh now", and unread the older entries a subscription started with.

Calls reader.selectors (subscription_list, subscription_get, unread_counts),
reader.services (subscription_create/update/delete) and feeds.services.feed_refresh.

Subscribing to a URL: a feed URL answers 201. A site whose page links to one
feed subscribes to that feed (201). A page with several feeds answers **400
with code ``discovery_choice``** and the ``candidates`` (url, title, type): post
again with one of them. An existing subscription to that feed is **409**
(``subscription_exists``, with ``subscription_id``).

``unread_start`` chooses what starts unread (``recent``: the last 30 days, the default;
``all``; ``none``). ``POST /api/v1/subscriptions/<id>/unread-older/`` later makes unread
the older entries it started with as read.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from feeds.services import feed_refresh
from reader import read_state, selectors, services
from reader.api.base import ApiView, RefreshThrottle, UtcDateTimeField, WriteThrottle, id_field
from reader.api.feeds import FEED_EXAMPLE, FeedOutputSerializer, IconUrlField
from reader.api.schema import error_response
from reader.fetching import feed_status

SUBSCRIPTION_EXAMPLE = {
    "id": 12,
    "title": "Example Blog",
    "custom_title": "",
    "feed_id": 7,
    "feed_url": "https://example.org/feed.xml",
    "site_url": "https://example.org/",
    "icon_url": "https://reader.example.com/icons/7/",
    "category_id": 4,
    "position": 3,
    "unread_count": 5,
    "last_error": "",
    "created_at": "2026-11-29T17:31:34Z",
    "feed_status": "ok",
    "fetch_full_text": False,
}


class SubscriptionOutputSerializer(serializers.Serializer):
    """A subscription: the user's title/category over a shared feed, with its unread count."""

    id = serializers.IntegerField()
    title = serializers.SerializerMethodField(help_text="The user's title, else the feed's.")
    custom_title = serializers.CharField(source="title", help_text="The user's title or empty.")
    feed_id = serializers.IntegerField()
    feed_url = serializers.CharField(source="feed.url")
    site_url = serializers.CharField(source="feed.site_url", allow_blank=True)
    icon_url = IconUrlField()
    category_id = serializers.IntegerField(allow_null=True, help_text="null: Uncategorized.")
    position = serializers.IntegerField()
    unread_count = serializers.IntegerField()
    last_error = serializers.CharField(source="feed.last_error", allow_blank=True)
    created_at = UtcDateTimeField()
    # Fetch state in one word, and automatic full text.
    feed_status = serializers.SerializerMethodField(
        help_text="ok, failing, disabled (retry possible) or disabled_by_admin."
    )
    fetch_full_text = serializers.BooleanField(
        help_text="New entries get their full article extracted (POST .../full-text/)."
    )

    def get_feed_status(self, sub) -> str:
        """reader.fetching.feed_status of the subscription's feed."""
        return feed_status(sub.feed)

    def get_title(self, sub) -> str:
        """Display title."""
        return sub.title or sub.feed.title or sub.feed.url


class SubscriptionCreateInputSerializer(serializers.Serializer):
    """Subscribe to a feed or site URL (``https://`` is assumed when the scheme is missing)."""

    url = serializers.CharField(max_length=2048)
    category_id = id_field(required=False, allow_null=True, help_text="null: Uncategorized.")
    title = serializers.CharField(max_length=512, required=False, allow_blank=True)
    unread_start = serializers.ChoiceField(
        choices=list(read_state.START_CHOICES),
        default=read_state.START_RECENT,
        help_text="What starts unread: recent (entries of the last NEW_SUBSCRIPTION_UNREAD_DAYS "
        "days, 30 by default), all, or none (nothing published before now).",
    )


class SubscriptionUpdateInputSerializer(serializers.Serializer):
    """Change any of: title ("" follows the feed), category (null: Uncategorized), position."""

    title = serializers.CharField(max_length=512, required=False, allow_blank=True)
    category_id = id_field(required=False, allow_null=True)
    position = serializers.IntegerField(required=False, min_value=-(2**31), max_value=2**31 - 1)


class RefreshOutputSerializer(serializers.Serializer):
    """What "refresh now" did, and the feed's state afterwards."""

    outcome = serializers.CharField(
        help_text="ok, not_modified, skipped (already in flight, disabled or host asked to wait), "
        "or the error kind recorded on the feed (dns, timeout, http, parse, ...)."
    )
    status = serializers.IntegerField(allow_null=True, help_text="HTTP status, when fetched.")
    new = serializers.IntegerField(help_text="Entries added.")
    updated = serializers.IntegerField(help_text="Entries changed.")
    error = serializers.CharField(allow_blank=True)
    feed = FeedOutputSerializer()


def with_counts(subs, counts: dict):
    """Set ``unread_count`` on each subscription from ``unread_counts()['subscriptions']``."""
    for sub in subs:
        sub.unread_count = counts.get(sub.pk, 0)
    return subs


CREATE_400 = error_response(
    400,
    "Invalid URL, no feed found, unreachable site (codes `invalid_url`, `feed_not_found`, "
    "`feed_unreachable`), or a page with several feeds: code `discovery_choice` with "
    "`candidates` to choose from.",
    {
        "detail": "This site offers several feeds; pick one.",
        "code": "discovery_choice",
        "errors": {"url": ["This site offers several feeds; pick one."]},
        "candidates": [
            {"url": "https://example.org/feed.xml", "title": "Posts", "type": "rss"},
            {"url": "https://example.org/comments.xml", "title": "Comments", "type": "rss"},
        ],
    },
)
_CREATE_409 = error_response(
    409,
    "Already subscribed to this feed (code `subscription_exists`; `subscription_id`).",
)


class _CategoryQuery(serializers.Serializer):
    category = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=2**63 - 1,
        help_text="Only this category (0: Uncategorized).",
    )


class SubscriptionListView(ApiView):
    """List and create subscriptions."""

    references_ids = True

    query_serializer_class = _CategoryQuery

    @extend_schema(
        operation_id="subscriptions_list",
        tags=["subscriptions"],
        summary="List subscriptions with unread counts",
        parameters=[_CategoryQuery],
        responses={200: SubscriptionOutputSerializer(many=True)},
        examples=[OpenApiExample("List", value=SUBSCRIPTION_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request) -> Response:
        """All subscriptions in order, each with ``unread_count``."""
        category_id = self.query_params().get("category")
        subs = selectors.subscription_list(user=request.user, category_id=category_id)
        counts = selectors.unread_counts(user=request.user)["subscriptions"]
        data = SubscriptionOutputSerializer(
            with_counts(list(subs), counts), many=True, context={"request": request}
        ).data
        return Response(data)

    @extend_schema(
        operation_id="subscriptions_create",
        tags=["subscriptions"],
        summary="Subscribe to a feed or site URL",
        request=SubscriptionCreateInputSerializer,
        responses={
            201: SubscriptionOutputSerializer,
            400: CREATE_400,
            404: error_response(404, "The category id is unknown or another user's."),
            409: _CREATE_409,
        },
        examples=[
            OpenApiExample(
                "By site URL", value={"url": "example.org", "category_id": 4}, request_only=True
            ),
            OpenApiExample(
                "Everything unread",
                value={"url": "https://example.org/feed.xml", "unread_start": "all"},
                request_only=True,
            ),
            OpenApiExample(
                "Created", value=SUBSCRIPTION_EXAMPLE, response_only=True, status_codes=["201"]
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        """Subscribe (discovery when the URL is a page); the feed is fetched in the background."""
        data = self.body(SubscriptionCreateInputSerializer, request.data)
        sub = services.subscription_create(
            user=request.user,
            url=data["url"],
            category=data.get("category_id"),
            title=data.get("title", ""),
            unread_start=data["unread_start"],
        )
        counts = selectors.unread_counts(user=request.user)["subscriptions"]
        body = SubscriptionOutputSerializer(
            with_counts([sub], counts)[0], context={"request": request}
        ).data
        return Response(body, status=status.HTTP_201_CREATED)


class SubscriptionDetailView(ApiView):
    """Retrieve, update and delete one subscription."""

    def _out(self, request: Request, pk: int) -> dict:
        sub = selectors.subscription_get(user=request.user, subscription_id=pk)
        counts = selectors.unread_counts(user=request.user)["subscriptions"]
        return SubscriptionOutputSerializer(
            with_counts([sub], counts)[0], context={"request": request}
        ).data

    @extend_schema(
        operation_id="subscriptions_retrieve",
        tags=["subscriptions"],
        summary="A subscription",
        responses={200: SubscriptionOutputSerializer},
        examples=[OpenApiExample("One", value=SUBSCRIPTION_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request, pk: int) -> Response:
        """One subscription; 404 when unknown or another user's."""
        return Response(self._out(request, pk))

    @extend_schema(
        operation_id="subscriptions_update",
        tags=["subscriptions"],
        summary="Rename, move to a category, or reorder a subscription",
        request=SubscriptionUpdateInputSerializer,
        responses={200: SubscriptionOutputSerializer},
        examples=[
            OpenApiExample(
                "Rename and move", value={"title": "Blog", "category_id": 4}, request_only=True
            ),
            OpenApiExample("Updated", value=SUBSCRIPTION_EXAMPLE, response_only=True),
        ],
    )
    def patch(self, request: Request, pk: int) -> Response:
        """Only the fields given change; a foreign category id is a 404."""
        data = self.body(SubscriptionUpdateInputSerializer, request.data)
        services.subscription_update(user=request.user, subscription_id=pk, **data)
        return Response(self._out(request, pk))

    @extend_schema(
        operation_id="subscriptions_destroy",
        tags=["subscriptions"],
        summary="Unsubscribe (starred entries stay under Starred)",
        responses={204: None},
    )
    def delete(self, request: Request, pk: int) -> Response:
        """Unsubscribe."""
        services.subscription_delete(user=request.user, subscription_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SubscriptionRefreshView(ApiView):
    """Fetch the subscription's feed now (rate limited per user: scope ``api_refresh``)."""

    throttle_classes = [WriteThrottle, RefreshThrottle]

    @extend_schema(
        operation_id="subscriptions_refresh",
        tags=["subscriptions"],
        summary="Refresh the feed now",
        request=None,
        responses={200: RefreshOutputSerializer},
        examples=[
            OpenApiExample(
                "Fetched",
                value={
                    "outcome": "ok",
                    "status": 200,
                    "new": 2,
                    "updated": 0,
                    "error": "",
                    "feed": FEED_EXAMPLE,
                },
                response_only=True,
            )
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        """Run the one refresh service (forced: ignores the schedule, not a host's Retry-After)."""

        sub = selectors.subscription_get(user=request.user, subscription_id=pk)
        result = feed_refresh(feed_id=sub.feed_id, force=True)
        sub = selectors.subscription_get(user=request.user, subscription_id=pk)
        body = {
            "outcome": result.outcome,
            "status": result.status,
            "new": result.new,
            "updated": result.updated,
            "error": result.error,
            "feed": sub.feed,
        }
        return Response(RefreshOutputSerializer(body, context={"request": request}).data)


class UnreadOlderOutputSerializer(serializers.Serializer):
    """How many older entries became unread."""

    subscription_id = serializers.IntegerField()
    unread = serializers.IntegerField(help_text="Entries that became unread.")


class SubscriptionUnreadOlderView(ApiView):
    """Make unread the older entries the subscription started with as read."""

    @extend_schema(
        operation_id="subscriptions_unread_older",
        tags=["subscriptions"],
        summary="Mark unread the older entries a new subscription started with as read",
        request=None,
        responses={200: UnreadOlderOutputSerializer},
        examples=[
            OpenApiExample("Done", value={"subscription_id": 12, "unread": 340}, response_only=True)
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        """Entries marked by hand keep their mark; 404 for a foreign subscription."""
        count = services.subscription_unread_older(user=request.user, subscription_id=pk)
        return Response(UnreadOlderOutputSerializer({"subscription_id": pk, "unread": count}).data)
