"""/settings/...: preferences, API credentials, account deletion and export (paths are stable)."""

from django.urls import path

from accounts import settings_views as views

app_name = "settings"

urlpatterns = [
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
