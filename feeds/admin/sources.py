"""Admin of the directory sources: validation, (de)activation, OPML import and export."""

from __future__ import annotations

import time

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import Truncator

from feeds import directory, health
from feeds.admin.display import feed_icon
from feeds.admin.edit_tracking import EditTrackingAdmin
from feeds.models import Source
from feeds.pipeline.fetch import FetchError, check_url

__all__ = ["VALIDATE_BUDGET", "VALIDATE_MAX", "ImportOpmlForm", "SourceAdmin", "SourceForm"]

#: At most this many sources are validated by one click (each is a real fetch, in the request),
#: and no new one starts after VALIDATE_BUDGET seconds (gunicorn kills a worker after 30 s).
VALIDATE_MAX = 10
VALIDATE_BUDGET = 15.0


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
        return feed_icon(obj.feed_id, obj.title)

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
