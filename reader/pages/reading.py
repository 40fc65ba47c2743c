"""Server-rendered pages of Tidings (thin: parse input, call one selector or service, render).

Every per-user read goes through ``reader.selectors`` (or ``reader.ui_selectors``
for page-only reads) and every write through ``reader.services``; the same
functions back the REST API that the page's JavaScript calls.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from reader import organize_views, ui_selectors
from reader.errors import DiscoveryChoice, InvalidInput, ReaderError


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
    query = request.GET.get("q", "").replace("\x00", "")[:200]  # PostgreSQL refuses NUL
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


# --- The reader -------------------------------------------------------------------

_SHOWS = ("unread", "all", "starred")


def _int_param(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() and len(value) < 19 else None


def _reader_params(request: HttpRequest) -> dict:
    """Parse /reader/ query parameters: show, sub, cat, entry, cursor, pane."""
    user = request.user
    default_show = "unread" if getattr(user, "show_unread_only", True) else "all"
    show = request.GET.get("show", default_show)
    if show not in _SHOWS:
        show = default_show
    return {
        "show": show,
        "subscription_id": _int_param(request, "sub"),
        "category_id": _int_param(request, "cat"),
        "entry_id": _int_param(request, "entry"),
        "cursor": request.GET.get("cursor") or None,
    }


def _list_title(rp, show: str) -> str:
    if rp.subscription is not None:
        return rp.subscription.display_title
    if rp.category is not None:
        return rp.category.title
    return {"unread": _("Unread"), "all": _("All entries"), "starred": _("Starred")}[show]


@login_required
@require_safe
def reader(request: HttpRequest) -> HttpResponse:
    """/reader/: sidebar, entry list and reading pane; ``?partial=entry`` renders the pane only.

    Opening an entry with a full page load marks it read (per the user's
    preference), so reading works without JavaScript; the script loads the pane
    with ``partial=entry`` and marks it read through the REST API instead.
    """
    params = _reader_params(request)
    view = organize_views.reader_view(request)  # issue 11: Today or a saved view (or None)
    if view is not None and "show" not in request.GET:
        params["show"] = view.status
    scope = {"sub": params["subscription_id"], "cat": params["category_id"]}
    scope["view"] = view.key if view is not None else None
    scope_query = urlencode({k: v for k, v in scope.items() if v is not None})
    list_query = "show=" + params["show"] + (("&" + scope_query) if scope_query else "")
    try:
        if request.GET.get("partial") == "entry" and params["entry_id"] is not None:
            entry, related = ui_selectors.entry_view(user=request.user, entry_id=params["entry_id"])
            context = {"entry": entry, "related": related, "list_query": list_query}
            return render(request, "reader/_entry_view.html", context)
        opened = request.GET.get("opened") == "1"  # back from a mark-unread form: keep as is
        if params["entry_id"] is not None and request.user.mark_read_on_open and not opened:
            from reader import services

            services.entries_set_read(user=request.user, entry_ids=[params["entry_id"]], read=True)
        extra = view.filters if view is not None else None
        rp = ui_selectors.reader_page(user=request.user, **params, extra_filters=extra)
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
    }
    sub, cat = params["subscription_id"], params["category_id"]
    context |= organize_views.reader_extras(
        request, view=view, show=params["show"], sub=sub, cat=cat
    )
    return render(request, "reader/reader.html", context)


@login_required
@require_safe
def reader_entry(request: HttpRequest, entry_id: int) -> HttpResponse:
    """/reader/entries/<id>/ ("Open in Tidings"): the entry in the reader if the user can
    read it; otherwise, for a public directory entry, its public page offering to subscribe.
    """
    target = ui_selectors.reader_entry_target(user=request.user, entry_id=entry_id)
    if target.subscription_id is not None or target.readable:
        query = {"show": "all", "entry": entry_id}
        if target.subscription_id is not None:
            query["sub"] = target.subscription_id
        return redirect(f"{reverse('reader')}?{urlencode(query)}")
    if target.public:
        messages.info(request, _("Subscribe to this source to read it in your reader."))
        return redirect("public_source", target.source_id)
    raise Http404("No such entry")


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("reader")


@login_required
@require_POST
def reader_entry_action(request: HttpRequest, entry_id: int) -> HttpResponse:
    """POST fallback (no JavaScript) for read/unread/star/unstar on one entry."""
    from reader import services

    action = request.POST.get("action", "")
    if action in ("read", "unread"):
        services.entries_set_read(user=request.user, entry_ids=[entry_id], read=action == "read")
    elif action in ("star", "unstar"):
        services.entries_set_starred(
            user=request.user, entry_ids=[entry_id], starred=action == "star"
        )
    return redirect(_next_url(request))


@login_required
@require_POST
def reader_mark_all_read(request: HttpRequest) -> HttpResponse:
    """POST fallback (no JavaScript): mark all read (everything, a subscription or a category)."""
    from reader import services

    def _id(name: str) -> int | None:
        value = request.POST.get(name, "")
        return int(value) if value.isdigit() and len(value) < 19 else None

    before = parse_datetime(request.POST.get("before", "")) if request.POST.get("before") else None
    services.mark_all_read(
        user=request.user,
        subscription_id=_id("subscription_id"),
        category_id=_id("category_id"),
        before=before,
    )
    messages.success(request, _("All marked as read"))
    return redirect(_next_url(request))


# --- Directory (POST fallbacks; the script calls the REST API) ------------------------


@login_required
@require_POST
def directory_subscribe(request: HttpRequest) -> HttpResponse:
    """Subscribe to a directory source (no-JavaScript fallback of the one-click button)."""
    from reader import services

    source = ui_selectors.directory_source_get(source_id=request.POST.get("source_id", ""))
    try:
        services.subscription_create(user=request.user, url=source.feed_url, discover=False)
        messages.success(request, _("Subscribed to %(title)s.") % {"title": source.title})
    except ReaderError as exc:
        messages.error(request, reader_error_message(exc))
    return redirect(f"{reverse('directory')}#source-{source.pk}")


@login_required
@require_POST
def directory_unsubscribe(request: HttpRequest) -> HttpResponse:
    """Unsubscribe from a directory source (no-JavaScript fallback)."""
    from reader import services

    sub_id = request.POST.get("subscription_id", "")
    services.subscription_delete(user=request.user, subscription_id=sub_id)
    messages.success(request, _("Unsubscribed."))
    return redirect(f"{reverse('directory')}#source-{request.POST.get('source_id', '')}")


_ERROR_MESSAGES = {
    "invalid_url": gettext_lazy(
        "That is not a web address. Paste a link starting with http:// or https://."
    ),
    "subscription_exists": gettext_lazy("You already follow this feed."),
    "discovery_choice": gettext_lazy("This site offers several feeds: pick one."),
    "feed_not_found": gettext_lazy("No feed was found at that address."),
    "feed_unreachable": gettext_lazy(
        "The site could not be reached. Check the address or try later."
    ),
    "category_exists": gettext_lazy("You already have a category with that name."),
    "opml_invalid": gettext_lazy("The file is not a readable OPML file."),
    "opml_too_large": gettext_lazy("The file is too large (the limit is 5 MiB)."),
}


def reader_error_message(exc: ReaderError) -> str:
    """A translated, plain-words message for a reading service error."""
    text = _ERROR_MESSAGES.get(getattr(exc, "code", ""))
    if text is None:
        return exc.message
    line = getattr(exc, "line", None)
    if line:
        return f"{text} " + _("It breaks at line %(line)s.") % {"line": line}
    return str(text)


# --- Subscriptions management ------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def subscriptions(request: HttpRequest) -> HttpResponse:
    """/subscriptions/: add by URL or site URL (choosing among discovered feeds), and the list
    with status, edit, unsubscribe and bulk actions."""
    from reader import services

    candidates: list = []
    url = (request.POST.get("url") or "").strip()
    category_id = _post_id(request, "category")
    if request.method == "POST":
        try:
            sub = services.subscription_create(user=request.user, url=url, category=category_id)
            messages.success(request, _("Subscribed to %(title)s.") % {"title": str(sub)})
            return redirect(f"{reverse('reader')}?show=all&sub={sub.pk}")
        except DiscoveryChoice as exc:
            candidates = exc.candidates
        except ReaderError as exc:
            messages.error(request, reader_error_message(exc))
    query = (request.GET.get("q") or "").replace("\x00", "").strip()[:200]
    filter_category = _int_param(request, "category")
    page = ui_selectors.subscription_page(
        user=request.user, page=request.GET.get("page"), q=query, category_id=filter_category
    )
    context = {
        "page": page,
        "subscriptions": page.object_list,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2),
        "filter_q": query,
        "filter_category": filter_category,
        "filtered": bool(query) or filter_category is not None,
        "return_query": _subscriptions_query(request.GET),
        "categories": list(ui_selectors.selectors.category_list(user=request.user)),
        "candidates": candidates,
        "url": url,
        "category_id": category_id,
    }
    return render(request, "reader/subscriptions.html", context)


def _subscriptions_query(params) -> str:
    """The list's own parameters (filter, page) of ``params`` as a query string, so that an
    action on /subscriptions/ comes back to the same page."""
    from urllib.parse import urlencode

    kept = {k: params.get(k, "")[:200] for k in ("q", "category", "page") if params.get(k)}
    return urlencode(kept)


def _subscriptions_back(request: HttpRequest) -> HttpResponse:
    """Redirect to /subscriptions/ with the filter and page the form was posted from."""
    from django.http import QueryDict

    query = _subscriptions_query(QueryDict(request.POST.get("return", "")[:1000]))
    return redirect(f"{reverse('subscriptions')}?{query}" if query else reverse("subscriptions"))


def _post_id(request: HttpRequest, name: str) -> int | None:
    value = request.POST.get(name, "")
    return int(value) if value.isdigit() and len(value) < 19 else None


@login_required
@require_POST
def subscription_edit(request: HttpRequest, subscription_id: int) -> HttpResponse:
    """Change a subscription's title and category (a new category may be typed in)."""
    from reader import services

    category_id = _post_id(request, "category")
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
    from reader import services

    services.subscription_delete(user=request.user, subscription_id=subscription_id)
    messages.success(request, _("Unsubscribed."))
    return redirect("subscriptions")


@login_required
@require_POST
def subscriptions_bulk(request: HttpRequest) -> HttpResponse:
    """Move the selected subscriptions to a category, or unsubscribe from them."""
    from reader import services

    ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit() and len(v) < 19]
    action = request.POST.get("action")
    if not ids:
        messages.error(request, _("Select at least one subscription."))
        return _subscriptions_back(request)
    category_id = _post_id(request, "category")
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


# --- Search ------------------------------------------------------------------------------


@login_required
@require_safe
def search(request: HttpRequest) -> HttpResponse:
    """/search/?q=...: the user's entries matching the query, best first, terms highlighted."""
    query = (request.GET.get("q") or "").replace("\x00", "").strip()[:500]  # no NUL in SQL
    offset = _int_param(request, "offset") or 0
    page = None
    if query:
        try:
            page = ui_selectors.search_results(user=request.user, q=query, offset=offset)
        except InvalidInput:
            page = None
    context = {"search_query": query, "page": page, "offset": offset}
    return render(request, "reader/search.html", context)


# --- Settings: OPML import ------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def settings_import(request: HttpRequest) -> HttpResponse:
    """/settings/import/: upload an OPML file; the page follows the job's progress.

    With JavaScript the form posts to the REST API and polls the job; without it
    this view starts the import and shows the latest jobs (reload to follow).
    """
    from reader import services

    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Choose an OPML file to import."))
        else:
            try:
                services.opml_import_start(
                    user=request.user, data=upload.read(), filename=upload.name
                )
                messages.success(request, _("Import started."))
            except ReaderError as exc:
                messages.error(request, reader_error_message(exc))
        return redirect("settings_import")
    jobs = ui_selectors.selectors.import_job_list(user=request.user)[:5]
    return render(request, "settings/import.html", {"jobs": jobs, "current": "import"})
