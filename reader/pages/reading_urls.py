"""The reader's pages: /reader/ and its entry actions, mark all read, display, /search/."""

from __future__ import annotations

from django.urls import path

from reader.pages import reading as views

urlpatterns = [
    path("reader/", views.reader, name="reader"),
    path("reader/entries/<int:entry_id>/", views.reader_entry, name="reader_entry"),
    path(
        "reader/entries/<int:entry_id>/action/",
        views.reader_entry_action,
        name="reader_entry_action",
    ),
    path(
        "reader/entries/<int:entry_id>/fetch-content/",
        views.entry_fetch_content,
        name="reader_entry_fetch_content",
    ),
    path("reader/mark-all-read/", views.reader_mark_all_read, name="reader_mark_all_read"),
    path("reader/display/", views.display_set, name="reader_display"),
    path("search/", views.search, name="search"),
]
