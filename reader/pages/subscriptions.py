"""Page actions of issue 11 part A (POST forms; the script calls the REST API instead).

- ``/subscriptions/<id>/retry/``: the one-click "Retry" of a failing or stopped feed
  (sidebar and subscriptions page) -> ``reader.feed_actions.subscription_retry``;
- ``/subscriptions/<id>/full-text/``: the "Fetch full articles" choice ->
  ``subscription_set_full_text``;
- ``/reader/entries/<id>/fetch-content/``: "Fetch full article" in the reading pane ->
  ``entry_fetch_full_text``.

Each parses input, calls one service, adds a message and redirects to ``next`` when it is a
local URL (no open redirect), else to a sensible page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from reader import feed_actions


def _next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


@login_required
@require_POST
def subscription_retry(request: HttpRequest, subscription_id: int) -> HttpResponse:
    """Retry the subscription's feed now; 404 for another user's subscription."""
    try:
        sub = feed_actions.subscription_retry(user=request.user, subscription_id=subscription_id)
        title = sub.title or sub.feed.title or sub.feed.url
        messages.success(request, _("Tidings will try %(title)s again now.") % {"title": title})
    except feed_actions.FeedDisabledByAdmin as exc:
        messages.error(request, exc.message)
    return redirect(_next(request, reverse("subscriptions")))


@login_required
@require_POST
def subscription_full_text(request: HttpRequest, subscription_id: int) -> HttpResponse:
    """Turn automatic full-article extraction on (``enabled=1``) or off for a subscription."""
    enabled = request.POST.get("enabled", "") in ("1", "on", "true")
    feed_actions.subscription_set_full_text(
        user=request.user, subscription_id=subscription_id, enabled=enabled
    )
    if enabled:
        messages.success(request, _("New articles of this feed will be fetched in full."))
    else:
        messages.success(request, _("Full articles will no longer be fetched for this feed."))
    return redirect(_next(request, reverse("subscriptions")))


@login_required
@require_POST
def entry_fetch_content(request: HttpRequest, entry_id: int) -> HttpResponse:
    """Extract the entry's full article now, then show the entry again."""
    entry = feed_actions.entry_fetch_full_text(user=request.user, entry_id=entry_id)
    if entry.full_content:
        messages.success(request, _("Full article loaded."))
    else:
        messages.error(
            request,
            _("The full article could not be loaded: %(reason)s")
            % {"reason": entry.full_content_error},
        )
    default = f"{reverse('reader')}?show=all&entry={entry.pk}&opened=1"
    return redirect(_next(request, default))
