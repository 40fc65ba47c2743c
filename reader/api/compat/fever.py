"""The Fever API (API version 3), as Miniflux and FreshRSS implement it (client-apis.md, Fever).

One endpoint, ``/api/fever/``. Every request carries ``api_key`` = lower-case
hex MD5 of ``"username:client password"``; bad keys answer HTTP 200 with
``auth: 0``. Read selectors come from the query string, writes from the POST
body (both are merged, as servers do). Saved (starred) marks are absolute,
not toggles. Feed ids are our feed ids; group ids are category ids; item ids
are entry ids (positive, growing with insertion time).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from django.db.models import Exists, Max, OuterRef
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from accounts import services as accounts
from accounts.ratelimit import CredentialLock, RateLimited, account_of, client_ip
from feeds.media_proxy import for_apps
from feeds.models import Feed
from feeds.pipeline.icons import icon_for_feed
from reader import selectors, services
from reader.api.compat import queries
from reader.errors import NotFound, ReaderError
from reader.models import EntryState, Subscription

#: Items per ``items`` call, as the Fever spec says.
ITEMS_PER_CALL = 50


def _param(request: HttpRequest, name: str) -> str | None:
    if name in request.POST:
        return request.POST.get(name)
    return request.GET.get(name)


def _has(request: HttpRequest, name: str) -> bool:
    return name in request.GET or name in request.POST


def _int(value: str | None) -> int | None:
    try:
        return int(str(value).strip()) if value not in (None, "") else None
    except ValueError:
        return None


@csrf_exempt
def fever(request: HttpRequest) -> JsonResponse:
    """Answer one Fever call: authentication, then any writes, then every read selector asked."""
    data: dict[str, Any] = {"api_version": 3, "auth": 0}
    try:
        user = _authenticate(request)
    except RateLimited as limited:
        response = JsonResponse(data, status=429)
        response["Retry-After"] = str(int(limited.retry_after))
        return response
    if user is None:
        return JsonResponse(data)
    data["auth"] = 1
    data["last_refreshed_on_time"] = _last_refreshed(user)
    if _param(request, "mark"):
        _mark(request, user, data)
    if _has(request, "groups"):
        data["groups"] = _groups(user)
        data["feeds_groups"] = _feeds_groups(user)
    if _has(request, "feeds"):
        data["feeds"] = _feeds(user)
        data["feeds_groups"] = _feeds_groups(user)
    if _has(request, "favicons"):
        data["favicons"] = _favicons(user)
    if _has(request, "items"):
        data["items"] = _items(request, user)
        data["total_items"] = queries.visible_entry_count(user=user) - len(_unlisted_ids(user))
    if _has(request, "links"):
        data["links"] = []
    if _has(request, "unread_item_ids"):
        data["unread_item_ids"] = _ids(user, "unread")
    if _has(request, "saved_item_ids"):
        data["saved_item_ids"] = _ids(user, "starred")
    return JsonResponse(data)


def _authenticate(request: HttpRequest):
    """The user of the ``api_key``, or None; a door of the shared credential lock.

    A key that matches nobody counts as a failure of the client address (an MD5 names no
    account); a locked address or account raises RateLimited (answered 429 with
    Retry-After and the usual ``{"api_version": 3, "auth": 0}`` body).
    """
    lock = CredentialLock("fever", client_ip(request))
    lock.ensure_open()
    api_key = (_param(request, "api_key") or "").strip()
    user = accounts.fever_user_for_api_key(api_key) if api_key else None
    if user is None:
        if api_key:
            lock.check()
            lock.failed()
        return None
    lock.admit(account_of(user))
    return user


def _unix(value: datetime | None) -> int:
    return int(value.timestamp()) if value else 0


def _last_refreshed(user) -> int:
    stamp = Feed.objects.filter(subscriptions__user=user).aggregate(m=Max("last_fetched_at"))["m"]
    return _unix(stamp)


def _groups(user) -> list[dict[str, Any]]:
    return [{"id": c.pk, "title": c.title} for c in selectors.category_list(user=user)]


def _feeds_groups(user) -> list[dict[str, Any]]:
    groups: dict[int, list[str]] = {}
    for sub in selectors.subscription_list(user=user):
        if sub.category_id is not None:
            groups.setdefault(sub.category_id, []).append(str(sub.feed_id))
    return [{"group_id": gid, "feed_ids": ",".join(ids)} for gid, ids in groups.items()]


def _feeds(user) -> list[dict[str, Any]]:
    return [
        {
            "id": sub.feed_id,
            "favicon_id": sub.feed_id,
            "title": sub.title or sub.feed.title or sub.feed.url,
            "url": sub.feed.url,
            "site_url": sub.feed.site_url or sub.feed.url,
            "is_spark": 0,
            "last_updated_on_time": _unix(sub.feed.last_success_at or sub.feed.last_fetched_at),
        }
        for sub in selectors.subscription_list(user=user)
    ]


def _favicons(user) -> list[dict[str, Any]]:
    feeds = Feed.objects.filter(subscriptions__user=user).select_related("icon")
    out = []
    for feed in feeds:
        content_type, data = icon_for_feed(feed)
        encoded = base64.b64encode(data).decode()
        out.append({"id": feed.pk, "data": f"{content_type};base64,{encoded}"})
    return out


def _item(entry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "feed_id": entry.feed_id,
        "title": entry.display_title,
        "author": entry.author,
        "html": for_apps(entry.content or entry.summary),
        "url": entry.url,
        "is_saved": int(entry.is_starred),
        "is_read": int(entry.is_read),
        "created_on_time": _unix(entry.published_at),
    }


def _unlisted_ids(user) -> set[int]:
    """Ids of entries the user can read but whose feed is not in the ``feeds`` answer: their
    starred entries of feeds they no longer follow. Fever has no place for an item without
    its feed (apps drop or mis-file it), so no Fever answer names them. One query."""
    subscribed = Subscription.objects.filter(user=user, feed_id=OuterRef("entry__feed_id"))
    return set(
        EntryState.objects.filter(user=user, starred=True)
        .exclude(Exists(subscribed))
        .values_list("entry_id", flat=True)
    )


def _items(request: HttpRequest, user) -> list[dict[str, Any]]:
    """At most ITEMS_PER_CALL items by ``with_ids``, ``since_id`` (ascending) or ``max_id``
    (descending, 0 = newest), only items of subscribed feeds (see _unlisted_ids)."""
    with_ids = _param(request, "with_ids")
    if with_ids is not None:
        ids = [i for i in (_int(v) for v in with_ids.split(",")) if i and i > 0]
        entries = queries.entries_by_id(user=user, ids=ids[:ITEMS_PER_CALL])
        return [_item(e) for e in entries if e.subscription_id is not None]
    since = _int(_param(request, "since_id"))
    after = max(0, since) if since is not None else None
    before = None if after is not None else max(0, _int(_param(request, "max_id")) or 0)
    items: list[dict[str, Any]] = []
    while True:
        entries = queries.entries_by_id_range(
            user=user, after_id=after, before_id=before, limit=ITEMS_PER_CALL
        )
        items.extend(_item(e) for e in entries if e.subscription_id is not None)
        if len(entries) < ITEMS_PER_CALL or len(items) >= ITEMS_PER_CALL:
            return items[:ITEMS_PER_CALL]
        # A page thinned by unlisted items: read on so that a short page still means the end.
        if after is not None:
            after = entries[-1].pk
        else:
            before = entries[-1].pk


def _ids(user, status: str) -> str:
    unlisted = _unlisted_ids(user)
    ids = (i for i in queries.entry_ids(user=user, status=status) if i not in unlisted)
    return ",".join(str(i) for i in sorted(ids))


def _before(request: HttpRequest) -> datetime | None:
    value = _int(_param(request, "before"))
    if value is None or value <= 0:
        return None
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _mark(request: HttpRequest, user, data: dict[str, Any]) -> None:
    """``mark=item|feed|group``, ``as=read|unread|saved|unsaved``, ``id``, ``before``."""
    mark, as_, target = _param(request, "mark"), _param(request, "as"), _int(_param(request, "id"))
    if target is None:
        return
    try:
        if mark == "item" and target > 0:
            _mark_item(user, target, as_, data)
        elif mark == "feed" and as_ == "read":
            sub = Subscription.objects.filter(user=user, feed_id=target).first()
            if sub is not None:
                services.mark_all_read(user=user, subscription_id=sub.pk, before=_before(request))
        elif mark == "group" and as_ == "read":
            if target == 0:
                services.mark_all_read(user=user, before=_before(request))
            elif target > 0:
                services.mark_all_read(user=user, category_id=target, before=_before(request))
    except (NotFound, ReaderError):
        return  # another user's or unknown id: nothing changes, nothing leaks


def _mark_item(user, entry_id: int, as_: str | None, data: dict[str, Any]) -> None:
    if as_ in ("read", "unread"):
        services.entries_set_read(user=user, entry_ids=[entry_id], read=as_ == "read")
        data["unread_item_ids"] = _ids(user, "unread")
    elif as_ in ("saved", "unsaved"):
        services.entries_set_starred(user=user, entry_ids=[entry_id], starred=as_ == "saved")
        data["saved_item_ids"] = _ids(user, "starred")
