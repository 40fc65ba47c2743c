"""Routes of the Miniflux API, mounted at ``/v1/`` (apps append ``/v1/...`` to the server URL).

Paths as Miniflux's ``internal/api/api.go`` declares them, without trailing slashes (a
trailing slash is tolerated). Ids are 1 to 18 digits; anything else under ``/v1/`` answers
Miniflux's 404 body.
"""

from __future__ import annotations

from django.urls import re_path

from reader.api.miniflux import views
from reader.api.miniflux.base import not_found, resource

ID = r"(?P<{}>[0-9]{{1,18}})"


def _path(pattern: str, view, name: str):
    regex = "^" + pattern.format(
        feed=ID.format("feed_id"),
        category=ID.format("category_id"),
        entry=ID.format("entry_id"),
        icon=ID.format("icon_id"),
        user=ID.format("user_id"),
    )
    return re_path(regex + "/?$", view, name=name)


app_name = "miniflux"

urlpatterns = [
    _path("me", resource(GET=views.me), "me"),
    _path("version", resource(GET=views.version), "version"),
    _path(
        "users/{user}/mark-all-as-read",
        resource(PUT=views.user_mark_all_read),
        "user-mark-all-read",
    ),
    _path(
        "categories",
        resource(GET=views.categories, POST=views.category_create),
        "categories",
    ),
    _path(
        "categories/{category}",
        resource(PUT=views.category_update, DELETE=views.category_delete),
        "category",
    ),
    _path(
        "categories/{category}/mark-all-as-read",
        resource(PUT=views.category_mark_all_read),
        "category-mark-all-read",
    ),
    _path("categories/{category}/feeds", resource(GET=views.category_feeds), "category-feeds"),
    _path(
        "categories/{category}/entries",
        resource(GET=views.category_entries),
        "category-entries",
    ),
    _path(
        "categories/{category}/entries/{entry}",
        resource(GET=views.category_entry),
        "category-entry",
    ),
    _path("discover", resource(POST=views.discover), "discover"),
    _path("feeds", resource(GET=views.feeds, POST=views.feed_create), "feeds"),
    _path("feeds/counters", resource(GET=views.feed_counters), "feed-counters"),
    _path("feeds/refresh", resource(PUT=views.feeds_refresh), "feeds-refresh"),
    _path("feeds/{feed}/refresh", resource(PUT=views.feed_refresh), "feed-refresh"),
    _path(
        "feeds/{feed}",
        resource(GET=views.feed, PUT=views.feed_update, DELETE=views.feed_delete),
        "feed",
    ),
    _path("feeds/{feed}/icon", resource(GET=views.feed_icon), "feed-icon"),
    _path(
        "feeds/{feed}/mark-all-as-read",
        resource(PUT=views.feed_mark_all_read),
        "feed-mark-all-read",
    ),
    _path("feeds/{feed}/entries", resource(GET=views.feed_entries), "feed-entries"),
    _path("feeds/{feed}/entries/{entry}", resource(GET=views.feed_entry), "feed-entry"),
    _path("export", resource(GET=views.opml_export), "export"),
    _path("import", resource(POST=views.opml_import), "import"),
    _path(
        "entries",
        resource(GET=views.entries, PUT=views.entries_set_status),
        "entries",
    ),
    _path("entries/{entry}", resource(GET=views.entry), "entry"),
    _path("entries/{entry}/bookmark", resource(PUT=views.entry_bookmark), "entry-bookmark"),
    _path("icons/{icon}", resource(GET=views.icon), "icon"),
    re_path(r"^.*$", not_found),
]
