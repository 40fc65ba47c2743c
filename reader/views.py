"""Server-rendered pages of Tidings (thin: parse input, call one selector or service, render).

Every per-user read goes through ``reader.selectors`` (or ``reader.ui_selectors``
for page-only reads) and every write through ``reader.services``; the same
functions back the REST API that the page's JavaScript calls.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from reader import ui_selectors


@require_safe
def landing(request: HttpRequest) -> HttpResponse:
    """/: what Tidings is and the directory's sources; signed-in users go to the reader."""
    if request.user.is_authenticated:
        return redirect("reader")
    sections = ui_selectors.directory_sections(user=None)
    return render(
        request, "reader/landing.html", {"sections": sections, "site_url": settings.SITE_URL}
    )


@require_safe
def directory(request: HttpRequest) -> HttpResponse:
    """/directory/: recommended sources by category, searchable, with one-click subscribe."""
    query = request.GET.get("q", "")[:200]
    sections = ui_selectors.directory_sections(user=request.user, query=query)
    context = {"sections": sections, "query": query, "site_url": settings.SITE_URL}
    return render(request, "reader/directory.html", context)


@require_safe
def feed_icon(request: HttpRequest, feed_id: int) -> HttpResponse:
    """/icons/<feed_id>/: a feed's icon, for its subscribers or when the feed is in the directory.

    Any other feed is a 404, so icon URLs do not reveal what other users read.
    """
    from feeds.pipeline.icons import icon_for_feed

    feed = ui_selectors.feed_icon_feed(user=request.user, feed_id=feed_id)
    content_type, data = icon_for_feed(feed)
    response = HttpResponse(data, content_type=content_type)
    response["Cache-Control"] = "private, max-age=86400"
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response["X-Content-Type-Options"] = "nosniff"
    return response
