"""Admin site for the feeds app: the directory of recommended sources and feed health.

- Directory categories and sources: edits are remembered per field so that
  ``load_directory`` never overwrites them; actions validate (a synchronous
  refresh through the pipeline), activate, deactivate and export as OPML;
  positions are editable in the list; the changelist imports and exports OPML.
- Feeds ("feed health"): subscribers, last fetch and status, errors, next fetch,
  entries stored and mean interval between entries, all annotated in one query;
  filters for failing, disabled and unsubscribed feeds; actions refresh now,
  reset errors and re-enable, disable; and a summary page (``summary/``).
- Fetch log: the recent fetches, read-only.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.timezone import localtime

from feeds import directory, health
from feeds.models import Feed, FetchLog, Source, SourceCategory, WebSubSubscription

#: At most this many sources are validated by one click (each is a real fetch, in the request),
#: and no new one starts after VALIDATE_BUDGET seconds (gunicorn kills a worker after 30 s).
VALIDATE_MAX = 10
VALIDATE_BUDGET = 15.0


def _icon(feed_id: int | None, name: str):
    """An <img> of the feed's icon (the public icon view), or a letter when not linked yet."""
    if feed_id:
        try:
            return format_html(
                '<img src="{}" alt="" width="16" height="16" loading="lazy">',
                reverse("feed_icon", args=[feed_id]),
            )
        except NoReverseMatch:
            pass
    return (name or "?")[:1].upper()


#: Characters of a feed's title, URL and last error shown in the feed health list (the full
#: text is in the cell's title attribute).
TITLE_CHARS = 40
URL_CHARS = 28
ERROR_CHARS = 40


def _short_url(url: str) -> str:
    """The URL without its scheme, truncated to URL_CHARS: "example.org/feeds/…"."""
    bare = url.split("://", 1)[-1]
    return Truncator(bare).chars(URL_CHARS)


def _short_time(value: datetime) -> str:
    """A short local date and time: "Nov 29, 18:28"."""
    return date_format(localtime(value), "M j, H:i")


def _full_time(value: datetime) -> str:
    """The full local date and time, for a title attribute."""
    return date_format(localtime(value), "DATETIME_FORMAT")


def _duration(delta: timedelta | None) -> str:
    """A short human duration: 45 min, 6.0 h, 3.5 d."""
    if delta is None:
        return "-"
    seconds = delta.total_seconds()
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


# --- Directory ---------------------------------------------------------------------


class EditTrackingAdmin(admin.ModelAdmin):
    """Remembers which fields the admin changed (``edited_fields``) and which bundled rows
    they deleted, so that ``load_directory`` leaves both alone."""

    def save_model(self, request, obj, form, change):
        """Mark the form's changed fields as admin edits, then save."""
        if change:
            directory.mark_edited(obj, form.changed_data)
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        """Remember a deleted bundled row, then delete it."""
        directory.directory_remember_removal(objs=[obj])
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        """Remember the deleted bundled rows, then delete them."""
        directory.directory_remember_removal(objs=list(queryset))
        super().delete_queryset(request, queryset)


@admin.register(SourceCategory)
class SourceCategoryAdmin(EditTrackingAdmin):
    """Directory categories, ordered by position (editable in the list)."""

    list_display = ("name_en", "name_zh_hans", "slug", "position", "source_count")
    list_editable = ("position",)
    search_fields = ("slug", "name_en", "name_zh_hans")
    prepopulated_fields = {"slug": ("name_en",)}

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(source_total=Count("sources"))

    @admin.display(description="sources", ordering="source_total")
    def source_count(self, obj: SourceCategory) -> int:
        return obj.source_total


class SourceForm(forms.ModelForm):
    """A source's form: the feed URL must pass the SSRF guard (feeds.pipeline.fetch.check_url).

    The name is not resolved here (the admin may be offline, or the host briefly down):
    "Validate now" fetches it and reports DNS or network errors.
    """

    class Meta:
        model = Source
        fields = (
            "title",
            "feed_url",
            "site_url",
            "description",
            "language",
            "category",
            "position",
            "featured",
            "active",
        )

    def clean_feed_url(self) -> str:
        from feeds.pipeline.fetch import FetchError, check_url

        url = self.cleaned_data["feed_url"]
        try:
            check_url(url, resolve=False)
        except FetchError as exc:
            raise ValidationError(directory.readable_error(exc)) from exc
        return url


class ImportOpmlForm(forms.Form):
    """Upload form of the directory OPML import."""

    file = forms.FileField(label="OPML file", help_text="OPML 2.0, one folder per category")


@admin.register(Source)
class SourceAdmin(EditTrackingAdmin):
    """The directory of recommended sources (what visitors and new users see first)."""

    form = SourceForm
    list_display = (
        "icon_img",
        "title",
        "category",
        "language",
        "position",
        "featured",
        "active",
        "feed_state",
        "subscribers",
    )
    list_display_links = ("title",)
    list_editable = ("position", "featured", "active")
    list_filter = ("active", "featured", "category", "language")
    list_select_related = ("category", "feed")
    search_fields = ("title", "feed_url", "site_url", "description")
    readonly_fields = ("feed", "seed_url", "edited_fields", "created_at", "updated_at")
    actions = ["validate_now", "activate", "deactivate", "export_opml"]
    ordering = ("category__position", "position", "title")

    def get_queryset(self, request):
        return health.sources_with_subscribers(super().get_queryset(request))

    def save_model(self, request, obj, form, change):
        """A new feed URL unlinks the old feed (the next validation links the new one)."""
        if change and "feed_url" in form.changed_data:
            obj.feed = None
        super().save_model(request, obj, form, change)

    @admin.display(description="")
    def icon_img(self, obj: Source):
        return _icon(obj.feed_id, obj.title)

    @admin.display(description="feed")
    def feed_state(self, obj: Source) -> str:
        feed = obj.feed
        if feed is None:
            return "not validated"
        if feed.disabled:
            return f"disabled: {Truncator(feed.disabled_reason).chars(60)}"
        if feed.error_count:
            return f"failing ({feed.error_count}): {Truncator(feed.last_error).chars(60)}"
        if feed.last_status:
            return f"ok (HTTP {feed.last_status})"
        return "not fetched yet"

    @admin.display(description="subscribers", ordering="subscriber_count")
    def subscribers(self, obj: Source) -> int:
        return obj.subscriber_count

    @admin.action(description="Validate now (fetch through the pipeline)")
    def validate_now(self, request: HttpRequest, queryset: QuerySet[Source]) -> None:
        started = time.monotonic()
        sources = list(queryset[:VALIDATE_MAX])
        done = 0
        for source in sources:
            if time.monotonic() - started > VALIDATE_BUDGET:
                break
            result = directory.source_validate(source=source)
            done += 1
            if result.ok:
                self.message_user(
                    request, f"{source.title}: OK, {result.entry_count} entries", messages.SUCCESS
                )
            else:
                self.message_user(request, f"{source.title}: {result.error}", messages.ERROR)
        left = queryset.count() - done
        if left:
            self.message_user(
                request,
                f"{left} selected sources were not validated (at most {VALIDATE_MAX} per click, "
                f"{VALIDATE_BUDGET:.0f} s): select them again.",
                messages.WARNING,
            )

    @admin.action(description="Activate (show to users)")
    def activate(self, request: HttpRequest, queryset: QuerySet[Source]) -> None:
        self._set_active(request, queryset, True)

    @admin.action(description="Deactivate (hide from users)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Source]) -> None:
        self._set_active(request, queryset, False)

    def _set_active(self, request: HttpRequest, queryset: QuerySet[Source], value: bool) -> None:
        sources = list(queryset)
        for source in sources:
            source.active = value
            directory.mark_edited(source, ["active"])
        Source.objects.bulk_update(sources, ["active", "edited_fields"])
        state = "activated" if value else "deactivated"
        self.message_user(request, f"{len(sources)} sources {state}.", messages.SUCCESS)

    @admin.action(description="Export selected as OPML")
    def export_opml(self, request: HttpRequest, queryset: QuerySet[Source]) -> HttpResponse:
        return _opml_response(directory.directory_export_opml(sources=queryset))

    # --- Import and export views -------------------------------------------------

    def get_urls(self):
        extra = [
            path(
                "import-opml/",
                self.admin_site.admin_view(self.import_opml_view),
                name="feeds_source_import_opml",
            ),
            path(
                "export-opml/",
                self.admin_site.admin_view(self.export_opml_view),
                name="feeds_source_export_opml",
            ),
        ]
        return extra + super().get_urls()

    def export_opml_view(self, request: HttpRequest) -> HttpResponse:
        """GET: the whole directory as an OPML download."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        return _opml_response(directory.directory_export_opml())

    def import_opml_view(self, request: HttpRequest) -> HttpResponse:
        """GET: the upload form; POST: import the OPML file and go back to the list."""
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        form = ImportOpmlForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = directory.directory_import_opml(data=form.cleaned_data["file"].read())
            except directory.DirectoryFormatError as exc:
                form.add_error("file", str(exc))
            else:
                self.message_user(
                    request,
                    f"Imported: categories {result.categories}; sources {result.sources}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:feeds_source_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import the directory from OPML",
            "form": form,
        }
        return TemplateResponse(request, "admin/feeds/source/import_opml.html", context)


def _opml_response(text: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/x-opml; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="tidings-directory.opml"'
    return response


# --- Feed health --------------------------------------------------------------------


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
        # Issue 11 (H10): fetch options and identity policy the admin sets for a feed.
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
            _icon(obj.pk, obj.title or obj.url),
            title,
            Truncator(title).chars(TITLE_CHARS),
            obj.url,
            _short_url(obj.url),
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
                _full_time(obj.last_fetched_at),
                _short_time(obj.last_fetched_at),
                status,
            )
        following = "-"
        if obj.next_fetch_at is not None:
            following = format_html(
                '<span title="{}">{}</span>',
                _full_time(obj.next_fetch_at),
                _short_time(obj.next_fetch_at),
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
        return _duration(health.average_entry_interval(obj))

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

    def get_urls(self):
        summary = path(
            "summary/",
            self.admin_site.admin_view(self.summary_view),
            name="feeds_feed_summary",
        )
        return [summary, *super().get_urls()]

    def summary_view(self, request: HttpRequest) -> HttpResponse:
        """The health summary: feeds total/due/failing/disabled, last hour's fetches and
        errors by kind, queue lengths, worker and beat heartbeat ages."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        summary = health.health_summary()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Feed health summary",
            "summary": summary,
            "heartbeats": [
                (name, None if age is None else round(age))
                for name, age in summary["heartbeats"].items()
            ],
        }
        return TemplateResponse(request, "admin/feeds/feed/summary.html", context)


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


@admin.register(WebSubSubscription)
class WebSubSubscriptionAdmin(admin.ModelAdmin):
    """WebSub subscriptions (issue 11, H10): which feeds a hub pushes, and their leases.

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
