"""/api/v1/mark-all-read/ and /api/v1/unread-counts/ (ETag, 304, fetch states).

Mark-all-read (case P25) marks only what existed when the client looked: the
client sends the bound it loaded, ``before`` (time) and/or ``max_entry_id``;
without either, the bound is the time of the request, so entries fetched after
the request are never marked. Calls ``reader.services.mark_all_read`` and
``reader.selectors.unread_counts``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from reader import fetching, selectors, services
from reader.api.base import ApiView, UtcDateTimeField, id_field


class MarkAllReadInputSerializer(serializers.Serializer):
    """Scope (one subscription, one category, or everything) and the upper bound."""

    subscription_id = id_field(required=False, allow_null=True, help_text="Only this one.")
    category_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=2**63 - 1,
        help_text="Only this category (0: Uncategorized).",
    )
    before = UtcDateTimeField(
        required=False,
        allow_null=True,
        help_text="Mark entries first seen at or before this time (default: the request time).",
    )
    max_entry_id = id_field(
        required=False, allow_null=True, help_text="Highest entry id the client has seen."
    )

    def validate(self, attrs: dict) -> dict:
        """Subscription and category exclude each other."""
        if attrs.get("subscription_id") is not None and attrs.get("category_id") is not None:
            raise serializers.ValidationError(_("Give subscription_id or category_id, not both."))
        return attrs


class MarkAllReadOutputSerializer(serializers.Serializer):
    """What was marked."""

    subscriptions_marked = serializers.IntegerField(
        help_text="Subscriptions whose read watermark moved."
    )
    before = UtcDateTimeField(allow_null=True, help_text="The time bound applied.")
    max_entry_id = serializers.IntegerField(allow_null=True, help_text="The id bound applied.")


class MarkAllReadView(ApiView):
    """Mark everything read in a scope, up to a bound."""

    references_ids = True

    @extend_schema(
        operation_id="mark_all_read",
        tags=["entries"],
        summary="Mark all read (subscription, category or everything), bounded",
        request=MarkAllReadInputSerializer,
        responses={200: MarkAllReadOutputSerializer},
        examples=[
            OpenApiExample(
                "A subscription, up to what the client loaded",
                value={"subscription_id": 12, "before": "2026-11-29T10:01:00Z"},
                request_only=True,
            ),
            OpenApiExample("Everything, now", value={}, request_only=True),
            OpenApiExample(
                "Done",
                value={
                    "subscriptions_marked": 1,
                    "before": "2026-11-29T10:01:00Z",
                    "max_entry_id": None,
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        """404 for a foreign or unknown subscription/category (nothing changes)."""
        requested_at = timezone.now()
        data = self.body(MarkAllReadInputSerializer, request.data or {})
        before = data.get("before")
        max_entry_id = data.get("max_entry_id")
        if before is None and max_entry_id is None:
            before = requested_at
        moved = services.mark_all_read(
            user=request.user,
            subscription_id=data.get("subscription_id"),
            category_id=data.get("category_id"),
            before=before,
            max_entry_id=max_entry_id,
        )
        body = {"subscriptions_marked": moved, "before": before, "max_entry_id": max_entry_id}
        return Response(MarkAllReadOutputSerializer(body).data)


class CountSerializer(serializers.Serializer):
    """Unread entries of one subscription or category."""

    id = serializers.IntegerField(allow_null=True, help_text="null: Uncategorized.")
    unread = serializers.IntegerField()


class FetchStateSerializer(serializers.Serializer):
    """Where the fetching of one watched subscription's feed stands."""

    id = serializers.IntegerField(help_text="The subscription.")
    status = serializers.CharField(
        help_text="ok, failing (backing off), disabled (Tidings stopped it), disabled_by_admin."
    )
    last_fetched_at = UtcDateTimeField(
        allow_null=True,
        help_text="End of the last fetch attempt; null: never fetched (first fetch queued).",
    )
    last_error = serializers.CharField(allow_blank=True, help_text="Empty when it worked.")


class UnreadCountsSerializer(serializers.Serializer):
    """Unread counts of everything, per subscription and per category; starred total."""

    total = serializers.IntegerField()
    starred = serializers.IntegerField()
    subscriptions = CountSerializer(many=True)
    categories = CountSerializer(many=True)
    fetches = FetchStateSerializer(
        many=True,
        required=False,
        help_text="Only with ?watch=: the fetch state of those subscriptions.",
    )


class UnreadCountsQuery(serializers.Serializer):
    """``watch``: comma-separated ids of subscriptions whose fetch the client waits for."""

    watch = serializers.RegexField(
        r"^\d{1,18}(,\d{1,18}){0,19}$",
        required=False,
        help_text="Up to 20 subscription ids, comma-separated: adds their fetch state.",
    )


def counts_etag(body: dict) -> str:
    """A strong ETag (quoted) of an unread-counts body: a hash of its canonical JSON."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return '"' + hashlib.blake2b(text.encode(), digest_size=12).hexdigest() + '"'


class UnreadCountsView(ApiView):
    """Unread counts in one query, cheap to poll: ETag and 304 Not Modified.

    The web UI polls it about once a minute while a tab is visible (faster while a fetch
    the user started runs, with ``?watch=``); ``If-None-Match`` with the last ETag gets
    an empty 304 when nothing changed.
    """

    query_serializer_class = UnreadCountsQuery

    @extend_schema(
        operation_id="unread_counts",
        tags=["entries"],
        summary="Unread counts (ETag: send If-None-Match to get 304 when unchanged)",
        parameters=[UnreadCountsQuery],
        responses={200: UnreadCountsSerializer, 304: None},
        examples=[
            OpenApiExample(
                "Counts",
                value={
                    "total": 7,
                    "starred": 2,
                    "subscriptions": [{"id": 12, "unread": 5}, {"id": 13, "unread": 2}],
                    "categories": [{"id": 4, "unread": 5}, {"id": None, "unread": 2}],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        """Every subscription and category appears, with 0 when all is read."""
        query = self.query_params()
        counts = selectors.unread_counts(user=request.user)
        # Built directly (UnreadCountsSerializer's shape, documented by it): serializing
        # 2,000 small dicts field by field cost more than the counting query for a user
        # with 1,000 subscriptions (bench/reading.py).
        data: dict[str, Any] = {
            "total": int(counts["total"]),
            "starred": int(counts["starred"]),
            "subscriptions": [
                {"id": int(k), "unread": int(v)} for k, v in counts["subscriptions"].items()
            ],
            "categories": [
                {"id": None if k is None else int(k), "unread": int(v)}
                for k, v in counts["categories"].items()
            ],
        }
        if query.get("watch"):
            ids = [int(part) for part in query["watch"].split(",")]
            states = fetching.subscription_fetch_states(user=request.user, subscription_ids=ids)
            data["fetches"] = FetchStateSerializer(states, many=True).data
        etag = counts_etag(data)
        headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
        if get_conditional_response(request, etag=etag) is not None:
            return Response(status=304, headers=headers)
        return Response(data, headers=headers)
