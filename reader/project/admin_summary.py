"""The admin's site summary page: feed counts, last hour's fetches, queues, heartbeats.

Site-wide operations, so they live in the project layer rather than in ``feeds``.
The page keeps its place under the feeds admin (URL ``admin/feeds/feed/summary/``,
name ``admin:feeds_feed_summary``, template ``admin/feeds/feed/summary.html``): the
feed admin registered by ``feeds.admin`` is replaced by a subclass that adds it
(the root URLconf ``reader.project.urls`` imports this module before it reads
``admin.site.urls``; the admin modules of the apps are registered by then).
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path

from feeds.admin.feed_health import FeedAdmin
from feeds.models import Feed
from reader.project.site_figures import health_summary

__all__ = ["FeedAdminWithSummary"]


class FeedAdminWithSummary(FeedAdmin):
    """The feed health admin plus the site summary page at ``summary/``."""

    def get_urls(self):
        """The summary page first (``summary/`` would otherwise read as an object id)."""
        summary = path(
            "summary/",
            self.admin_site.admin_view(self.summary_view),
            name="feeds_feed_summary",
        )
        return [summary, *super().get_urls()]

    def summary_view(self, request: HttpRequest) -> HttpResponse:
        """The summary: feeds total/due/failing/disabled, last hour's fetches and errors by
        kind, queue lengths, worker and beat heartbeat ages (403 without view permission)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        summary = health_summary()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Feed health summary",
            "summary": summary,
            "heartbeats": [
                (name, None if age is None else round(age))
                for name, age in summary["heartbeats"].items()
            ],
        }
        return TemplateResponse(request, "admin/feeds/feed/summary.html", context)


admin.site.unregister(Feed)
admin.site.register(Feed, FeedAdminWithSummary)
