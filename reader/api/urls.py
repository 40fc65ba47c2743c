"""/api/v1/: the REST API (paths are stable: scripts and the web UI rely on them).

Item routes take ``<id:pk>`` (1-18 digits, always a valid bigint); anything
else under /api/v1/ answers the same JSON 404 as an unknown id.
"""

from __future__ import annotations

from django.urls import path, re_path, register_converter
from drf_spectacular.views import SpectacularAPIView

from reader.api import me, tokens
from reader.api.base import IdConverter
from reader.api.errors import not_found_view
from reader.api.schema import DocsView

register_converter(IdConverter, "id")

app_name = "api"

urlpatterns = [
    path("me/", me.MeView.as_view(), name="me"),
    path("tokens/", tokens.TokenListView.as_view(), name="tokens"),
    path("tokens/<id:pk>/", tokens.TokenDetailView.as_view(), name="token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(url_name="api:schema"), name="docs"),
    re_path(r"^.*$", not_found_view),
]
