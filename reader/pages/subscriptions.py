"""Subscription pages: /subscriptions/ (add, list), edit, unsubscribe, bulk, retry, full text.

Thin views (STYLE.md): parse input, call one service (``reader.services``,
``reader.fetching``) or selector (``reader.subscription_page_selectors``), add a message
and redirect (post/redirect/get). Each POST is the no-JavaScript fallback of a REST call.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from feeds.services import feed_waits_for_host_until
from reader import fetching, read_state, selectors, services, subscription_page_selectors
from reader.errors import DiscoveryChoice, ReaderError
from reader.pages.error_texts import reader_error_message
from reader.pages.params import local_next, post_id, query_id, subscriptions_query


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def subscriptions(request: HttpRequest) -> HttpResponse:
    """/subscriptions/: add by URL or site URL (choosing among discovered feeds, and what
    starts unread: ``unread_start`` recent, all or none), and the list with status, edit,
    unsubscribe and bulk actions."""
    candidates: list = []
    url = (request.POST.get("url") or "").strip()
    category_id = post_id(request, "category")
    unread_start = request.POST.get("unread_start") or read_state.START_RECENT
    if request.method == "POST":
        try:
            sub = services.subscription_create(
                user=request.user, url=url, category=category_id, unread_start=unread_start
            )
            messages.success(request, _("Subscribed to %(title)s.") % {"title": str(sub)})
            waits = feed_waits_for_host_until(sub.feed)
            if waits is not None:
                messages.info(
                    request,
                    _(
                        "The site asked feed readers to wait: Tidings fetches this feed "
                        "after %(time)s UTC."
                    )
                    % {"time": f"{waits:%Y-%m-%d %H:%M:%S}"},
                )
            return redirect(f"{reverse('reader')}?show=all&sub={sub.pk}")
        except DiscoveryChoice as exc:
            candidates = exc.candidates
        except ReaderError as exc:
            messages.error(request, reader_error_message(exc))
    query = (request.GET.get("q") or "").replace("\x00", "").strip()[:200]
    filter_category = query_id(request, "category")
    page = subscription_page_selectors.subscription_page(
        user=request.user, page=request.GET.get("page"), q=query, category_id=filter_category
    )
    context = {
        "page": page,
        "subscriptions": page.object_list,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2),
        "filter_q": query,
        "filter_category": filter_category,
        "filtered": bool(query) or filter_category is not None,
        "return_query": subscriptions_query(request.GET),
        "categories": list(selectors.category_list(user=request.user)),
        "candidates": candidates,
        "url": url,
        "category_id": category_id,
        "unread_start": unread_start,
        "unread_days": settings.NEW_SUBSCRIPTION_UNREAD_DAYS,
    }
    return render(request, "reader/subscriptions.html", context)


def _subscriptions_back(request: HttpRequest) -> HttpResponse:
    """Redirect to /subscriptions/ with the filter and page the form was posted from."""
    query = subscriptions_query(QueryDict(request.POST.get("return", "")[:1000]))
    return redirect(f"{reverse('subscriptions')}?{query}" if query else reverse("subscriptions"))


@login_required
@require_POST
def subscription_edit(request: HttpRequest, subscription_id: int) -> HttpResponse:
    """Change a subscription's title and category (a new category may be typed in)."""
    category_id = post_id(request, "category")
    new_category = (request.POST.get("new_category") or "").strip()
    try:
        if new_category:
            category, _created = services.category_get_or_create(
                user=request.user, title=new_category
            )
            category_id = category.pk
        services.subscription_update(
            user=request.user,
            subscription_id=subscription_id,
            title=request.POST.get("title", ""),
            category_id=category_id,
        )
        messages.success(request, _("Subscription saved."))
    except ReaderError as exc:
        messages.error(request, reader_error_message(exc))
    return redirect("subscriptions")


@login_required
@require_POST
def subscription_delete(request: HttpRequest, subscription_id: int) -> HttpResponse:
    """Unsubscribe from one feed."""
    services.subscription_delete(user=request.user, subscription_id=subscription_id)
    messages.success(request, _("Unsubscribed."))
    return redirect("subscriptions")


@login_required
@require_POST
def subscriptions_bulk(request: HttpRequest) -> HttpResponse:
    """Move the selected subscriptions to a category, or unsubscribe from them."""
    ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit() and len(v) < 19]
    action = request.POST.get("action")
    if not ids:
        messages.error(request, _("Select at least one subscription."))
        return _subscriptions_back(request)
    category_id = post_id(request, "category")
    for sub_id in ids:
        if action == "delete":
            services.subscription_delete(user=request.user, subscription_id=sub_id)
        elif action == "move":
            services.subscription_update(
                user=request.user, subscription_id=sub_id, category_id=category_id
            )
    if action == "delete":
        text = ngettext("Unsubscribed from %(n)d feed.", "Unsubscribed from %(n)d feeds.", len(ids))
    else:
        text = ngettext("Moved %(n)d subscription.", "Moved %(n)d subscriptions.", len(ids))
    messages.success(request, text % {"n": len(ids)})
    return _subscriptions_back(request)


@login_required
@require_POST
def subscription_retry(request: HttpRequest, subscription_id: int) -> HttpResponse:
    """The one-click "Retry" of a failing or stopped feed (``reader.fetching``); back to a
    local ``next`` or /subscriptions/. 404 for another user's subscription."""
    try:
        sub = fetching.subscription_retry(user=request.user, subscription_id=subscription_id)
        title = sub.title or sub.feed.title or sub.feed.url
        messages.success(request, _("Tidings will try %(title)s again now.") % {"title": title})
    except fetching.FeedDisabledByAdmin as exc:
        messages.error(request, exc.message)
    return redirect(local_next(request, reverse("subscriptions")))


@login_required
@require_POST
def subscription_full_text(request: HttpRequest, subscription_id: int) -> HttpResponse:
    """Turn automatic full-article extraction on (``enabled=1``) or off for a subscription."""
    enabled = request.POST.get("enabled", "") in ("1", "on", "true")
    fetching.subscription_set_full_text(
        user=request.user, subscription_id=subscription_id, enabled=enabled
    )
    if enabled:
        messages.success(request, _("New articles of this feed will be fetched in full."))
    else:
        messages.success(request, _("Full articles will no longer be fetched for this feed."))
    return redirect(local_next(request, reverse("subscriptions")))


@login_required
@require_POST
def subscription_unread_older(request: HttpRequest, subscription_id: int) -> HttpResponse:
    """ "Mark them unread" under "N older entries were marked read": the entries the new
    subscription started with as read become unread (``services.subscription_unread_older``);
    back to a local ``next`` or the subscription's unread list. 404 for another user's."""
    count = services.subscription_unread_older(user=request.user, subscription_id=subscription_id)
    messages.success(
        request,
        ngettext("%(n)d older entry marked unread.", "%(n)d older entries marked unread.", count)
        % {"n": count},
    )
    default = f"{reverse('reader')}?show=unread&sub={subscription_id}"
    return redirect(local_next(request, default))
