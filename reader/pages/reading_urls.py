"""Server-rendered pages: landing, reader, directory, subscriptions, search, import, icons."""

from django.urls import path

from reader import fetching_views, views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("reader/", views.reader, name="reader"),
    path("reader/entries/<int:entry_id>/", views.reader_entry, name="reader_entry"),
    path(
        "reader/entries/<int:entry_id>/action/",
        views.reader_entry_action,
        name="reader_entry_action",
    ),
    path("reader/mark-all-read/", views.reader_mark_all_read, name="reader_mark_all_read"),
    path("directory/", views.directory, name="directory"),
    path("directory/subscribe/", views.directory_subscribe, name="directory_subscribe"),
    path("directory/unsubscribe/", views.directory_unsubscribe, name="directory_unsubscribe"),
    path("subscriptions/", views.subscriptions, name="subscriptions"),
    path(
        "subscriptions/<int:subscription_id>/edit/",
        views.subscription_edit,
        name="subscription_edit",
    ),
    path(
        "subscriptions/<int:subscription_id>/delete/",
        views.subscription_delete,
        name="subscription_delete",
    ),
    path("subscriptions/bulk/", views.subscriptions_bulk, name="subscriptions_bulk"),
    # Issue 11 part A (H10): retry a failing feed, full text.
    path(
        "subscriptions/<int:subscription_id>/retry/",
        fetching_views.subscription_retry,
        name="subscription_retry",
    ),
    path(
        "subscriptions/<int:subscription_id>/full-text/",
        fetching_views.subscription_full_text,
        name="subscription_full_text",
    ),
    path(
        "reader/entries/<int:entry_id>/fetch-content/",
        fetching_views.entry_fetch_content,
        name="reader_entry_fetch_content",
    ),
    path("search/", views.search, name="search"),
    path("settings/import/", views.settings_import, name="settings_import"),
    path("icons/<int:feed_id>/", views.feed_icon, name="feed_icon"),
]
