"""The base of the directory admins: admin edits survive ``load_directory``."""

from __future__ import annotations

from django.contrib import admin

from feeds import directory

__all__ = ["EditTrackingAdmin"]


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
