"""Reading pages: the reader, "Open in Tidings", entry actions, mark all read, display, search.

Thin views (STYLE.md): parse input, call one selector (``reader.reader_page_selectors``)
or service (``reader.services``, ``reader.saved_views``, ``reader.fetching``), render or
redirect. The POST views are the no-JavaScript fallbacks: the page's script calls the REST
API, which uses the same services.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from reader import fetching, reader_page_selectors, saved_views, services
from reader.errors import InvalidInput, ReaderError
from reader.pages.params import local_next, next_or_reader, post_id, query_id

_SHOWS = ("unread", "all", "starred")


def _reader_params(request: HttpRequest) -> dict:
    """Parse /reader/ query parameters: show, sub, cat, entry, cursor, pane."""
    user = request.user
    default_show = "unread" if getattr(user, "show_unread_only", True) else "all"
    show = request.GET.get("show", default_show)
    if show not in _SHOWS:
        show = default_show
    return {
        "show": show,
        "subscription_id": query_id(request, "sub"),
        "category_id": query_id(request, "cat"),
        "entry_id": query_id(request, "entry"),
        "cursor": request.GET.get("cursor") or None,
    }


def _list_title(rp, show: str) -> str:
    if rp.subscription is not None:
        return rp.subscription.display_title
    if rp.category is not None:
        return rp.category.title
    return {"unread": _("Unread"), "all": _("All entries"), "starred": _("Starred")}[show]


def _reader_view(request: HttpRequest) -> saved_views.ViewSpec | None:
    """The view named by ``?view=`` ("today" or a saved view id), or None.

    Raises ``NotFound`` (a 404) for an unknown id or another user's view.
    """
    return saved_views.view_resolve(user=request.user, key=request.GET.get("view", "")[:20])


def _view_extras(
    request: HttpRequest, *, view: saved_views.ViewSpec | None, show: str, sub: Any, cat: Any
) -> dict[str, Any]:
    """Context the reader page adds for views: the open ``view``, the sidebar's ``views``
    (Today and saved views with unread counts: two queries), the list's ``display`` ("list"
    or "cards") and the ``display_key`` the toggle posts."""
    key = saved_views.display_key(view=view.key if view else "", show=show, sub=sub, cat=cat)
    return {
        "view": view,
        "views": saved_views.sidebar_views(user=request.user, current=view.key if view else ""),
        "display": saved_views.display_for(user=request.user, key=key),
        "display_key": key,
    }


@login_required
@require_safe
def reader(request: HttpRequest) -> HttpResponse:
    """/reader/: sidebar, entry list and reading pane; ``?partial=entry`` renders the pane only.

    Opening an entry with a full page load marks it read (per the user's
    preference), so reading works without JavaScript; the script loads the pane
    with ``partial=entry`` and marks it read through the REST API instead.
    """
    params = _reader_params(request)
    view = _reader_view(request)  # Today or a saved view (or None)
    if view is not None and "show" not in request.GET:
        params["show"] = view.status
    scope = {"sub": params["subscription_id"], "cat": params["category_id"]}
    scope["view"] = view.key if view is not None else None
    scope_query = urlencode({k: v for k, v in scope.items() if v is not None})
    list_query = "show=" + params["show"] + (("&" + scope_query) if scope_query else "")
    try:
        if request.GET.get("partial") == "entry" and params["entry_id"] is not None:
            entry, related = reader_page_selectors.entry_view(
                user=request.user, entry_id=params["entry_id"]
            )
            context = {"entry": entry, "related": related, "list_query": list_query}
            return render(request, "reader/_entry_view.html", context)
        opened = request.GET.get("opened") == "1"  # back from a mark-unread form: keep as is
        if params["entry_id"] is not None and request.user.mark_read_on_open and not opened:
            services.entries_set_read(user=request.user, entry_ids=[params["entry_id"]], read=True)
        extra = view.filters if view is not None else None
        rp = reader_page_selectors.reader_page(user=request.user, **params, extra_filters=extra)
    except InvalidInput:
        return redirect(f"{reverse('reader')}?{list_query}")
    pane = request.GET.get("pane")
    if pane not in ("sidebar", "list", "entry"):
        pane = "entry" if rp.entry is not None else "list"
    context = {
        "rp": rp,
        "show": params["show"],
        "scope_query": scope_query,
        "list_query": list_query,
        "list_title": view.title if view is not None else _list_title(rp, params["show"]),
        "pane": pane,
        "now_iso": timezone.now().isoformat(),
        "live_seconds": settings.LIVE_POLL_SECONDS,
    }
    sub, cat = params["subscription_id"], params["category_id"]
    context |= _view_extras(request, view=view, show=params["show"], sub=sub, cat=cat)
    return render(request, "reader/reader.html", context)


@login_required
@require_safe
def reader_entry(request: HttpRequest, entry_id: int) -> HttpResponse:
    """/reader/entries/<id>/ ("Open in Tidings"): the entry in the reader if the user can
    read it; otherwise, for a public directory entry, its public page offering to subscribe.
    """
    target = reader_page_selectors.reader_entry_target(user=request.user, entry_id=entry_id)
    if target.subscription_id is not None or target.readable:
        query = {"show": "all", "entry": entry_id}
        if target.subscription_id is not None:
            query["sub"] = target.subscription_id
        return redirect(f"{reverse('reader')}?{urlencode(query)}")
    if target.public:
        messages.info(request, _("Subscribe to this source to read it in your reader."))
        return redirect("public_source", target.source_id)
    raise Http404("No such entry")


@login_required
@require_POST
def reader_entry_action(request: HttpRequest, entry_id: int) -> HttpResponse:
    """POST fallback (no JavaScript) for read/unread/star/unstar on one entry."""
    action = request.POST.get("action", "")
    if action in ("read", "unread"):
        services.entries_set_read(user=request.user, entry_ids=[entry_id], read=action == "read")
    elif action in ("star", "unstar"):
        services.entries_set_starred(
            user=request.user, entry_ids=[entry_id], starred=action == "star"
        )
    return redirect(next_or_reader(request))


@login_required
@require_POST
def reader_mark_all_read(request: HttpRequest) -> HttpResponse:
    """POST fallback (no JavaScript): mark all read (everything, a subscription or a category)."""
    before = parse_datetime(request.POST.get("before", "")) if request.POST.get("before") else None
    services.mark_all_read(
        user=request.user,
        subscription_id=post_id(request, "subscription_id"),
        category_id=post_id(request, "category_id"),
        before=before,
    )
    messages.success(request, _("All marked as read"))
    return redirect(next_or_reader(request))


@login_required
@require_POST
def entry_fetch_content(request: HttpRequest, entry_id: int) -> HttpResponse:
    """ "Fetch full article" in the reading pane: extract the entry's full article now
    (``reader.fetching.entry_fetch_full_text``), then show the entry again (``next`` when
    it is a local URL)."""
    entry = fetching.entry_fetch_full_text(user=request.user, entry_id=entry_id)
    if entry.full_content:
        messages.success(request, _("Full article loaded."))
    else:
        messages.error(
            request,
            _("The full article could not be loaded: %(reason)s")
            % {"reason": entry.full_content_error},
        )
    default = f"{reverse('reader')}?show=all&entry={entry.pk}&opened=1"
    return redirect(local_next(request, default))


@login_required
@require_POST
def display_set(request: HttpRequest) -> HttpResponse:
    """POST ``key`` (see ``saved_views.display_key``) and ``display`` (list or cards); back to
    ``next`` (a local URL) or the reader."""
    try:
        saved_views.display_set(
            user=request.user,
            key=request.POST.get("key", ""),
            display=request.POST.get("display", ""),
        )
    except ReaderError as exc:
        messages.error(request, exc.message)
    return redirect(local_next(request, "/reader/"))


@login_required
@require_safe
def search(request: HttpRequest) -> HttpResponse:
    """/search/?q=...: the user's entries matching the query, best first, terms highlighted."""
    query = (request.GET.get("q") or "").replace("\x00", "").strip()[:500]  # no NUL in SQL
    offset = query_id(request, "offset") or 0
    page = None
    if query:
        try:
            page = reader_page_selectors.search_results(user=request.user, q=query, offset=offset)
        except InvalidInput:
            page = None
    context = {"search_query": query, "page": page, "offset": offset}
    return render(request, "reader/search.html", context)
