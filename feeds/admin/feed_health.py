"""Feed health: the admin of feeds (figures annotated in one query, filters, actions)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.text import Truncator

from feeds import health
from feeds.admin.display import (
    ERROR_CHARS,
    TITLE_CHARS,
    duration_text,
    feed_icon,
    full_time,
    short_time,
    short_url,
)
from feeds.models import Feed

__all__ = ["FeedAdmin", "FeedStatusFilter", "FeedSubscribersFilter"]


class FeedStatusFilter(admin.SimpleListFilter):
    """Healthy, failing (consecutive errors) or disabled feeds."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("ok", "Healthy"), ("failing", "Failing"), ("disabled", "Disabled")]

    def queryset(self, request, queryset):
        if self.value() == "ok":
            return queryset.filter(disabled=False, error_count=0)
        if self.value() == "failing":
            return queryset.filter(disabled=False, error_count__gt=0)
        if self.value() == "disabled":
            return queryset.filter(disabled=True)
        return queryset


class FeedSubscribersFilter(admin.SimpleListFilter):
    """Feeds with subscribers, without any, or only in the directory."""

    title = "subscribers"
    parameter_name = "subscribers"

    def lookups(self, request, model_admin):
        return [
            ("subscribed", "With subscribers"),
            ("unsubscribed", "Unsubscribed"),
            ("orphan", "Unsubscribed and not in the directory"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "subscribed":
            return queryset.filter(subscriber_count__gt=0)
        if self.value() == "unsubscribed":
            return queryset.filter(subscriber_count=0)
        if self.value() == "orphan":
            return queryset.filter(subscriber_count=0, listed=False)
        return queryset


@admin.register(Feed)
class FeedAdmin(admin.ModelAdmin):
    """Feed health: every figure is an annotation (one query per page)."""

    # Compact columns (fits 1280 px with the admin's sidebar and filters): long texts are
    # truncated with the full text in a title attribute, dates are short.
    list_display = (
        "name",
        "subscribers",
        "fetches",
        "error",
        "entries",
        "entry_interval",
        "disabled",
    )
    list_display_links = ("name",)
    list_filter = (FeedStatusFilter, FeedSubscribersFilter, "last_error_kind")
    search_fields = ("url", "title", "site_url")
    ordering = ("-error_count", "next_fetch_at")
    actions = ["refresh_now", "reset_errors", "disable"]
    fields = (
        "url",
        "title",
        "site_url",
        "description",
        "language",
        "disabled",
        "disabled_reason",
        "fetch_interval",
        # Fetch options and identity policy the admin sets for a feed.
        "user_agent",
        "extra_headers",
        "ignore_cache_headers",
        "identity_policy",
        "auto_disabled",
        "websub_hub",
        "push_until",
        "next_fetch_at",
        "last_fetched_at",
        "last_success_at",
        "last_status",
        "error_count",
        "first_error_at",
        "last_error_kind",
        "last_error",
        "etag",
        "last_modified",
        "leased_until",
        "created_at",
    )
    readonly_fields = (
        "url",
        "title",
        "site_url",
        "description",
        "language",
        "last_fetched_at",
        "last_success_at",
        "last_status",
        "error_count",
        "first_error_at",
        "last_error_kind",
        "last_error",
        "etag",
        "last_modified",
        "leased_until",
        "created_at",
        "auto_disabled",
        "websub_hub",
        "push_until",
    )

    def get_queryset(self, request):
        return health.feed_health_queryset(super().get_queryset(request))

    def has_add_permission(self, request):
        # Feeds are created through feed_get_or_create (subscribe, directory validation).
        return False

    @admin.display(description="feed", ordering="title")
    def name(self, obj: Feed):
        title = obj.title or "(untitled)"
        return format_html(
            '{} <span title="{}">{}</span><br><small title="{}">{}</small>',
            feed_icon(obj.pk, obj.title or obj.url),
            title,
            Truncator(title).chars(TITLE_CHARS),
            obj.url,
            short_url(obj.url),
        )

    @admin.display(description="readers", ordering="subscriber_count")
    def subscribers(self, obj: Feed) -> int:
        return obj.subscriber_count

    @admin.display(description="last / next fetch", ordering="next_fetch_at")
    def fetches(self, obj: Feed):
        """The last fetch with its HTTP status, and the next one, on two short lines:
        "Nov 29, 18:28 · 200" / "→ Nov 29, 19:28" (full dates in title attributes)."""
        last = "-"
        if obj.last_fetched_at is not None:
            status = f" · {obj.last_status}" if obj.last_status else ""
            last = format_html(
                '<span title="{}">{}{}</span>',
                full_time(obj.last_fetched_at),
                short_time(obj.last_fetched_at),
                status,
            )
        following = "-"
        if obj.next_fetch_at is not None:
            following = format_html(
                '<span title="{}">{}</span>',
                full_time(obj.next_fetch_at),
                short_time(obj.next_fetch_at),
            )
        return format_html('<span class="nowrap">{}</span><br><small>→ {}</small>', last, following)

    @admin.display(description="errors", ordering="error_count")
    def error(self, obj: Feed):
        """Consecutive errors and the last one (or why the feed is disabled), truncated to
        ERROR_CHARS characters with the full text in a title attribute:
        "3 × timeout: The feed's…"."""
        text = obj.disabled_reason if obj.disabled and obj.disabled_reason else obj.last_error
        if not text and not obj.error_count:
            return "-"
        count = f"{obj.error_count} × " if obj.error_count else ""
        kind = f"{obj.last_error_kind}: " if obj.last_error_kind and obj.error_count else ""
        return format_html(
            '<span class="feed-error" title="{}">{}{}{}</span>',
            text,
            count,
            kind,
            Truncator(text).chars(ERROR_CHARS),
        )

    @admin.display(description="entries", ordering="entry_count")
    def entries(self, obj: Feed) -> int:
        return obj.entry_count

    @admin.display(description="mean interval")
    def entry_interval(self, obj: Feed) -> str:
        return duration_text(health.average_entry_interval(obj))

    @admin.action(description="Refresh now (queue a fetch)")
    def refresh_now(self, request: HttpRequest, queryset: QuerySet[Feed]) -> None:
        count = health.feeds_refresh_enqueue(feed_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} feeds queued for a refresh.", messages.SUCCESS)

    @admin.action(description="Reset errors and re-enable")
    def reset_errors(self, request: HttpRequest, queryset: QuerySet[Feed]) -> None:
        count = health.feeds_reset_errors(feed_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} feeds reset and re-enabled.", messages.SUCCESS)

    @admin.action(description="Disable (stop fetching)")
    def disable(self, request: HttpRequest, queryset: QuerySet[Feed]) -> None:
        by = request.user.get_username()
        count = health.feeds_disable(
            feed_ids=queryset.values_list("pk", flat=True), reason=f"Disabled by {by}"
        )
        self.message_user(request, f"{count} feeds disabled.", messages.SUCCESS)
