"""Admin of the fetch log (read-only)."""

from __future__ import annotations

from django.contrib import admin

from feeds.models import FetchLog

__all__ = ["FetchLogAdmin"]


@admin.register(FetchLog)
class FetchLogAdmin(admin.ModelAdmin):
    """The fetches of the last day (older ones are folded into totals for /metrics)."""

    list_display = ("at", "feed_id", "outcome", "status", "duration", "bytes", "new", "updated")
    list_filter = ("outcome",)
    search_fields = ("=feed_id", "error")
    date_hierarchy = "at"
    ordering = ("-at",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
