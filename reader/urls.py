"""Root URL configuration: pages, API, client APIs, admin, health."""

from django.contrib import admin
from django.urls import path

from reader.health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]
