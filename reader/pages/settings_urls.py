"""All of /settings/ (paths are stable): the account pages under the ``settings:`` namespace
(preferences, API credentials, deletion, export), and rules, saved views and OPML import
under their own names (``settings_rules``, ``settings_views``, ``settings_import``)."""

from __future__ import annotations

from django.urls import include, path

from reader.pages import settings as views

account_patterns = [
    path("", views.preferences, name="preferences"),
    path("api/", views.api, name="api"),
    path("api/tokens/", views.token_create, name="token_create"),
    path("api/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("api/client-password/", views.client_password_set, name="client_password_set"),
    path(
        "api/client-password/delete/",
        views.client_password_delete,
        name="client_password_delete",
    ),
    path("delete/", views.delete, name="delete"),
    path("export/subscriptions.opml", views.export_opml, name="export_opml"),
    path("export/starred.json", views.export_starred, name="export_starred"),
]

urlpatterns = [
    path("", include((account_patterns, "settings"))),
    path("import/", views.settings_import, name="settings_import"),
    path("rules/", views.rules_page, name="settings_rules"),
    path("rules/<int:rule_id>/", views.rule_action, name="settings_rule"),
    path("views/", views.views_page, name="settings_views"),
    path("views/<int:view_id>/", views.view_action, name="settings_view"),
]
