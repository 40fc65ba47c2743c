"""The Google Reader API as FreshRSS and Miniflux implement it (specs/client-apis.md).

Mounted at ``/api/greader/`` and at the FreshRSS-style ``/api/greader.php/``.
Authentication: ``ClientLogin`` with the user's client password returns a
stable token; every call sends ``Authorization: GoogleLogin auth=<token>`` (on
POST a ``T`` parameter is accepted instead). Writes answer ``OK``; failures to
authenticate answer 401 with both bad-token header spellings; unknown calls
under ``reader/api/0/`` answer 200 ``[]``. All reads and writes go through
``reader.selectors`` / ``reader.services`` like the web pages and REST API.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from django.db.models import OuterRef, Subquery
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt

from accounts import services as accounts
from accounts.authentication import remember_client_password, remembered_client_password
from accounts.ratelimit import CredentialLock, RateLimited, account_of, client_ip
from feeds.media_proxy import for_apps
from feeds.models import Entry
from reader import selectors, services
from reader.api.compat import app_icons, queries
from reader.api.compat.item_ids import (
    LABEL_PREFIX,
    READ,
    READING_LIST,
    STARRED,
    Stream,
    item_id_long,
    parse_item_ids,
    parse_stream_id,
)
from reader.errors import DiscoveryChoice, NotFound, ReaderError, SubscriptionExists
from reader.models import Category, Subscription
from reader.user_language import user_language_override

#: Default and largest ``n`` for stream/contents (entries with content).
CONTENTS_DEFAULT, CONTENTS_MAX = 20, 1000
#: Default and largest ``n`` for stream/items/ids.
IDS_DEFAULT, IDS_MAX = 20, queries.MAX_ID_PAGE


class BadRequest(Exception):
    """A malformed parameter: answered 400 with a plain-text message."""


# --- Responses ---------------------------------------------------------------------------


def text_response(body: str, status: int = 200) -> HttpResponse:
    """A ``text/plain; charset=utf-8`` response (ClientLogin, edit-tag's ``OK``)."""
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


def unauthorized() -> HttpResponse:
    """401 as Google Reader clients expect it: both bad-token header spellings, plain text."""
    response = text_response("Unauthorized", status=401)
    response["Google-Bad-Token"] = "true"
    response["X-Reader-Google-Bad-Token"] = "true"
    response["WWW-Authenticate"] = 'GoogleLogin realm="tidings"'
    return response


def _json(request: HttpRequest, data: Any, *, conditional: bool = False) -> HttpResponse:
    """JSON response; with ``conditional`` an ETag (body hash) answered by 304 when unchanged."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    if conditional:
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        not_modified = get_conditional_response(request, etag=etag)
        if not_modified is not None:
            return not_modified
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        response["ETag"] = etag
        response["Last-Modified"] = http_date()
        response["Cache-Control"] = "private, no-cache"
        return response
    return HttpResponse(body, content_type="application/json; charset=utf-8")


# --- Authentication ----------------------------------------------------------------------


def without_nul(value: str) -> str:
    """Drop NUL characters: never meaningful here, and PostgreSQL text cannot hold them (500)."""
    return value.replace("\x00", "")


def param(request: HttpRequest, name: str, default: str = "") -> str:
    """Parameter ``name`` from the POST body, else the query string, NUL characters dropped."""
    if name in request.POST:
        return without_nul(request.POST.get(name, default))
    return without_nul(request.GET.get(name, default))


def _params(request: HttpRequest, name: str) -> list[str]:
    return [without_nul(v) for v in request.POST.getlist(name) + request.GET.getlist(name)]


def _header_token(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, rest = header.partition(" ")
    if scheme.lower() != "googlelogin":
        return ""
    key, _, value = rest.strip().partition("=")
    return value.strip() if key.strip().lower() == "auth" else ""


def too_many_attempts(limited: RateLimited) -> HttpResponse:
    """429 in ClientLogin's plain-text shape, with Retry-After (seconds)."""
    response = text_response("Error=TooManyAttempts\n", status=429)
    response["Retry-After"] = str(int(limited.retry_after))
    return response


@csrf_exempt
def client_login(request: HttpRequest) -> HttpResponse:
    """``accounts/ClientLogin``: ``Email`` + ``Passwd`` (client password) -> SID/LSID/Auth lines.

    JSON ``{SID, LSID, Auth}`` with ``output=json``; 401 on bad credentials; 429 with
    Retry-After when the shared credential lock (``accounts.ratelimit``, door
    ``"clientlogin"``) refuses the address or the account.
    """
    email, password = param(request, "Email").strip(), param(request, "Passwd")
    try:
        user = CredentialLock("clientlogin", client_ip(request)).guard(
            account=email, attempt=lambda: _client_password_user(email, password)
        )
    except RateLimited as limited:
        return too_many_attempts(limited)
    token = accounts.greader_auth_token(user=user) if user is not None else None
    if token is None:
        response = text_response("Error=BadAuthentication\n", status=401)
        response["Google-Bad-Token"] = "true"
        response["X-Reader-Google-Bad-Token"] = "true"
        return response
    if param(request, "output") == "json":
        return JsonResponse({"SID": token, "LSID": token, "Auth": token})
    return text_response(f"SID={token}\nLSID={token}\nAuth={token}\n")


def _client_password_user(username: str, password: str) -> Any:
    """The user whose client password this is, or None: remembered, else checked by its hash.

    A credential verified by ClientLogin or HTTP Basic is remembered for an hour
    (``accounts.authentication``: an HMAC of it in the cache, voided when the client password
    changes or the account is disabled), so apps that sign in again at every sync cost one
    cache read and one query instead of a PBKDF2 check (about 0.3 s of CPU; FreshRSS 31 ms).
    """
    user = remembered_client_password(username=username, password=password)
    if user is not None:
        return user
    user = accounts.client_password_check(username=username, password=password)
    if user is not None:
        remember_client_password(username=username, password=password, user=user)
    return user


def authenticate_request(request: HttpRequest) -> tuple[Any, str] | None:
    """(user, token) from the header, or on POST from ``T``; None when neither is valid.

    A door of the shared credential lock (``"greader-token"``): a token that does not verify
    counts as a failure of the client address (the token's user id is not trusted to name
    an account); raises RateLimited for a locked address or account.
    """
    lock = CredentialLock("greader-token", client_ip(request))
    lock.ensure_open()
    token = _header_token(request)
    if not token and request.method == "POST":
        token = param(request, "T")
    user = accounts.greader_user_for_token(token) if token else None
    if user is None:
        if token:
            lock.check()
            lock.failed()
        return None
    lock.admit(account_of(user))
    return user, token


def _edit_token_ok(request: HttpRequest, token: str) -> bool:
    """``T`` must match the token, except the empty and ``x`` values FeedMe and Reeder send."""
    value = param(request, "T").strip()
    return value in ("", "x") or value == token


# --- Dispatch ----------------------------------------------------------------------------


@csrf_exempt
def api(request: HttpRequest, path: str) -> HttpResponse:
    """``reader/api/0/<path>``: authenticate, then route to one handler."""
    if request.method == "OPTIONS":
        return HttpResponse(status=204)
    try:
        auth = authenticate_request(request)
    except RateLimited as limited:
        return too_many_attempts(limited)
    if auth is None:
        return unauthorized()
    user, token = auth
    path = re.sub(r"/{2,}", "/", path).strip("/")
    if path.startswith("stream/contents"):
        handler, stream = _stream_contents, path[len("stream/contents") :].lstrip("/")
        request.stream_path = stream
    else:
        handler = _ROUTES.get(path)
    if handler is None:
        return _json(request, [])
    if path in _WRITES:
        if request.method != "POST":
            return text_response("Method Not Allowed", status=405)
        if not _edit_token_ok(request, token):
            return unauthorized()
    try:
        with user_language_override(user):  # quickadd errors in the user's language
            return handler(request, user, token)
    except (BadRequest, ReaderError, ValueError) as exc:
        return text_response(f"Error={error_message(exc)}", status=400)
    except NotFound:
        return text_response("Not Found", status=404)


@csrf_exempt
def root(request: HttpRequest) -> HttpResponse:
    """The bare prefix (``GET /api/greader``, ``/api/greader.php``): plain-text ``OK``, as
    FreshRSS answers, so apps that probe the URL the user typed accept it."""
    if request.method == "OPTIONS":
        return HttpResponse(status=204)
    return text_response("OK")


def error_message(exc: Exception) -> str:
    """The readable message of ``exc``: its ``message``, else its text, else its type name."""
    return getattr(exc, "message", None) or str(exc) or type(exc).__name__


# --- Simple reads ------------------------------------------------------------------------


def _user_info(request, user, token):
    return _json(
        request,
        {
            "userId": str(user.pk),
            "userName": user.get_username(),
            "userProfileId": str(user.pk),
            "userEmail": user.email,
        },
    )


def _token(request, user, token):
    return text_response(token)


def _tag_list(request, user, token):
    """The starred state, then one ``{id, label, type: "folder"}`` per category.

    As FreshRSS: ``unread_count`` belongs to tags (``type: "tag"``) only, never to folders (a
    client library rejects folders that carry it); categories are folders, and Tidings has
    no per-item tags, so no object carries ``unread_count`` (unread-count gives the counts).
    """
    tags: list[dict[str, Any]] = [{"id": STARRED}]
    for category in selectors.category_list(user=user):
        tags.append(
            {"id": LABEL_PREFIX + category.title, "label": category.title, "type": "folder"}
        )
    return _json(request, {"tags": tags}, conditional=True)


def _subscription_json(request: HttpRequest, sub: Subscription) -> dict[str, Any]:
    categories = []
    if sub.category is not None:
        categories.append({"id": LABEL_PREFIX + sub.category.title, "label": sub.category.title})
    return {
        "id": f"feed/{sub.feed_id}",
        "title": sub.title or sub.feed.title or sub.feed.url,
        "categories": categories,
        "url": sub.feed.url,
        "htmlUrl": sub.feed.site_url or sub.feed.url,
        "iconUrl": app_icons.icon_url(request, sub.feed_id),
        "sortid": f"{sub.pk:08X}",
        "firstitemmsec": str(int(sub.created_at.timestamp() * 1000)),
    }


def _subscription_list(request, user, token):
    subs = [_subscription_json(request, s) for s in selectors.subscription_list(user=user)]
    return _json(request, {"subscriptions": subs}, conditional=True)


#: Google Reader's times count from the Unix epoch.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _usec(value: datetime | None) -> str:
    """``value`` in microseconds since the epoch, as decimal text ("0" for None); exact."""
    if value is None:
        return "0"
    return str((selectors.utc_datetime(value) - EPOCH) // timedelta(microseconds=1))


def _msec(value: datetime) -> str:
    """``value`` in milliseconds since the epoch, as decimal text (``_usec`` truncated)."""
    return str(int(_usec(value)) // 1000)


def _unread_count(request, user, token):
    counts = selectors.unread_counts(user=user)
    newest: dict[int, datetime | None] = {}
    rows = []
    by_category: dict[int, datetime | None] = {}
    for sub_id, feed_id, category_id, stamp in _subscriptions_with_newest(user):
        newest[feed_id] = stamp
        rows.append(
            {
                "id": f"feed/{feed_id}",
                "count": counts["subscriptions"].get(sub_id, 0),
                "newestItemTimestampUsec": _usec(stamp),
            }
        )
        if category_id is not None and stamp is not None:
            prev = by_category.get(category_id)
            by_category[category_id] = max(prev, stamp) if prev else stamp
    for category in selectors.category_list(user=user):
        rows.append(
            {
                "id": LABEL_PREFIX + category.title,
                "count": counts["categories"].get(category.pk, 0),
                "newestItemTimestampUsec": _usec(by_category.get(category.pk)),
            }
        )
    stamps = [s for s in newest.values() if s]
    rows.append(
        {
            "id": READING_LIST,
            "count": counts["total"],
            "newestItemTimestampUsec": _usec(max(stamps) if stamps else None),
        }
    )
    return _json(request, {"max": counts["total"], "unreadcounts": rows}, conditional=True)


def _subscriptions_with_newest(user) -> list[tuple[int, int, int | None, datetime | None]]:
    """(subscription id, feed id, category id, newest entry's first-seen time) of each of the
    user's subscriptions, in the subscription list's order (position, id); one query.

    The time is the feed's newest ``Entry.created_at`` (None: no entry yet), one backward
    probe of the index ``entry_feed_created_idx`` (feed_id, created_at) per subscription,
    instead of a MAX over every entry of every subscribed feed (50,000 rows for 1,000 feeds of
    50). Only these columns are read: loading each subscription with its feed (seven
    timestamps a row, converted in Python) cost more than the counts (bench.production).
    """
    newest = (
        Entry.objects.filter(feed_id=OuterRef("feed_id"))
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    rows = (
        Subscription.objects.filter(user=user)
        .annotate(newest=Subquery(newest))
        .order_by("position", "id")
        .values_list("id", "feed_id", "category_id", "newest")
    )
    return list(rows)


# --- Streams -----------------------------------------------------------------------------


def subscription_for_feed(user, value: str) -> Subscription:
    """The user's subscription to ``feed/<value>`` (numeric feed id or feed URL); NotFound."""
    qs = Subscription.objects.filter(user=user)
    sub = (
        qs.filter(feed_id=int(value)).first()
        if value.isdigit()
        else qs.filter(feed__url=value).first()
    )
    if sub is None:
        raise NotFound("No such feed.")
    return sub


def _category_named(user, name: str) -> Category:
    category = Category.objects.filter(user=user, title=name).first()
    if category is None:
        raise NotFound("No such label.")
    return category


def stream_filters(request: HttpRequest, user, stream: Stream) -> dict[str, Any]:
    """EntryFilters fields for a stream id plus xt/it/ot/nt/r (spec A4).

    ``ot`` / ``nt`` (Unix time in s, ms or µs) bound the first-seen time (inclusive /
    exclusive), the time ``timestampUsec`` reports; ``r=o`` lists oldest first.
    Raises NotFound for a feed or label the user lacks, BadRequest for a bad time.
    """
    f: dict[str, Any] = {"status": "all"}
    if stream.kind in ("starred", "read"):
        f["status"] = stream.kind
    elif stream.kind in ("unread", "kept-unread"):
        f["status"] = "unread"
    elif stream.kind == "feed":
        f["subscription_id"] = subscription_for_feed(user, stream.value).pk
    elif stream.kind == "label":
        f["category_id"] = _category_named(user, stream.value).pk
    elif stream.kind == "ignored":
        raise NotFound("No such stream.")
    excluded = {_safe_stream(x).kind for x in _params(request, "xt")}
    included = {_safe_stream(x).kind for x in _params(request, "it")}
    if f["status"] == "all":
        if "read" in excluded:
            f["status"] = "unread"
        elif "starred" in included:
            f["status"] = "starred"
        elif "read" in included:
            f["status"] = "read"
        elif "unread" in included or "kept-unread" in included:
            f["status"] = "unread"
    # Google Reader's times are first-seen times (docs/apps.md, "Time"): an item first
    # seen after a client's last sync is new to it, however old its publication date.
    for name, key in (("ot", "first_seen_after"), ("nt", "first_seen_before")):
        value = param(request, name).strip()
        if value:
            f[key] = _timestamp(value)
    f["sort"] = "oldest" if param(request, "r") == "o" else "newest"
    return f


def _safe_stream(value: str) -> Stream:
    try:
        return parse_stream_id(value)
    except ValueError:
        return Stream("ignored", value)


def _timestamp(value: str) -> datetime:
    """A Unix time in seconds, milliseconds or microseconds (by digit count) as aware UTC.

    Exact (integer arithmetic), so a ``timestampUsec`` sent back as ``ot`` names the
    same instant; negative times count as the epoch. BadRequest for anything else.
    """
    try:
        number = max(0, int(value) if value.lstrip("-").isdigit() else int(float(value)))
    except (ValueError, OverflowError) as exc:
        raise BadRequest(f"{value!r} is not a Unix time") from exc
    digits = len(str(number))
    unit = "microseconds" if digits >= 16 else "milliseconds" if digits >= 13 else "seconds"
    try:
        return EPOCH + timedelta(**{unit: number})
    except OverflowError as exc:
        raise BadRequest(f"{value!r} is out of range") from exc


def count_param(request: HttpRequest, default: int, cap: int) -> int:
    """The ``n`` parameter (items per page) clamped to 1..``cap``; ``default`` when absent.

    Raises ``BadRequest`` (400) when ``n`` is not a number.
    """
    raw = param(request, "n").strip()
    if not raw:
        return default
    try:
        return max(1, min(int(raw), cap))
    except ValueError as exc:
        raise BadRequest("n must be a number") from exc


def item_json(entry, labels: dict[int, str]) -> dict[str, Any]:
    """One item in the ``stream/contents`` shape (categories, origin, timestamps, content).

    ``entry`` carries the per-user flags of ``reader.selectors`` entries; ``labels`` is
    ``category_labels(user)``.
    """
    categories = [READING_LIST]
    label = labels.get(entry.category_id)
    if label:
        categories.append(LABEL_PREFIX + label)
    if entry.is_read:
        categories.append(READ)
    if entry.is_starred:
        categories.append(STARRED)
    content = {"content": for_apps(entry.content or entry.summary), "direction": "ltr"}
    item = {
        "id": item_id_long(entry.pk),
        "crawlTimeMsec": _msec(entry.created_at),
        "timestampUsec": _usec(entry.created_at),
        "published": int(entry.published_at.timestamp()),
        "updated": int((entry.updated_at or entry.published_at).timestamp()),
        "title": entry.display_title,
        "author": entry.author,
        "canonical": [{"href": entry.url}] if entry.url else [],
        "alternate": [{"href": entry.url, "type": "text/html"}] if entry.url else [],
        "summary": content,
        "content": content,
        "categories": categories,
        "origin": {
            "streamId": f"feed/{entry.feed_id}",
            "title": entry.subscription_title,
            "htmlUrl": entry.feed.site_url or entry.feed.url,
        },
        "enclosure": [
            {
                "href": for_apps(e.get("url", ""), address=True),
                "type": e.get("type", ""),
                **_length(e),
            }
            for e in (entry.enclosures or [])
            if e.get("url")
        ],
    }
    return item


def _length(enclosure: dict) -> dict[str, str]:
    length = enclosure.get("length")
    return {"length": str(length)} if length else {}


def category_labels(user) -> dict[int, str]:
    """The user's categories as ``{category id: title}`` (Google Reader labels); one query."""
    return dict(Category.objects.filter(user=user).values_list("pk", "title"))


def _stream_object(stream_id: str, items: list[dict], continuation: str | None) -> dict:
    data: dict[str, Any] = {
        "id": stream_id,
        "updated": int(datetime.now(tz=UTC).timestamp()),
        "items": items,
    }
    if continuation:
        data["continuation"] = continuation
    return data


def _stream_contents(request, user, token):

    stream_id = param(request, "s") or without_nul(unquote(getattr(request, "stream_path", "")))
    stream_id = stream_id or READING_LIST
    filters = stream_filters(request, user, parse_stream_id(stream_id))
    page = selectors.entry_list(
        user=user,
        filters=filters,
        cursor=param(request, "c") or None,
        limit=min(count_param(request, CONTENTS_DEFAULT, CONTENTS_MAX), selectors.MAX_PAGE_SIZE),
    )
    labels = category_labels(user)
    items = [item_json(entry, labels) for entry in page.entries]
    return _json(request, _stream_object(stream_id, items, page.next_cursor))


def _stream_items_ids(request, user, token):
    stream_id = param(request, "s") or READING_LIST
    filters = stream_filters(request, user, parse_stream_id(stream_id))
    rows, continuation = queries.entry_id_page(
        user=user,
        filters=filters,
        cursor=param(request, "c") or None,
        limit=count_param(request, IDS_DEFAULT, IDS_MAX),
    )
    refs = [
        {"id": str(ref.id), "directStreamIds": [], "timestampUsec": _usec(ref.first_seen_at)}
        for ref in rows
    ]
    data: dict[str, Any] = {"itemRefs": refs}
    if continuation:
        data["continuation"] = continuation
    return _json(request, data, conditional=True)


def _item_ids_or_400(request: HttpRequest) -> list[int]:
    """The ``i`` values as entry ids (order kept, no repeats); BadRequest (400) when no value
    is a well-formed item id.

    Shared by ``stream/items/contents`` and ``edit-tag`` so both answer malformed ids the
    same way: malformed values among good ones are dropped (batch semantics), a request
    without any good one is a 400. Well-formed ids of unknown or foreign items are not
    errors (contents skips them, edit-tag changes nothing for them).
    """
    ids = parse_item_ids(_params(request, "i"))
    if not ids:
        raise BadRequest("no valid item id (i)")
    return ids


def _stream_items_contents(request, user, token):
    ids = _item_ids_or_400(request)
    entries = queries.entries_by_id(user=user, ids=ids)
    if param(request, "r") == "o":
        entries.sort(key=lambda e: (e.published_at, e.pk))
    labels = category_labels(user)
    items = [item_json(entry, labels) for entry in entries]
    return _json(request, _stream_object(READING_LIST, items, None))


# --- Writes ------------------------------------------------------------------------------


def _edit_tag(request, user, token):
    ids = _item_ids_or_400(request)
    for tag in _params(request, "a"):
        _apply_tag(user, ids, tag, add=True)
    for tag in _params(request, "r"):
        _apply_tag(user, ids, tag, add=False)
    return text_response("OK")


def _apply_tag(user, ids: list[int], tag: str, *, add: bool) -> None:
    kind = _safe_stream(tag).kind
    if kind == "read":
        services.entries_set_read(user=user, entry_ids=ids, read=add)
    elif kind == "kept-unread":
        services.entries_set_read(user=user, entry_ids=ids, read=not add)
    elif kind == "starred":
        services.entries_set_starred(user=user, entry_ids=ids, starred=add)
    # Labels on items, like, broadcast: accepted and ignored (no per-item tags here).


def _mark_all_as_read(request, user, token):
    stream = parse_stream_id(param(request, "s") or READING_LIST)
    ts = param(request, "ts").strip()
    before = _timestamp(ts) if ts else None
    if stream.kind == "feed":
        sub = subscription_for_feed(user, stream.value)
        services.mark_all_read(user=user, subscription_id=sub.pk, before=before)
    elif stream.kind == "label":
        category = _category_named(user, stream.value)
        services.mark_all_read(user=user, category_id=category.pk, before=before)
    elif stream.kind in ("reading-list", "unread"):
        services.mark_all_read(user=user, before=before)
    else:
        raise BadRequest(f"cannot mark {stream.kind} as read")
    return text_response("OK")


def _label_name(value: str) -> str:
    stream = parse_stream_id(value)
    if stream.kind != "label":
        raise BadRequest(f"{value!r} is not a label")
    return stream.value


def _rename_tag(request, user, token):
    category = _category_named(user, _label_name(param(request, "s")))
    dest = param(request, "dest")
    services.category_rename(user=user, category_id=category.pk, title=_label_name(dest))
    return text_response("OK")


def _disable_tag(request, user, token):
    for value in _params(request, "s"):
        category = _category_named(user, _label_name(value))
        services.category_delete(user=user, category_id=category.pk)
    return text_response("OK")


def _subscription_edit(request, user, token):
    action = param(request, "ac")
    streams = _params(request, "s")
    if not streams:
        raise BadRequest("no stream (s)")
    title = param(request, "t")
    add_label = param(request, "a")
    remove_label = param(request, "r")
    for value in streams:
        stream = parse_stream_id(value)
        if stream.kind != "feed":
            raise BadRequest(f"{value!r} is not a feed stream")
        if action == "subscribe":
            category = None
            if add_label:
                category, _ = services.category_get_or_create(
                    user=user, title=_label_name(add_label)
                )
            services.subscription_create(
                user=user, url=stream.value, category=category, title=title
            )
        elif action == "unsubscribe":
            sub = subscription_for_feed(user, stream.value)
            services.subscription_delete(user=user, subscription_id=sub.pk)
        elif action == "edit":
            _edit_subscription(user, stream.value, title, add_label, remove_label)
        else:
            raise BadRequest(f"unknown action {action!r}")
    return text_response("OK")


def _edit_subscription(user, value: str, title: str, add_label: str, remove_label: str) -> None:
    sub = subscription_for_feed(user, value)
    changes: dict[str, Any] = {}
    if title:
        changes["title"] = title
    if add_label:
        category, _ = services.category_get_or_create(user=user, title=_label_name(add_label))
        changes["category_id"] = category.pk
    elif remove_label and sub.category and sub.category.title == _label_name(remove_label):
        changes["category_id"] = None
    if changes:
        services.subscription_update(user=user, subscription_id=sub.pk, **changes)


def _quickadd(request, user, token):

    url = param(request, "quickadd").strip()
    if url.startswith("feed/"):
        url = url[len("feed/") :]
    try:
        try:
            sub = services.subscription_create(user=user, url=url)
        except DiscoveryChoice as choice:
            # Miniflux's behaviour: take the first feed the site offers.
            sub = services.subscription_create(user=user, url=choice.candidates[0].url)
    except SubscriptionExists as exists:
        sub = exists.subscription
    except ReaderError as exc:
        return _json(request, {"numResults": 0, "query": url, "error": exc.message})
    return _json(
        request,
        {
            "numResults": 1,
            "query": url,
            "streamId": f"feed/{sub.feed_id}",
            "streamName": sub.title or sub.feed.title or sub.feed.url,
        },
    )


def _subscription_export(request, user, token):
    response = HttpResponse(
        services.opml_export(user=user), content_type="text/x-opml; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="tidings.opml"'
    return response


def _subscription_import(request, user, token):
    data = request.FILES["opml"].read() if "opml" in request.FILES else request.body
    services.opml_import_start(user=user, data=data)
    return text_response("OK")


_ROUTES = {
    "user-info": _user_info,
    "token": _token,
    "tag/list": _tag_list,
    "subscription/list": _subscription_list,
    "subscription/edit": _subscription_edit,
    "subscription/quickadd": _quickadd,
    "subscription/export": _subscription_export,
    "subscription/import": _subscription_import,
    "unread-count": _unread_count,
    "stream/items/ids": _stream_items_ids,
    "stream/items/contents": _stream_items_contents,
    "edit-tag": _edit_tag,
    "mark-all-as-read": _mark_all_as_read,
    "rename-tag": _rename_tag,
    "disable-tag": _disable_tag,
}
_WRITES = {
    "subscription/edit",
    "subscription/quickadd",
    "subscription/import",
    "edit-tag",
    "mark-all-as-read",
    "rename-tag",
    "disable-tag",
}
__all__ = ["api", "client_login", "root"]
