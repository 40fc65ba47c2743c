"""Pages of issue 11 part B: rules and saved-view settings, the display toggle, private feeds."""

from django.urls import path

from reader import organize_views
from reader.saved_feeds import SavedViewAtomFeed, SavedViewRssFeed

urlpatterns = [
    path("views/<str:token>/atom/", SavedViewAtomFeed(), name="saved_view_atom"),
    path("views/<str:token>/rss/", SavedViewRssFeed(), name="saved_view_rss"),
    path("settings/rules/", organize_views.rules_page, name="settings_rules"),
    path("settings/rules/<int:rule_id>/", organize_views.rule_action, name="settings_rule"),
    path("settings/views/", organize_views.views_page, name="settings_views"),
    path("settings/views/<int:view_id>/", organize_views.view_action, name="settings_view"),
    path("reader/display/", organize_views.display_set, name="reader_display"),
]
