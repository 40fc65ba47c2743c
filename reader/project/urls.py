"""Root URL configuration: pages, API, client APIs, admin, health."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path, re_path

from reader.api.compat import ttrss
from reader.project import admin_summary  # noqa: F401  (adds the summary page to the feed admin)
from reader.project.health import healthz
from reader.project.operations import metrics_view


def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico for pages without an icon link (the admin, JSON): the Tidings logo."""
    return redirect(static("img/tidings.svg"), permanent=True)


urlpatterns = [
    path("favicon.ico", favicon),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    path("api/v1/", include("reader.api.urls")),
    path("api/", include("reader.api.compat.urls")),
    # Tiny Tiny RSS apps configured with a classic tt-rss address (https://host/tt-rss).
    path("tt-rss/api/", ttrss.api),
    path("tt-rss/api/index.php", ttrss.api),
    path("v1/", include("reader.api.miniflux.urls")),
    re_path(r"^(?:index\.php/+)?apps/+news/+api/*", include("reader.api.compat.nextcloud.urls")),
    path("accounts/", include("accounts.urls")),
    path("settings/", include("reader.pages.settings_urls")),
    path("", include("feeds.urls")),
    path("", include("reader.pages.public_urls")),
    path("", include("reader.pages.reading_urls")),
    path("", include("reader.pages.subscriptions_urls")),
]
