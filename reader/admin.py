"""Admin site additions of the reading app: users' reading activity, subscriptions.

The user admin belongs to accounts (accounts/admin.py); this module extends the
class registered there rather than replacing it: it adds subscription counts,
last activity and the activate/deactivate actions, and re-registers the
subclass (``reader`` comes after ``accounts`` in INSTALLED_APPS, so accounts'
admin is loaded first).
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    DateTimeField,
    IntegerField,
    Max,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Greatest
from django.http import HttpRequest

from accounts.models import ApiToken
from reader.models import Category, EntryState, Subscription

User = get_user_model()
#: Stands in for "never" inside GREATEST (SQLite's MAX() is NULL when any argument is).
_NEVER = datetime(1970, 1, 1, tzinfo=UTC)


def _latest(model, field: str) -> Coalesce:
    """Per user: the latest ``field`` of ``model`` rows (``_NEVER`` when none)."""
    latest = (
        model.objects.filter(user=OuterRef("pk"))
        .order_by()
        .values("user")
        .annotate(value=Max(field))
        .values("value")
    )
    return Coalesce(Subquery(latest, output_field=DateTimeField()), Value(_NEVER))


def users_with_activity(queryset: QuerySet) -> QuerySet:
    """Users annotated with ``subscription_count`` (int) and ``last_activity`` (datetime).

    Last activity is the latest of: last sign-in, last change to an entry state
    (read, unread, star), last API token use; ``_NEVER`` when none. Correlated
    subqueries, so a page of users costs one query.
    """
    subscriptions = (
        Subscription.objects.filter(user=OuterRef("pk"))
        .order_by()
        .values("user")
        .annotate(value=Count("id"))
        .values("value")
    )
    parts = [
        Coalesce("last_login", Value(_NEVER)),
        _latest(EntryState, "updated_at"),
        _latest(ApiToken, "last_used_at"),
    ]
    return queryset.annotate(
        subscription_count=Coalesce(Subquery(subscriptions, output_field=IntegerField()), Value(0)),
        last_activity=Greatest(*parts, output_field=DateTimeField()),
    )


_BaseUserAdmin = (
    type(admin.site._registry[User]) if User in admin.site._registry else admin.ModelAdmin
)


class UserActivityAdmin(_BaseUserAdmin):
    """accounts' user admin plus subscription counts, last activity and (de)activation."""

    list_display = (*_BaseUserAdmin.list_display, "subscriptions", "activity")
    actions = [*(_BaseUserAdmin.actions or []), "deactivate_users", "activate_users"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return users_with_activity(super().get_queryset(request))

    @admin.display(description="subscriptions", ordering="subscription_count")
    def subscriptions(self, obj) -> int:
        return obj.subscription_count

    @admin.display(description="last activity", ordering="last_activity")
    def activity(self, obj):
        return None if obj.last_activity == _NEVER else obj.last_activity

    @admin.action(description="Deactivate (cannot sign in or use the APIs)")
    def deactivate_users(self, request: HttpRequest, queryset: QuerySet) -> None:
        targets = queryset.exclude(pk=request.user.pk)
        skipped = queryset.count() - targets.count()
        count = targets.update(is_active=False)
        self.message_user(request, f"{count} users deactivated.", messages.SUCCESS)
        if skipped:
            self.message_user(request, "You cannot deactivate yourself.", messages.WARNING)

    @admin.action(description="Activate")
    def activate_users(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = queryset.update(is_active=True)
        self.message_user(request, f"{count} users activated.", messages.SUCCESS)


if User in admin.site._registry:
    admin.site.unregister(User)
admin.site.register(User, UserActivityAdmin)


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    """Who follows which feed (read-only: users manage their own subscriptions)."""

    list_display = ("user", "feed", "title", "category", "created_at")
    list_select_related = ("user", "feed", "category")
    search_fields = ("user__username", "feed__url", "feed__title", "title")
    raw_id_fields = ("user", "feed", "category")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """Users' folders (read-only)."""

    list_display = ("title", "user", "position")
    list_select_related = ("user",)
    search_fields = ("title", "user__username")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
