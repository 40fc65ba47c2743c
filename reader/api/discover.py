"""/api/v1/discover/: the feeds offered at a URL, without subscribing.

Rate limited per user like "refresh now" (it fetches the page): scope ``api_refresh``.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from reader.api.base import ApiView, RefreshThrottle, WriteThrottle
from reader.api.errors import candidate_dict
from reader.api.schema import error_response
from reader.services import feeds_discover


class DiscoverInputSerializer(serializers.Serializer):
    """A feed or site URL (``https://`` is assumed when the scheme is missing)."""

    url = serializers.CharField(max_length=2048)


class CandidateSerializer(serializers.Serializer):
    """A feed found at the URL."""

    url = serializers.CharField()
    title = serializers.CharField(allow_blank=True)
    type = serializers.CharField(allow_blank=True, help_text="rss, atom, json, ...")


class DiscoverOutputSerializer(serializers.Serializer):
    """The candidates, in the page's order (subscribe with POST /api/v1/subscriptions/)."""

    candidates = CandidateSerializer(many=True)


class DiscoverView(ApiView):
    """Discover feeds at a URL."""

    throttle_classes = [WriteThrottle, RefreshThrottle]

    @extend_schema(
        operation_id="discover",
        tags=["subscriptions"],
        summary="Find the feeds at a URL",
        request=DiscoverInputSerializer,
        responses={
            200: DiscoverOutputSerializer,
            400: error_response(
                400,
                "Invalid or refused URL (`invalid_url`), unreachable (`feed_unreachable`), "
                "or no feed there (`feed_not_found`).",
            ),
        },
        examples=[
            OpenApiExample("A site", value={"url": "example.org"}, request_only=True),
            OpenApiExample(
                "Found",
                value={
                    "candidates": [
                        {"url": "https://example.org/feed.xml", "title": "Posts", "type": "rss"}
                    ]
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        """Fetch the URL and list the feeds it is or links to."""
        url = self.body(DiscoverInputSerializer, request.data)["url"]
        candidates = [candidate_dict(c) for c in feeds_discover(url=url)]
        return Response(DiscoverOutputSerializer({"candidates": candidates}).data)
