"""Admin of the directory categories."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count

from feeds.admin.edit_tracking import EditTrackingAdmin
from feeds.models import SourceCategory

__all__ = ["SourceCategoryAdmin"]


@admin.register(SourceCategory)
class SourceCategoryAdmin(EditTrackingAdmin):
    """Directory categories, ordered by position (editable in the list)."""

    list_display = ("name_en", "name_zh_hans", "slug", "position", "source_count")
    list_editable = ("position",)
    search_fields = ("slug", "name_en", "name_zh_hans")
    prepopulated_fields = {"slug": ("name_en",)}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(source_total=Count("sources"))

    @admin.display(description="sources", ordering="source_total")
    def source_count(self, obj: SourceCategory) -> int:
        return obj.source_total
