"""/api/v1/entries/: the user's entries (filtered, cursor-paginated), one entry, read/star
marks, and batch marks.

Calls reader.selectors (entry_list, entry_get, subscription_get, category_get)
and reader.services (entries_set_read, entries_set_starred). Pagination is a
keyset cursor on (published_at, id) from ``entry_list``: stable while new
entries arrive (a page starts strictly after the previous page's last entry).
Content and summary are the sanitized HTML stored by the feed pipeline.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from feeds.media_proxy import media_url_for, proxy_html
from reader import selectors, services
from reader.api.base import ApiView, UtcDateTimeField, id_field
from reader.api.feeds import user_feed
from reader.selectors import MAX_PAGE_SIZE

MAX_BATCH_IDS = services.MAX_BATCH_IDS

ENTRY_EXAMPLE = {
    "id": 1042,
    "feed_id": 7,
    "subscription_id": 12,
    "category_id": 4,
    "subscription_title": "Example Blog",
    "title": "Hello, world",
    "display_title": "Hello, world",
    "url": "https://example.org/posts/hello",
    "author": "Ada",
    "summary": "<p>First post.</p>",
    "content": '<p>First post, <a href="https://example.org/" rel="noopener noreferrer '
    'nofollow" target="_blank">with a link</a>.</p>',
    "published_at": "2026-11-29T10:00:00Z",
    "updated_at": None,
    "created_at": "2026-11-29T10:00:05Z",
    "read": False,
    "starred": True,
    "starred_at": "2026-11-29T11:00:00Z",
    "enclosures": [
        {
            "url": "https://tidings.example/media/3q2-7wAAAAAAAAAAAAAAAAAA/aHR0cHM6Ly9leGFtcGxlLm9yZy9lcDEubXAz",
            "original_url": "https://example.org/ep1.mp3",
            "type": "audio/mpeg",
            "length": 1234,
            "duration": 1830,
        }
    ],
    "trackers_removed": 0,
    "tags": ["news"],
    "thumbnail_url": "",
    "full_content_fetched_at": None,
    "full_content_error": "",
    "also_in": [],
}


class EnclosureSerializer(serializers.Serializer):
    """A media attachment (podcast audio, video, image)."""

    url = serializers.CharField(
        help_text="Where to load it: through Tidings' media proxy unless MEDIA_PROXY is off."
    )
    original_url = serializers.CharField(help_text="The address the feed published.")
    type = serializers.CharField(allow_blank=True)
    length = serializers.IntegerField(allow_null=True, help_text="Bytes, when the feed says.")
    duration = serializers.IntegerField(
        allow_null=True, help_text="Seconds, when the feed says (itunes:duration, JSON Feed)."
    )


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def api_origin(context: dict) -> str:
    """``https://host`` of the API request in a serializer ``context`` ("" without one): media
    addresses in API answers are absolute, for apps."""
    request = context.get("request")
    return request.build_absolute_uri("/").rstrip("/") if request is not None else ""


@extend_schema_field(EnclosureSerializer(many=True))
class EnclosuresField(serializers.Field):
    """Enclosures normalized to ``{"url", "original_url", "type", "length", "duration"}``."""

    def to_representation(self, value: Any) -> list[dict[str, Any]]:
        """Keep well-formed items only; ``url`` through the media proxy."""
        out = []
        origin = api_origin(self.context)
        for item in value or []:
            if not isinstance(item, dict) or not item.get("url"):
                continue
            url = str(item["url"])
            out.append(
                {
                    "url": media_url_for(url, origin=origin),
                    "original_url": url,
                    "type": str(item.get("type") or ""),
                    "length": _int_or_none(item.get("length")),
                    "duration": _int_or_none(item.get("duration")),
                }
            )
        return out


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class TagsField(serializers.Field):
    """The entry's categories (tags) as strings."""

    def to_representation(self, value: Any) -> list[str]:
        """Strings only."""
        return [str(v) for v in (value or []) if isinstance(v, str | int | float)]


class EntrySourceSerializer(serializers.Serializer):
    """Another subscription carrying the same article."""

    entry_id = serializers.IntegerField()
    subscription_id = serializers.IntegerField()
    subscription_title = serializers.CharField()
    read = serializers.BooleanField(source="is_read")


class EntryOutputSerializer(serializers.Serializer):
    """An entry with the user's read/starred state. ``content`` is null in lists unless asked."""

    id = serializers.IntegerField()
    feed_id = serializers.IntegerField()
    subscription_id = serializers.IntegerField(
        allow_null=True, help_text="null for a starred entry of a feed no longer subscribed."
    )
    category_id = serializers.IntegerField(allow_null=True)
    subscription_title = serializers.CharField()
    title = serializers.CharField(
        allow_blank=True, help_text="Plain text, as the feed published it (may be empty)."
    )
    display_title = serializers.CharField(
        allow_blank=True,
        help_text="Plain text to show as the title: ``title``, else the first words of the "
        "entry's text (at most 80 characters, cut on a word boundary, ending with an ellipsis "
        "when cut); empty only when the entry has neither title nor text.",
    )
    url = serializers.CharField(allow_blank=True)
    author = serializers.CharField(allow_blank=True)
    summary = serializers.SerializerMethodField(
        help_text="Sanitized HTML, media addresses through Tidings' media proxy."
    )
    content = serializers.SerializerMethodField(
        help_text="Sanitized HTML, media addresses through Tidings' media proxy (null when "
        "not asked)."
    )
    published_at = UtcDateTimeField()
    updated_at = UtcDateTimeField(allow_null=True)
    created_at = UtcDateTimeField(help_text="When Tidings first saw it.")
    read = serializers.BooleanField(source="is_read")
    starred = serializers.BooleanField(source="is_starred")
    starred_at = UtcDateTimeField(allow_null=True)
    enclosures = EnclosuresField()
    tags = TagsField(source="categories")
    thumbnail_url = serializers.SerializerMethodField(
        help_text="An image for the entry, through the media proxy (empty when none)."
    )
    trackers_removed = serializers.IntegerField(
        default=0,
        help_text="Tracking pixels and tracking link parameters the sanitizer removed.",
    )
    # The extracted full article, when there is one, is the content.
    full_content_fetched_at = UtcDateTimeField(
        allow_null=True, help_text="When the full article was extracted (or last attempted)."
    )
    full_content_error = serializers.CharField(
        allow_blank=True, help_text="Why the last full-article extraction failed; empty if not."
    )
    # With merge_duplicates, the article's other sources (lists merge them).
    also_in = EntrySourceSerializer(
        source="duplicates",
        many=True,
        default=list,
        help_text="Other subscriptions carrying the same article, when the user merges "
        "duplicates across feeds (All/Unread lists); empty otherwise.",
    )

    def get_content(self, entry: Any) -> str | None:
        """The extracted full article, else the content (falling back to the summary), or
        None when the context omits it."""
        if not self.context.get("with_content", True):
            return None
        body = entry.full_content or entry.content or entry.summary
        return proxy_html(body, origin=api_origin(self.context))

    def get_summary(self, entry: Any) -> str:
        """The summary, media addresses through the media proxy."""
        return proxy_html(entry.summary, origin=api_origin(self.context))

    def get_thumbnail_url(self, entry: Any) -> str:
        """The thumbnail through the media proxy."""
        return media_url_for(entry.thumbnail_url, origin=api_origin(self.context))


extend_schema_field({"type": "string", "nullable": True})(EntryOutputSerializer.get_content)
extend_schema_field({"type": "string"})(EntryOutputSerializer.get_summary)
extend_schema_field({"type": "string"})(EntryOutputSerializer.get_thumbnail_url)


class EntryListQuerySerializer(serializers.Serializer):
    """Filters and paging of the entry list."""

    status = serializers.ChoiceField(
        choices=["all", "unread", "read", "starred"], default="all", required=False
    )
    subscription = id_field(required=False, help_text="Only this subscription.")
    feed = id_field(required=False, help_text="Only this feed (one the user subscribes to).")
    category = serializers.IntegerField(
        required=False, min_value=0, max_value=2**63 - 1, help_text="0: Uncategorized."
    )
    q = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text='Words, "a phrase", -word.'
    )
    published_before = UtcDateTimeField(required=False, help_text="Exclusive bound.")
    published_after = UtcDateTimeField(required=False, help_text="Inclusive bound.")
    sort = serializers.ChoiceField(
        choices=["newest", "oldest"], required=False, help_text="Default: the user's preference."
    )
    cursor = serializers.CharField(
        required=False, max_length=300, help_text="`next_cursor` of the previous page."
    )
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=50
    )
    with_content = serializers.BooleanField(
        required=False, default=False, help_text="Include `content` in the list."
    )


class EntryPageSerializer(serializers.Serializer):
    """One page of entries."""

    results = EntryOutputSerializer(many=True)
    next_cursor = serializers.CharField(allow_null=True, help_text="null on the last page.")
    next = serializers.CharField(allow_null=True, help_text="URL of the next page, or null.")


class EntryUpdateInputSerializer(serializers.Serializer):
    """Mark read/unread and/or starred/unstarred."""

    read = serializers.BooleanField(required=False)
    starred = serializers.BooleanField(required=False)

    def validate(self, attrs: dict) -> dict:
        """At least one of read, starred."""
        if not attrs:
            raise serializers.ValidationError(_("Give read and/or starred."))
        return attrs


class EntryBatchInputSerializer(EntryUpdateInputSerializer):
    """Up to 1,000 entry ids and the marks to apply to all of them."""

    ids = serializers.ListField(child=id_field(), min_length=1, max_length=MAX_BATCH_IDS)

    def validate(self, attrs: dict) -> dict:
        """At least one of read, starred besides the ids."""
        if "read" not in attrs and "starred" not in attrs:
            raise serializers.ValidationError(_("Give read and/or starred."))
        return attrs


class EntryBatchOutputSerializer(serializers.Serializer):
    """Ids the marks were applied to (ids the user cannot see are skipped silently)."""

    ids = serializers.ListField(child=serializers.IntegerField())


def _filters(user: Any, params: dict) -> dict:
    """Selector filters from validated query params; a foreign id filter is a 404."""
    subscription_id = params.get("subscription")
    if subscription_id is not None:
        selectors.subscription_get(user=user, subscription_id=subscription_id)
    if params.get("feed") is not None:
        feed = user_feed(user, params["feed"])
        sub = selectors.subscription_list(user=user).get(feed_id=feed.pk)
        if subscription_id is not None and subscription_id != sub.pk:
            return {**_base_filters(user, params), "subscription_id": -1}
        subscription_id = sub.pk
    category_id = params.get("category")
    if category_id:
        selectors.category_get(user=user, category_id=category_id)
    return {
        **_base_filters(user, params),
        "subscription_id": subscription_id,
        "category_id": category_id,
    }


def _base_filters(user: Any, params: dict) -> dict:
    return {
        "status": params["status"],
        "q": params.get("q", ""),
        "published_before": params.get("published_before"),
        "published_after": params.get("published_after"),
        "sort": params.get("sort") or _preferred_sort(user),
    }


def _preferred_sort(user: Any) -> str:
    """The user's sort preference ("newest" when unset or unknown)."""
    sort = getattr(user, "sort_order", "") or "newest"
    return sort if sort in ("newest", "oldest") else "newest"


class EntryListView(ApiView):
    """The user's entries, newest first by default, with filters."""

    references_ids = True

    query_serializer_class = EntryListQuerySerializer

    @extend_schema(
        operation_id="entries_list",
        tags=["entries"],
        summary="List entries (filters, cursor pagination)",
        parameters=[EntryListQuerySerializer],
        responses={200: EntryPageSerializer},
        examples=[
            OpenApiExample(
                "A page",
                value={
                    "results": [{**ENTRY_EXAMPLE, "content": None}],
                    "next_cursor": "MjAyNi0xMS0yOVQxMDowMDowMCswMDowMHwxMDQy",
                    "next": "https://reader.example.com/api/v1/entries/?status=unread&cursor=MjAy",
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        """A page of entries; follow ``next`` (same filters) until it is null."""
        params = self.query_params()
        page = selectors.entry_list(
            user=request.user,
            filters=_filters(request.user, params),
            cursor=params.get("cursor") or None,
            limit=params["limit"],
        )
        context = {"request": request, "with_content": params["with_content"]}
        results = EntryOutputSerializer(page.entries, many=True, context=context).data
        return Response(
            {
                "results": results,
                "next_cursor": page.next_cursor,
                "next": _next_url(request, page.next_cursor),
            }
        )


def _next_url(request: Request, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    query = request.query_params.copy()
    query["cursor"] = cursor
    return request.build_absolute_uri(request.path + "?" + urlencode(sorted(query.items())))


class EntryDetailView(ApiView):
    """One entry with its content; PATCH marks it."""

    @extend_schema(
        operation_id="entries_retrieve",
        tags=["entries"],
        summary="An entry with its sanitized content",
        responses={200: EntryOutputSerializer},
        examples=[OpenApiExample("Entry", value=ENTRY_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request, pk: int) -> Response:
        """404 unless the entry is in a feed the user subscribes to (or starred)."""
        entry = selectors.entry_get(user=request.user, entry_id=pk)
        return Response(EntryOutputSerializer(entry, context={"request": request}).data)

    @extend_schema(
        operation_id="entries_update",
        tags=["entries"],
        summary="Mark an entry read/unread or starred/unstarred",
        request=EntryUpdateInputSerializer,
        responses={200: EntryOutputSerializer},
        examples=[
            OpenApiExample(
                "Read and star", value={"read": True, "starred": True}, request_only=True
            ),
            OpenApiExample("Updated", value=ENTRY_EXAMPLE, response_only=True),
        ],
    )
    def patch(self, request: Request, pk: int) -> Response:
        """Apply the marks; 404 for an entry the user cannot see."""
        data = self.body(EntryUpdateInputSerializer, request.data)
        with transaction.atomic():
            selectors.entry_get(user=request.user, entry_id=pk)
            _apply(request.user, [pk], data)
        entry = selectors.entry_get(user=request.user, entry_id=pk)
        return Response(EntryOutputSerializer(entry, context={"request": request}).data)


def _apply(user: Any, ids: list[int], data: dict) -> list[int]:
    applied: list[int] = []
    if "read" in data:
        applied = services.entries_set_read(user=user, entry_ids=ids, read=data["read"])
    if "starred" in data:
        applied = services.entries_set_starred(user=user, entry_ids=ids, starred=data["starred"])
    return applied


class EntryBatchView(ApiView):
    """Mark many entries at once."""

    @extend_schema(
        operation_id="entries_batch",
        tags=["entries"],
        summary="Mark up to 1,000 entries read/unread and/or starred/unstarred",
        request=EntryBatchInputSerializer,
        responses={200: EntryBatchOutputSerializer},
        examples=[
            OpenApiExample(
                "Mark read", value={"ids": [1040, 1041, 1042], "read": True}, request_only=True
            ),
            OpenApiExample("Applied", value={"ids": [1040, 1042]}, response_only=True),
        ],
    )
    def post(self, request: Request) -> Response:
        """Ids of entries the user cannot see (other users', unknown) are skipped silently."""
        data = self.body(EntryBatchInputSerializer, request.data)
        ids = data.pop("ids")
        with transaction.atomic():
            applied = _apply(request.user, ids, data)
        return Response({"ids": sorted(applied)})
