"""/api/v1/categories/: the user's folders (list with unread counts, create, rename, move,
delete, reorder).

Calls reader.selectors (category_list, category_get, unread_counts) and
reader.services (category_create, category_rename, category_update_position,
category_delete). Deleting a category moves its subscriptions to Uncategorized.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from reader import selectors, services
from reader.api.base import ApiView, UtcDateTimeField, id_field
from reader.api.schema import error_response

_EXISTS = error_response(
    409,
    "A category with this title exists (code `category_exists`; `category_id` names it).",
    {
        "detail": "You already have a category named 'Security'.",
        "code": "category_exists",
        "errors": {"title": ["You already have a category named 'Security'."]},
        "category_id": 4,
    },
)

_EXAMPLE = {
    "id": 4,
    "title": "Security",
    "position": 1,
    "unread_count": 12,
    "created_at": "2026-11-29T17:31:34Z",
}


class CategoryOutputSerializer(serializers.Serializer):
    """A category with the number of unread entries in its subscriptions."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    position = serializers.IntegerField(help_text="Lists are ordered by position, then title.")
    unread_count = serializers.IntegerField()
    created_at = UtcDateTimeField()


class CategoryCreateInputSerializer(serializers.Serializer):
    """A new category: title (unique per user, whitespace collapsed), optional position."""

    title = serializers.CharField(max_length=255)
    position = serializers.IntegerField(
        required=False, min_value=-(2**31), max_value=2**31 - 1, help_text="Default: last."
    )


class CategoryUpdateInputSerializer(serializers.Serializer):
    """Rename and/or move a category; give at least one field."""

    title = serializers.CharField(max_length=255, required=False)
    position = serializers.IntegerField(required=False, min_value=-(2**31), max_value=2**31 - 1)

    def validate(self, attrs: dict) -> dict:
        """Refuse an empty change."""
        if not attrs:
            raise serializers.ValidationError(_("Give a title or a position."))
        return attrs


class CategoryOrderInputSerializer(serializers.Serializer):
    """The user's category ids in the wanted order (positions become 1, 2, 3...)."""

    ids = serializers.ListField(child=id_field(), min_length=1, max_length=1000)


def _out(categories, counts: dict) -> list[dict]:
    by_cat = counts["categories"]
    return CategoryOutputSerializer(
        [_with_count(c, by_cat.get(c.pk, 0)) for c in categories], many=True
    ).data


def _with_count(category, n: int):
    category.unread_count = n
    return category


class CategoryListView(ApiView):
    """List and create categories."""

    @extend_schema(
        operation_id="categories_list",
        tags=["categories"],
        summary="List categories with unread counts",
        responses={200: CategoryOutputSerializer(many=True)},
        examples=[OpenApiExample("Categories", value=_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request) -> Response:
        """The user's categories in order (Uncategorized is implicit: category id null)."""
        counts = selectors.unread_counts(user=request.user)
        return Response(_out(selectors.category_list(user=request.user), counts))

    @extend_schema(
        operation_id="categories_create",
        tags=["categories"],
        summary="Create a category",
        request=CategoryCreateInputSerializer,
        responses={201: CategoryOutputSerializer, 409: _EXISTS},
        examples=[
            OpenApiExample("New", value={"title": "Security"}, request_only=True),
            OpenApiExample("Created", value=_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
    )
    def post(self, request: Request) -> Response:
        """Create; 409 (code ``category_exists``, ``category_id``) when the title is taken."""
        data = self.body(CategoryCreateInputSerializer, request.data)
        category = services.category_create(user=request.user, **data)
        body = CategoryOutputSerializer(_with_count(category, 0)).data
        return Response(body, status=status.HTTP_201_CREATED)


class CategoryDetailView(ApiView):
    """Retrieve, rename/move and delete one category."""

    def _get(self, request: Request, pk: int):
        category = selectors.category_get(user=request.user, category_id=pk)
        counts = selectors.unread_counts(user=request.user)["categories"]
        return _with_count(category, counts.get(category.pk, 0))

    @extend_schema(
        operation_id="categories_retrieve",
        tags=["categories"],
        summary="A category",
        responses={200: CategoryOutputSerializer},
        examples=[OpenApiExample("Category", value=_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request, pk: int) -> Response:
        """One category; 404 when unknown or another user's."""
        return Response(CategoryOutputSerializer(self._get(request, pk)).data)

    @extend_schema(
        operation_id="categories_update",
        tags=["categories"],
        summary="Rename or move a category",
        request=CategoryUpdateInputSerializer,
        responses={200: CategoryOutputSerializer, 409: _EXISTS},
        examples=[
            OpenApiExample("Rename", value={"title": "Infosec"}, request_only=True),
            OpenApiExample("Updated", value=_EXAMPLE, response_only=True),
        ],
    )
    def patch(self, request: Request, pk: int) -> Response:
        """Rename (409 if the title is taken) and/or change the position."""
        data = self.body(CategoryUpdateInputSerializer, request.data)
        with transaction.atomic():
            selectors.category_get(user=request.user, category_id=pk)
            if "title" in data:
                services.category_rename(user=request.user, category_id=pk, title=data["title"])
            if "position" in data:
                services.category_update_position(
                    user=request.user, category_id=pk, position=data["position"]
                )
        return Response(CategoryOutputSerializer(self._get(request, pk)).data)

    @extend_schema(
        operation_id="categories_destroy",
        tags=["categories"],
        summary="Delete a category (its subscriptions become uncategorized)",
        responses={204: None},
    )
    def delete(self, request: Request, pk: int) -> Response:
        """Delete; subscriptions are kept, moved to Uncategorized."""
        services.category_delete(user=request.user, category_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CategoryOrderView(ApiView):
    """Reorder all categories at once."""

    references_ids = True

    @extend_schema(
        operation_id="categories_order",
        tags=["categories"],
        summary="Reorder categories",
        request=CategoryOrderInputSerializer,
        responses={200: CategoryOutputSerializer(many=True)},
        examples=[OpenApiExample("Order", value={"ids": [4, 2, 7]}, request_only=True)],
    )
    def post(self, request: Request) -> Response:
        """Set positions 1..n in the order of ``ids``; 404 if any id is not the user's."""
        ids = self.body(CategoryOrderInputSerializer, request.data)["ids"]
        with transaction.atomic():
            for position, category_id in enumerate(dict.fromkeys(ids), start=1):
                services.category_update_position(
                    user=request.user, category_id=category_id, position=position
                )
        counts = selectors.unread_counts(user=request.user)
        return Response(_out(selectors.category_list(user=request.user), counts))
