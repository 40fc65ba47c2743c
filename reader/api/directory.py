"""/api/v1/directory/: the admin-curated directory of recommended sources.

List by category (``reader.directory_selectors.directory_sections``, with the
viewer's subscription to each source), subscribe to a source
(``reader.services.subscription_create`` with its feed URL) and unsubscribe
(``reader.services.subscription_delete``). Inactive or unknown sources are 404
(``feeds.public.public_source_get``).
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from feeds.public import public_source_get
from reader import directory_selectors, selectors, services
from reader.api.base import ApiView, id_field
from reader.api.errors import NOT_FOUND_DETAIL
from reader.api.schema import error_response
from reader.api.subscriptions import (
    CREATE_400,
    SUBSCRIPTION_EXAMPLE,
    SubscriptionOutputSerializer,
    with_counts,
)
from reader.errors import NotFound, SubscriptionExists

SOURCE_EXAMPLE = {
    "id": 31,
    "title": "Example Security Blog",
    "description": "Weekly vulnerability round-ups.",
    "site_url": "https://security.example.org/",
    "feed_url": "https://security.example.org/feed.xml",
    "language": "en",
    "featured": True,
    "subscribers": 120,
    "subscription_id": None,
    "icon_url": "https://reader.example.com/icons/7/",
}


class SourceOutputSerializer(serializers.Serializer):
    """A recommended source, with the viewer's subscription to it (or null)."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    site_url = serializers.CharField(allow_blank=True)
    feed_url = serializers.CharField()
    language = serializers.CharField(allow_blank=True)
    featured = serializers.BooleanField()
    subscribers = serializers.IntegerField(help_text="Tidings users following it.")
    subscription_id = serializers.IntegerField(allow_null=True)
    icon_url = serializers.SerializerMethodField()

    def get_icon_url(self, source: Any) -> str | None:
        """Icon of the source's feed once linked; null before."""
        if not source.feed_id:
            return None
        path = reverse("feed_icon", args=[source.feed_id])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


extend_schema_field({"type": "string", "format": "uri", "nullable": True})(
    SourceOutputSerializer.get_icon_url
)


class DirectoryCategorySerializer(serializers.Serializer):
    """A directory section; ``id`` and ``slug`` are null for uncategorized sources."""

    id = serializers.IntegerField(allow_null=True)
    slug = serializers.CharField(allow_null=True)
    name = serializers.CharField(help_text="In the user's language when translated.")
    sources = SourceOutputSerializer(many=True)


class DirectoryOutputSerializer(serializers.Serializer):
    """The directory, by category, in the admin's order."""

    categories = DirectoryCategorySerializer(many=True)


class DirectoryQuerySerializer(serializers.Serializer):
    """Search and narrowing of the directory."""

    q = serializers.CharField(required=False, allow_blank=True, max_length=200)
    category = serializers.CharField(required=False, max_length=64, help_text="Category slug.")
    featured = serializers.BooleanField(required=False, default=False)


class DirectorySubscribeInputSerializer(serializers.Serializer):
    """Optional category for the new subscription."""

    category_id = id_field(required=False, allow_null=True)


class DirectoryView(ApiView):
    """List the directory."""

    query_serializer_class = DirectoryQuerySerializer

    @extend_schema(
        operation_id="directory_list",
        tags=["directory"],
        summary="Recommended sources by category",
        parameters=[DirectoryQuerySerializer],
        responses={200: DirectoryOutputSerializer},
        examples=[
            OpenApiExample(
                "Directory",
                value={
                    "categories": [
                        {
                            "id": 2,
                            "slug": "security",
                            "name": "Security",
                            "sources": [SOURCE_EXAMPLE],
                        }
                    ]
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        """Active sources grouped by category, with ``subscription_id`` for the viewer."""
        params = self.query_params()
        sections = directory_selectors.directory_sections(
            user=request.user, query=params.get("q", ""), featured_only=params["featured"]
        )
        slug = params.get("category")
        categories = [
            {
                "id": s.category.pk if s.category else None,
                "slug": s.category.slug if s.category else None,
                "name": s.name,
                "sources": s.sources,
            }
            for s in sections
            if not slug or (s.category and s.category.slug == slug)
        ]
        body = DirectoryOutputSerializer({"categories": categories}, context={"request": request})
        return Response(body.data)


def _viewer_subscription_id(user: Any, source_id: int) -> int | None:
    for source in directory_selectors.directory_sources(user=user):
        if source.pk == source_id:
            return source.subscription_id
    return None


class DirectorySubscribeView(ApiView):
    """Subscribe to or unsubscribe from a directory source."""

    @extend_schema(
        operation_id="directory_subscribe",
        tags=["directory"],
        summary="Subscribe to a directory source",
        request=DirectorySubscribeInputSerializer,
        responses={
            200: OpenApiResponse(
                SubscriptionOutputSerializer, "Already subscribed: the existing one."
            ),
            201: OpenApiResponse(SubscriptionOutputSerializer, "Subscribed."),
            400: CREATE_400,
        },
        examples=[
            OpenApiExample(
                "Subscribed", value=SUBSCRIPTION_EXAMPLE, response_only=True, status_codes=["201"]
            )
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        """Idempotent: an existing subscription to the source's feed is returned with 200."""
        data = self.body(DirectorySubscribeInputSerializer, request.data or {})
        source = public_source_get(source_id=pk)
        code = status.HTTP_201_CREATED
        try:
            sub = services.subscription_create(
                user=request.user, url=source.feed_url, category=data.get("category_id")
            )
        except SubscriptionExists as exc:
            sub, code = exc.subscription, status.HTTP_200_OK
        sub = selectors.subscription_get(user=request.user, subscription_id=sub.pk)
        counts = selectors.unread_counts(user=request.user)["subscriptions"]
        body = SubscriptionOutputSerializer(
            with_counts([sub], counts)[0], context={"request": request}
        )
        return Response(body.data, status=code)

    @extend_schema(
        operation_id="directory_unsubscribe",
        tags=["directory"],
        summary="Unsubscribe from a directory source",
        responses={204: None, 404: error_response(404, "Unknown source, or not subscribed to it.")},
    )
    def delete(self, request: Request, pk: int) -> Response:
        """404 when the source is unknown or the user does not follow it."""
        public_source_get(source_id=pk)
        subscription_id = _viewer_subscription_id(request.user, pk)
        if subscription_id is None:
            raise NotFound(NOT_FOUND_DETAIL)
        services.subscription_delete(user=request.user, subscription_id=subscription_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
