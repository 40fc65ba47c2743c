"""/api/v1/ endpoints of fetching on demand: retry a failing feed, full text.

- ``POST /api/v1/subscriptions/<id>/retry/``: re-enable (when Tidings disabled it) and
  re-fetch the subscription's feed soon (``reader.fetching.subscription_retry``);
  409 ``feed_disabled_by_admin`` when an administrator disabled it.
- ``POST /api/v1/subscriptions/<id>/full-text/`` ``{"enabled": true}``: extract the full
  article of the feed's new entries automatically (``subscription_set_full_text``).
- ``POST /api/v1/entries/<id>/fetch-content/``: extract the full article of one entry now
  (``entry_fetch_full_text``); the entry comes back with ``content`` = the article.

Foreign or unknown ids are 404. Retry and fetch-content cause outbound fetches: they share
the ``api_refresh`` throttle with "refresh now".
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from reader import fetching
from reader.api.base import ApiView, RefreshThrottle, WriteThrottle
from reader.api.entries import ENTRY_EXAMPLE, EntryOutputSerializer
from reader.api.errors import ApiError
from reader.api.feeds import FEED_EXAMPLE, FeedOutputSerializer
from reader.api.schema import error_response


class RetryOutputSerializer(serializers.Serializer):
    """The feed's state after a retry was scheduled (the refresh runs in the background)."""

    subscription_id = serializers.IntegerField()
    status = serializers.CharField(
        help_text="ok, failing (backing off), disabled (Tidings stopped it), disabled_by_admin."
    )
    feed = FeedOutputSerializer()


class FullTextInputSerializer(serializers.Serializer):
    """Turn automatic full-text extraction of new entries on or off."""

    enabled = serializers.BooleanField()


class FullTextOutputSerializer(serializers.Serializer):
    """The subscription's full-text choice."""

    subscription_id = serializers.IntegerField(source="pk")
    fetch_full_text = serializers.BooleanField()


class SubscriptionRetryView(ApiView):
    """Retry a failing or disabled feed now (one click for every subscriber)."""

    throttle_classes = [WriteThrottle, RefreshThrottle]

    @extend_schema(
        operation_id="subscriptions_retry",
        tags=["subscriptions"],
        summary="Retry the feed now (re-enables a feed Tidings disabled)",
        request=None,
        responses={
            200: RetryOutputSerializer,
            409: error_response(409, "An administrator disabled the feed."),
        },
        examples=[
            OpenApiExample(
                "Scheduled",
                value={"subscription_id": 12, "status": "ok", "feed": FEED_EXAMPLE},
                response_only=True,
            )
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        """The feed becomes due now and a refresh is queued; 404 for a foreign subscription."""
        try:
            sub = fetching.subscription_retry(user=request.user, subscription_id=pk)
        except fetching.FeedDisabledByAdmin as exc:
            raise ApiError(status_code=409, detail=exc.message, code=exc.code) from exc
        body = {
            "subscription_id": sub.pk,
            "status": fetching.feed_status(sub.feed),
            "feed": sub.feed,
        }
        return Response(RetryOutputSerializer(body, context={"request": request}).data)


class SubscriptionFullTextView(ApiView):
    """Choose whether new entries of this subscription get their full article extracted."""

    @extend_schema(
        operation_id="subscriptions_full_text",
        tags=["subscriptions"],
        summary="Extract full articles of new entries automatically (on/off)",
        request=FullTextInputSerializer,
        responses={200: FullTextOutputSerializer},
        examples=[OpenApiExample("On", value={"enabled": True}, request_only=True)],
    )
    def post(self, request: Request, pk: int) -> Response:
        """Set the choice; 404 for a foreign subscription."""
        data = self.body(FullTextInputSerializer, request.data)
        sub = fetching.subscription_set_full_text(
            user=request.user, subscription_id=pk, enabled=data["enabled"]
        )
        return Response(FullTextOutputSerializer(sub).data)


class EntryFetchContentView(ApiView):
    """Extract the full article of one entry now (stored once, for every reader)."""

    throttle_classes = [WriteThrottle, RefreshThrottle]

    @extend_schema(
        operation_id="entries_fetch_content",
        tags=["entries"],
        summary="Fetch and extract the full article of an entry",
        request=None,
        responses={200: EntryOutputSerializer},
        examples=[OpenApiExample("Entry", value=ENTRY_EXAMPLE, response_only=True)],
    )
    def post(self, request: Request, pk: int) -> Response:
        """``content`` is the extracted article when it worked; ``full_content_error`` says why
        not otherwise (the entry keeps its feed content). 404 for an entry the user cannot read.
        """
        entry = fetching.entry_fetch_full_text(user=request.user, entry_id=pk)
        return Response(EntryOutputSerializer(entry, context={"request": request}).data)
