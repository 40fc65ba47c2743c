"""Admin site: users (with preferences), the sign-up mode, invitations, API tokens."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.forms import RateLimitedAdminAuthenticationForm
from accounts.models import ApiToken, Invitation, SiteSettings, User

# The admin's sign-in page gets the same brute-force limits as /accounts/login/.
admin.site.login_form = RateLimitedAdminAuthenticationForm


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's user admin plus the reading preferences."""

    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (
            _("Preferences"),
            {
                "classes": ("collapse",),
                "fields": (
                    "language",
                    "timezone",
                    "theme",
                    "entries_per_page",
                    "sort_order",
                    "mark_read_on_open",
                    "show_unread_only",
                    "remote_images",
                    "mark_read_when_played",
                ),
            },
        ),
    )
    list_display = ("username", "email", "is_staff", "is_active", "date_joined", "last_login")


@admin.register(SiteSettings)
class SiteSettingsAdmin(admin.ModelAdmin):
    """One row: the changelist goes straight to its form; it can be neither added nor deleted."""

    list_display = ("__str__", "signup_mode")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context=None):
        obj = SiteSettings.load()
        return HttpResponseRedirect(reverse("admin:accounts_sitesettings_change", args=[obj.pk]))


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Create an invitation (optionally for an email) and copy its link to the invitee."""

    list_display = ("__str__", "created_at", "expires_at", "status", "used_by")
    readonly_fields = ("link", "created_by", "created_at", "used_at", "used_by")
    fields = ("email", "note", "expires_at", *readonly_fields)
    list_select_related = ("used_by",)

    @admin.display(description=_("link"))
    def link(self, obj: Invitation) -> str:
        if not obj.pk:
            return str(_("Save to get the link."))
        return format_html("<code>{}</code>", obj.url)

    @admin.display(description=_("status"))
    def status(self, obj: Invitation) -> str:
        if obj.used_at:
            return str(_("used"))
        return str(_("usable")) if obj.is_usable() else str(_("expired"))

    def save_model(self, request: HttpRequest, obj: Invitation, form, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created by their users; the admin can see and revoke (delete) them."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at")
    list_select_related = ("user",)
    search_fields = ("name", "user__username")
    readonly_fields = ("user", "name", "prefix", "created_at", "last_used_at")
    exclude = ("token_hash",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
