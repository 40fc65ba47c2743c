"""Admin of the WebSub subscriptions (read-only)."""

from __future__ import annotations

from django.contrib import admin

from feeds.models import WebSubSubscription

__all__ = ["WebSubSubscriptionAdmin"]


@admin.register(WebSubSubscription)
class WebSubSubscriptionAdmin(admin.ModelAdmin):
    """WebSub subscriptions: which feeds a hub pushes, and their leases.

    Read-only: rows are written by feeds.websub (subscribe, verification, renewal).
    """

    list_display = ("topic", "hub", "state", "lease_expires_at", "last_push_at", "last_error")
    list_filter = ("state",)
    search_fields = ("topic", "hub")
    readonly_fields = (
        "feed",
        "hub",
        "topic",
        "state",
        "lease_seconds",
        "lease_expires_at",
        "requested_at",
        "verified_at",
        "last_push_at",
        "last_error",
        "created_at",
    )
    exclude = ("secret", "token")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
