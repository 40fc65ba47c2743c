"""Public pages: landing, directory, public sources and entries, icons, saved-view feeds."""

from __future__ import annotations

from django.urls import path

from reader.pages import public as views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("directory/", views.directory, name="directory"),
    path("directory/subscribe/", views.directory_subscribe, name="directory_subscribe"),
    path("directory/unsubscribe/", views.directory_unsubscribe, name="directory_unsubscribe"),
    path("sources/<int:source_id>/", views.source_page, name="public_source"),
    path("entries/<int:entry_id>/", views.entry_page, name="public_entry"),
    path("icons/<int:feed_id>/", views.feed_icon, name="feed_icon"),
    path("views/<str:token>/atom/", views.SavedViewAtomFeed(), name="saved_view_atom"),
    path("views/<str:token>/rss/", views.SavedViewRssFeed(), name="saved_view_rss"),
]
