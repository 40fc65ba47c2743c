"""One handler per Miniflux API route: parse, call one service or selector, shape.

Handlers take ``(request, user, **route ids)`` and run inside ``base.resource`` (which
authenticates and maps errors). Statuses follow Miniflux: 200 reads, 201 for created or
modified objects (with the object), 204 for writes without a body. Another user's feed,
category or entry answers 404 exactly like an unknown one.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from accounts.ratelimit import Limit
from reader import fetching, selectors, services
from reader.api.compat.integer_ids import entry_id_from_integer
from reader.api.miniflux import shapes
from reader.api.miniflux.base import (
    MinifluxError,
    bad_request,
    body_id,
    body_text,
    json_body,
    json_response,
    no_content,
    query_bool,
)
from reader.api.miniflux.entries import entry_list_json, feeds_by_id
from reader.errors import (
    CategoryExists,
    DiscoveryChoice,
    FeedNotFound,
    NotFound,
    SubscriptionExists,
)

#: Version reported by ``/v1/version``: the Miniflux API level this face follows.
API_VERSION = "2.2.0"
#: "Refresh now" requests per user and minute (they make Tidings fetch feeds).
REFRESH_LIMIT = Limit("miniflux-refresh", max_hits=10, period=60)
#: Most entry ids one ``PUT /v1/entries`` may name (sent to the services 1,000 at a time).
MAX_STATUS_IDS = 10_000


# --- Lookups -----------------------------------------------------------------------------


def _subscription(user: Any, feed_id: int) -> Any:
    """The user's subscription to feed ``feed_id``; NotFound otherwise."""
    sub = selectors.subscription_list(user=user).filter(feed_id=feed_id).first()
    if sub is None:
        raise NotFound("No such feed.")
    return sub


def _category(user: Any, category_id: int) -> Any:
    """The user's category ``category_id`` (None for 0, Uncategorized); NotFound otherwise."""
    if category_id == shapes.UNCATEGORIZED:
        return None
    return selectors.category_get(user=user, category_id=category_id)


def _entry(user: Any, integer_id: int) -> Any:
    """The entry with Miniflux id ``integer_id`` the user can read; NotFound otherwise."""
    entry_id = entry_id_from_integer(integer_id)
    if entry_id is None:
        raise NotFound("No such entry.")
    return selectors.entry_get(user=user, entry_id=entry_id)


def _entry_response(user: Any, entry: Any) -> HttpResponse:
    return json_response(shapes.entry_json(entry, user, feeds_by_id(user)))


# --- User --------------------------------------------------------------------------------


def me(request: HttpRequest, user: Any) -> HttpResponse:
    """``GET /v1/me``: the signed-in user."""
    return json_response(shapes.user_json(user))


def version(request: HttpRequest, user: Any) -> HttpResponse:
    """``GET /v1/version``: the API level (Flux News reads ``version`` to pick its calls)."""
    return json_response(
        {
            "version": API_VERSION,
            "commit": "tidings",
            "build_date": "",
            "go_version": "",
            "compiler": "tidings",
            "arch": "",
            "os": "",
        }
    )


def user_mark_all_read(request: HttpRequest, user: Any, user_id: int) -> HttpResponse:
    """``PUT /v1/users/<id>/mark-all-as-read``: everything read (only one's own id: 404)."""
    if user_id != user.pk:
        raise NotFound("No such user.")
    services.mark_all_read(user=user)
    return no_content()


# --- Categories --------------------------------------------------------------------------


def _categories(user: Any, *, counts: bool) -> list[dict[str, Any]]:
    subs = list(selectors.subscription_list(user=user))
    objects = []
    if any(sub.category_id is None for sub in subs):
        objects.append(shapes.category_json(None, user))
    objects += [shapes.category_json(c, user) for c in selectors.category_list(user=user)]
    if counts:
        unread = selectors.unread_counts(user=user)["categories"]
        for obj in objects:
            key = obj["id"] or None
            obj["feed_count"] = sum(1 for sub in subs if sub.category_id == key)
            obj["total_unread"] = unread.get(key, 0)
    return objects


def categories(request: HttpRequest, user: Any) -> HttpResponse:
    """``GET /v1/categories`` (``?counts=true``: ``feed_count`` and ``total_unread``).

    Uncategorized (id 0) is listed first when some subscription has no category.
    """
    return json_response(_categories(user, counts=bool(query_bool(request, "counts"))))


def _title(data: dict[str, Any]) -> str:
    title = body_text(data, "title")
    if title is None or not title.strip():
        raise bad_request(_("The category title is mandatory."))
    return title


def category_create(request: HttpRequest, user: Any) -> HttpResponse:
    """``POST /v1/categories`` ``{"title"}``: 201 with the category; 400 if the title exists."""
    title = _title(json_body(request))
    try:
        category = services.category_create(user=user, title=title)
    except CategoryExists as exists:
        raise bad_request(exists.message) from None
    return json_response(shapes.category_json(category, user), status=201)


def category_update(request: HttpRequest, user: Any, category_id: int) -> HttpResponse:
    """``PUT /v1/categories/<id>`` ``{"title"}``: rename; 201 with the category."""
    if category_id == shapes.UNCATEGORIZED:
        raise NotFound("Uncategorized cannot be renamed.")
    selectors.category_get(user=user, category_id=category_id)
    title = _title(json_body(request))
    try:
        category = services.category_rename(user=user, category_id=category_id, title=title)
    except CategoryExists as exists:
        raise bad_request(exists.message) from None
    return json_response(shapes.category_json(category, user), status=201)


def category_delete(request: HttpRequest, user: Any, category_id: int) -> HttpResponse:
    """``DELETE /v1/categories/<id>``: 204; its feeds move to Uncategorized (kept)."""
    if category_id == shapes.UNCATEGORIZED:
        raise NotFound("Uncategorized cannot be deleted.")
    services.category_delete(user=user, category_id=category_id)
    return no_content()


def category_mark_all_read(request: HttpRequest, user: Any, category_id: int) -> HttpResponse:
    """``PUT /v1/categories/<id>/mark-all-as-read``: 204 (0: Uncategorized)."""
    _category(user, category_id)
    services.mark_all_read(user=user, category_id=category_id)
    return no_content()


def category_feeds(request: HttpRequest, user: Any, category_id: int) -> HttpResponse:
    """``GET /v1/categories/<id>/feeds``: the feeds in one category (0: Uncategorized)."""
    _category(user, category_id)
    subs = selectors.subscription_list(user=user, category_id=category_id)
    return json_response([shapes.feed_json(sub, user) for sub in subs])


def category_entries(request: HttpRequest, user: Any, category_id: int) -> HttpResponse:
    """``GET /v1/categories/<id>/entries``: entries of one category (filters as /v1/entries)."""
    _category(user, category_id)
    return json_response(entry_list_json(request, user, category_id=category_id))


def category_entry(request: HttpRequest, user: Any, category_id: int, entry_id: int):
    """``GET /v1/categories/<id>/entries/<entry id>``: one entry of that category."""
    _category(user, category_id)
    entry = _entry(user, entry_id)
    if entry.subscription_id is None or (entry.category_id or 0) != category_id:
        raise NotFound("No such entry in this category.")
    return _entry_response(user, entry)


# --- Feeds -------------------------------------------------------------------------------


def feeds(request: HttpRequest, user: Any) -> HttpResponse:
    """``GET /v1/feeds``: every subscription as a Miniflux feed."""
    return json_response(
        [shapes.feed_json(s, user) for s in selectors.subscription_list(user=user)]
    )


def feed_create(request: HttpRequest, user: Any) -> HttpResponse:
    """``POST /v1/feeds`` ``{"feed_url", "category_id"}``: subscribe; 201 ``{"feed_id"}``.

    ``category_id`` absent or 0: Uncategorized. A site address is discovered as in the web
    form; a site with several feeds is a 400 that names them (apps ask ``/v1/discover``).
    400 when already subscribed, 404 for a category the user does not have.
    """
    data = json_body(request)
    url = (body_text(data, "feed_url") or "").strip()
    if not url:
        raise bad_request(_("The feed URL is mandatory."))
    category_id = body_id(data, "category_id") or None
    try:
        sub = services.subscription_create(user=user, url=url, category=category_id)
    except SubscriptionExists as exists:
        raise bad_request(exists.message) from None
    except DiscoveryChoice as choice:
        urls = ", ".join(c.url for c in choice.candidates)
        raise bad_request(f"{choice.message} {urls}") from None
    return json_response({"feed_id": sub.feed_id}, status=201)


def feed(request: HttpRequest, user: Any, feed_id: int) -> HttpResponse:
    """``GET /v1/feeds/<id>``: one subscription as a Miniflux feed."""
    return json_response(shapes.feed_json(_subscription(user, feed_id), user))


def feed_update(request: HttpRequest, user: Any, feed_id: int) -> HttpResponse:
    """``PUT /v1/feeds/<id>`` ``{"title", "category_id"}``: rename or move; 201 with the feed.

    As Miniflux: an empty title and a ``category_id`` of 0 change nothing; other fields
    (rules, credentials of the feed...) are accepted and ignored (Tidings has no such
    per-user settings). 404 for a category the user does not have.
    """
    sub = _subscription(user, feed_id)
    data = json_body(request)
    changes: dict[str, Any] = {}
    title = body_text(data, "title")
    if title and title.strip():
        changes["title"] = title
    category_id = body_id(data, "category_id")
    if category_id:
        changes["category_id"] = category_id
    if changes:
        services.subscription_update(user=user, subscription_id=sub.pk, **changes)
    return json_response(shapes.feed_json(_subscription(user, feed_id), user), status=201)


def feed_delete(request: HttpRequest, user: Any, feed_id: int) -> HttpResponse:
    """``DELETE /v1/feeds/<id>``: unsubscribe; 204 (starred entries stay readable)."""
    services.subscription_delete(user=user, subscription_id=_subscription(user, feed_id).pk)
    return no_content()


def _refresh_allowed(user: Any) -> None:
    if REFRESH_LIMIT.exceeded(str(user.pk)):
        error = MinifluxError(429, _("Too many refresh requests. Try again in a minute."))
        error.retry_after = REFRESH_LIMIT.retry_after(str(user.pk))
        raise error
    REFRESH_LIMIT.hit(str(user.pk))


def feed_refresh(request: HttpRequest, user: Any, feed_id: int) -> HttpResponse:
    """``PUT /v1/feeds/<id>/refresh``: fetch the feed now, on a worker; 204.

    ``reader.fetching.subscription_retry`` (a feed Tidings stopped is resumed; one an
    administrator disabled is a 400). At most REFRESH_LIMIT per user and minute (429).
    """
    sub = _subscription(user, feed_id)
    _refresh_allowed(user)
    fetching.subscription_retry(user=user, subscription_id=sub.pk)
    return no_content()


def feeds_refresh(request: HttpRequest, user: Any) -> HttpResponse:
    """``PUT /v1/feeds/refresh``: 204. Miniflux queues the feeds that are due; Tidings'
    scheduler already fetches every due feed within a minute, so nothing more is queued."""
    return no_content()


def feed_counters(request: HttpRequest, user: Any) -> HttpResponse:
    """``GET /v1/feeds/counters``: ``{"reads": {feed id: n}, "unreads": {feed id: n}}``."""
    unread = selectors.unread_counts(user=user)["subscriptions"]
    totals = selectors.entry_totals(user=user)
    reads, unreads = {}, {}
    for sub in selectors.subscription_list(user=user):
        unreads[str(sub.feed_id)] = unread.get(sub.pk, 0)
        reads[str(sub.feed_id)] = max(0, totals.get(sub.pk, 0) - unread.get(sub.pk, 0))
    return json_response({"reads": reads, "unreads": unreads})


def feed_icon(request: HttpRequest, user: Any, feed_id: int) -> HttpResponse:
    """``GET /v1/feeds/<id>/icon``: ``{"id", "mime_type", "data": "<type>;base64,..."}``."""
    return json_response(shapes.icon_json(_subscription(user, feed_id).feed))


def icon(request: HttpRequest, user: Any, icon_id: int) -> HttpResponse:
    """``GET /v1/icons/<icon id>``: an icon id is the feed id of one of the user's feeds."""
    return json_response(shapes.icon_json(_subscription(user, icon_id).feed))


def feed_mark_all_read(request: HttpRequest, user: Any, feed_id: int) -> HttpResponse:
    """``PUT /v1/feeds/<id>/mark-all-as-read``: 204."""
    services.mark_all_read(user=user, subscription_id=_subscription(user, feed_id).pk)
    return no_content()


def feed_entries(request: HttpRequest, user: Any, feed_id: int) -> HttpResponse:
    """``GET /v1/feeds/<id>/entries``: entries of one feed (filters as /v1/entries)."""
    _subscription(user, feed_id)
    return json_response(entry_list_json(request, user, feed_id=feed_id))


def feed_entry(request: HttpRequest, user: Any, feed_id: int, entry_id: int) -> HttpResponse:
    """``GET /v1/feeds/<id>/entries/<entry id>``: one entry of that feed."""
    _subscription(user, feed_id)
    entry = _entry(user, entry_id)
    if entry.feed_id != feed_id:
        raise NotFound("No such entry in this feed.")
    return _entry_response(user, entry)


# --- Entries -----------------------------------------------------------------------------


def entries(request: HttpRequest, user: Any) -> HttpResponse:
    """``GET /v1/entries``: ``{"total", "entries"}`` (``reader.api.miniflux.entries``)."""
    return json_response(entry_list_json(request, user))


def _entry_ids(data: dict[str, Any]) -> list[int]:
    values = data.get("entry_ids")
    if not isinstance(values, list) or not values:
        raise bad_request(_("The list of entries cannot be empty."))
    if len(values) > MAX_STATUS_IDS:
        raise bad_request(
            _("At most %(count)s entries per call.") % {"count": f"{MAX_STATUS_IDS:,}"}
        )
    ids = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad_request(_("Entry ids must be integers."))
        entry_id = entry_id_from_integer(value)
        if entry_id is not None:  # ids that name no entry are skipped, as foreign ones
            ids.append(entry_id)
    return ids


def entries_set_status(request: HttpRequest, user: Any) -> HttpResponse:
    """``PUT /v1/entries`` ``{"entry_ids": [...], "status": "read"|"unread"}``: 204.

    Ids of entries the user cannot read are skipped (nothing is told about them), as the
    services do for every batch.
    """
    data = json_body(request)
    ids = _entry_ids(data)
    status = body_text(data, "status")
    if status not in ("read", "unread"):
        raise bad_request(_('Invalid entry status, valid status values are: "read" and "unread".'))
    for start in range(0, len(ids), services.MAX_BATCH_IDS):
        chunk = ids[start : start + services.MAX_BATCH_IDS]
        services.entries_set_read(user=user, entry_ids=chunk, read=status == "read")
    return no_content()


def entry(request: HttpRequest, user: Any, entry_id: int) -> HttpResponse:
    """``GET /v1/entries/<id>``: one entry."""
    return _entry_response(user, _entry(user, entry_id))


def entry_bookmark(request: HttpRequest, user: Any, entry_id: int) -> HttpResponse:
    """``PUT /v1/entries/<id>/bookmark``: star an unstarred entry, unstar a starred one; 204."""
    found = _entry(user, entry_id)
    services.entries_set_starred(user=user, entry_ids=[found.pk], starred=not found.is_starred)
    return no_content()


# --- OPML and discovery ----------------------------------------------------------------


def opml_export(request: HttpRequest, user: Any) -> HttpResponse:
    """``GET /v1/export``: the subscriptions as OPML 2.0 (``reader.services.opml_export``)."""
    body = services.opml_export(user=user)
    return HttpResponse(body, content_type="application/xml; charset=utf-8")


def opml_import(request: HttpRequest, user: Any) -> HttpResponse:
    """``POST /v1/import`` with the OPML document as the body: 201 once the file is checked.

    The subscriptions are created on a worker (``reader.services.opml_import_start``), so
    they appear within moments; a file that is not OPML is a 400, one too large a 413.
    """
    data = request.body
    if not data.strip():
        raise bad_request(_("The request body must be an OPML document."))
    services.opml_import_start(user=user, data=data, filename="miniflux-import.opml")
    return json_response({"message": _("Feeds imported successfully")}, status=201)


def discover(request: HttpRequest, user: Any) -> HttpResponse:
    """``POST /v1/discover`` ``{"url"}``: ``[{"url", "title", "type"}]`` of the feeds there.

    ``reader.services.feeds_discover`` (the URL itself when it is a feed, else the feeds its
    page links to). No feed found: 404, as Miniflux; a bad or unreachable URL: 400.
    """
    _refresh_allowed(user)
    url = (body_text(json_body(request), "url") or "").strip()
    if not url:
        raise bad_request(_("The URL is mandatory."))
    try:
        candidates = services.feeds_discover(url=url)
    except FeedNotFound:
        candidates = []
    if not candidates:
        raise NotFound("No feed found.")
    return json_response(
        [{"url": c.url, "title": c.title or c.url, "type": _feed_type(c.type)} for c in candidates]
    )


def _feed_type(content_type: str) -> str:
    """Miniflux's subscription ``type`` (rss, atom, json) for a candidate's content type."""
    content_type = (content_type or "").lower()
    if "atom" in content_type:
        return "atom"
    if "json" in content_type:
        return "json"
    return "rss"
