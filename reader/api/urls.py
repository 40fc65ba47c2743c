"""/api/v1/: the REST API (paths are stable: scripts and the web UI rely on them).

Item routes take ``<id:pk>`` (1-18 digits, always a valid bigint); anything
else under /api/v1/ answers the same JSON 404 as an unknown id.
"""

from __future__ import annotations

from django.urls import path, re_path, register_converter
from drf_spectacular.views import SpectacularAPIView

from reader.api import (
    categories,
    directory,
    discover,
    entries,
    feeds,
    fetching,
    marks,
    me,
    opml,
    playback,
    rules,
    saved_views,
    subscriptions,
    tokens,
)
from reader.api.base import IdConverter
from reader.api.errors import not_found_view
from reader.api.schema import DocsView

register_converter(IdConverter, "id")

app_name = "api"

urlpatterns = [
    path("me/", me.MeView.as_view(), name="me"),
    path("categories/", categories.CategoryListView.as_view(), name="categories"),
    path("categories/order/", categories.CategoryOrderView.as_view(), name="categories-order"),
    path("categories/<id:pk>/", categories.CategoryDetailView.as_view(), name="category"),
    path("subscriptions/", subscriptions.SubscriptionListView.as_view(), name="subscriptions"),
    path(
        "subscriptions/<id:pk>/",
        subscriptions.SubscriptionDetailView.as_view(),
        name="subscription",
    ),
    path(
        "subscriptions/<id:pk>/unread-older/",
        subscriptions.SubscriptionUnreadOlderView.as_view(),
        name="subscription-unread-older",
    ),
    path(
        "subscriptions/<id:pk>/refresh/",
        subscriptions.SubscriptionRefreshView.as_view(),
        name="subscription-refresh",
    ),
    # Retry a failing feed, full text.
    path(
        "subscriptions/<id:pk>/retry/",
        fetching.SubscriptionRetryView.as_view(),
        name="subscription-retry",
    ),
    path(
        "subscriptions/<id:pk>/full-text/",
        fetching.SubscriptionFullTextView.as_view(),
        name="subscription-full-text",
    ),
    path(
        "entries/<id:pk>/fetch-content/",
        fetching.EntryFetchContentView.as_view(),
        name="entry-fetch-content",
    ),
    path("feeds/", feeds.FeedListView.as_view(), name="feeds"),
    path("feeds/<id:pk>/", feeds.FeedDetailView.as_view(), name="feed"),
    path("entries/", entries.EntryListView.as_view(), name="entries"),
    path("entries/batch/", entries.EntryBatchView.as_view(), name="entries-batch"),
    path("entries/<id:pk>/", entries.EntryDetailView.as_view(), name="entry"),
    path(
        "entries/<id:pk>/playback/",
        playback.EntryPlaybackView.as_view(),
        name="entry-playback",
    ),
    path("mark-all-read/", marks.MarkAllReadView.as_view(), name="mark-all-read"),
    path("unread-counts/", marks.UnreadCountsView.as_view(), name="unread-counts"),
    path("discover/", discover.DiscoverView.as_view(), name="discover"),
    path("opml/import/", opml.OpmlImportView.as_view(), name="opml-import"),
    path("opml/import/<id:pk>/", opml.OpmlImportDetailView.as_view(), name="opml-import-job"),
    path("opml/export/", opml.OpmlExportView.as_view(), name="opml-export"),
    path("directory/", directory.DirectoryView.as_view(), name="directory"),
    path(
        "directory/<id:pk>/subscribe/",
        directory.DirectorySubscribeView.as_view(),
        name="directory-subscribe",
    ),
    path("tokens/", tokens.TokenListView.as_view(), name="tokens"),
    path("tokens/<id:pk>/", tokens.TokenDetailView.as_view(), name="token"),
    # Rules and saved views.
    path("rules/", rules.RuleListView.as_view(), name="rules"),
    path("rules/preview/", rules.RulePreviewView.as_view(), name="rules-preview"),
    path("rules/<id:pk>/", rules.RuleDetailView.as_view(), name="rule"),
    path("rules/<id:pk>/apply/", rules.RuleApplyView.as_view(), name="rule-apply"),
    path("views/", saved_views.SavedViewListView.as_view(), name="views"),
    path("views/<id:pk>/", saved_views.SavedViewDetailView.as_view(), name="view"),
    path("views/<id:pk>/feed/", saved_views.SavedViewFeedView.as_view(), name="view-feed"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(url_name="api:schema"), name="docs"),
    re_path(r"^.*$", not_found_view),
]
