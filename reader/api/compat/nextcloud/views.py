"""The routes of the Nextcloud News API v1.2 and v1.3, each a thin face on one service.

Both versions are served by the same views, leniently: the write routes take ``PUT``
(v1.2) and ``POST`` (v1.3); the multiple-item routes take the id list as ``items`` (v1.2)
or ``itemIds`` (v1.3); an item is starred by id (v1.3: ``items/{itemId}/star``,
``itemIds``) or by feed and guid hash (v1.2: ``items/{feedId}/{guidHash}/star``,
``items: [{feedId, guidHash}]``). Differences from the News app are listed in
``docs/apps.md`` (deleting a folder keeps its feeds; folder 0 is "no folder").
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db.models import Value
from django.db.models.functions import MD5, Coalesce, NullIf
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from feeds.models import Entry
from reader import selectors, services
from reader.api.compat.integer_ids import entry_id_bound, entry_id_from_integer
from reader.api.compat.nextcloud.base import (
    NextcloudView,
    bool_param,
    int_list_param,
    int_param,
    invalid,
    not_found,
)
from reader.api.compat.nextcloud.shapes import (
    feed_json,
    folder_json,
    item_json,
    newest_item_id,
)
from reader.models import Subscription

#: The News app version reported by ``version`` and ``status``: one that speaks v1.2 and v1.3.
NEWS_VERSION = "25.0.0"
#: List types of ``items`` and ``items/updated`` (the News app's ``ListType``).
FEED, FOLDER, STARRED, ALL, UNREAD = 0, 1, 2, 3, 6
#: Most items one ``items`` call returns (``batchSize=-1`` means "all", up to this).
MAX_BATCH = 20_000
#: Most ids per mark call handed to the services at once.
MARK_CHUNK = services.MAX_BATCH_IDS


def api_levels(request: HttpRequest) -> JsonResponse:
    """``GET /index.php/apps/news/api``: the API levels served (no credentials needed)."""
    return JsonResponse({"apiLevels": ["v1-2", "v1-3"]})


class Unknown(NextcloudView):
    """Any other path under the API: 404 ``{"message"}`` (after authentication)."""

    permission_classes = [AllowAny]

    def get(self, request: Request, **kwargs: Any) -> Response:
        """404 for an unknown route, whatever the method."""
        raise not_found()

    post = put = delete = patch = get


# --- Status, version, user ---------------------------------------------------------


class Version(NextcloudView):
    """``GET version``: ``{"version": NEWS_VERSION}``."""

    def get(self, request: Request, version: str) -> Response:
        """The version."""
        return Response({"version": NEWS_VERSION})


class Status(NextcloudView):
    """``GET status``: the version and no warnings (Tidings' scheduler needs no cron)."""

    def get(self, request: Request, version: str) -> Response:
        """The version and warnings, all false."""
        warnings = {"improperlyConfiguredCron": False, "incorrectDbCharset": False}
        return Response({"version": NEWS_VERSION, "warnings": warnings})


class UserInfo(NextcloudView):
    """``GET user`` (deprecated by the News app, still called by apps): who signed in."""

    def get(self, request: Request, version: str) -> Response:
        """userId, displayName, lastLoginTimestamp (Unix s, 0 if never), no avatar."""
        user = request.user
        last = user.last_login
        return Response(
            {
                "userId": user.get_username(),
                "displayName": user.get_full_name() or user.get_username(),
                "lastLoginTimestamp": int(last.timestamp()) if last else 0,
                "avatar": None,
            }
        )


# --- Folders -----------------------------------------------------------------------


def _name(params: dict[str, Any]) -> str:
    name = params.get("name")
    if not isinstance(name, str) or not name.strip():
        raise invalid(_("The folder needs a name."))
    return name


class Folders(NextcloudView):
    """``GET folders`` (list) and ``POST folders`` (create: 409 exists, 422 no name)."""

    def get(self, request: Request, version: str) -> Response:
        """Every folder of the user."""
        return Response(
            {"folders": [folder_json(c) for c in selectors.category_list(user=request.user)]}
        )

    def post(self, request: Request, version: str) -> Response:
        """Create folder ``name``; answers it as a one-element list."""
        category = services.category_create(user=request.user, title=_name(self.params()))
        return Response({"folders": [folder_json(category)]})


class Folder(NextcloudView):
    """``PUT folders/{id}`` (rename) and ``DELETE folders/{id}`` (its feeds move out)."""

    def put(self, request: Request, version: str, folder_id: str) -> Response:
        """Rename: 404 unknown, 409 name taken, 422 no name; answers nothing."""
        services.category_rename(
            user=request.user, category_id=int(folder_id), title=_name(self.params())
        )
        return Response({})

    post = put

    def delete(self, request: Request, version: str, folder_id: str) -> Response:
        """Delete the folder; its feeds stay, without a folder (the News app deletes them)."""
        services.category_delete(user=request.user, category_id=int(folder_id))
        return Response({})


def _newest_bound(params: dict[str, Any]) -> int | None:
    """``newestItemId`` as an entry id bound (``integer_ids.entry_id_bound``), None for "mark
    nothing" (0 or below, as in the News app). Missing: 422."""
    newest = int_param(params, "newestItemId")
    if newest is None:
        raise invalid(_("newestItemId is required."))
    return entry_id_bound(newest) if newest > 0 else None


class FolderRead(NextcloudView):
    """``PUT folders/{id}/read``: mark read the folder's items up to ``newestItemId``.

    Folder 0 is the feeds without a folder.
    """

    def put(self, request: Request, version: str, folder_id: str) -> Response:
        """Mark read; 404 for an unknown folder."""
        bound = _newest_bound(self.params())
        folder = int(folder_id)
        if folder != 0:
            selectors.category_get(user=request.user, category_id=folder)
        if bound is not None:
            services.mark_all_read(user=request.user, category_id=folder, max_entry_id=bound)
        return Response({})

    post = put


# --- Feeds -------------------------------------------------------------------------


def subscription_of_feed(user: Any, feed_id: int) -> Subscription:
    """The user's subscription of feed ``feed_id``; a 404 when they do not follow it."""
    sub = selectors.subscription_list(user=user).filter(feed_id=feed_id).first()
    if sub is None:
        raise not_found()
    return sub


def _folder_id(params: dict[str, Any]) -> int | None:
    folder = int_param(params, "folderId")
    return folder if folder else None  # null and 0 are "no folder"


class Feeds(NextcloudView):
    """``GET feeds`` (list, ``starredCount``, ``newestItemId``) and ``POST feeds`` (create)."""

    def get(self, request: Request, version: str) -> Response:
        """Every feed of the user with its unread count."""
        user = request.user
        counts = selectors.unread_counts(user=user)
        feeds = [
            feed_json(request, sub, counts["subscriptions"].get(sub.pk, 0))
            for sub in selectors.subscription_list(user=user)
        ]
        body: dict[str, Any] = {"feeds": feeds, "starredCount": counts["starred"]}
        newest = newest_item_id(user)
        if newest is not None:
            body["newestItemId"] = newest
        return Response(body)

    def post(self, request: Request, version: str) -> Response:
        """Subscribe to ``url`` in ``folderId``: 409 already followed, 422 no feed there."""
        params = self.params()
        url = params.get("url")
        if not isinstance(url, str) or not url.strip():
            raise invalid(_("The feed needs a URL."))
        sub = services.subscription_create(user=request.user, url=url, category=_folder_id(params))
        body: dict[str, Any] = {"feeds": [feed_json(request, sub, 0)]}
        newest = newest_item_id(request.user)
        if newest is not None:
            body["newestItemId"] = newest
        return Response(body)


class Feed(NextcloudView):
    """``DELETE feeds/{id}``: unsubscribe (starred items stay starred in Tidings)."""

    def delete(self, request: Request, version: str, feed_id: str) -> Response:
        """Unsubscribe; 404 for a feed the user does not follow."""
        sub = subscription_of_feed(request.user, int(feed_id))
        services.subscription_delete(user=request.user, subscription_id=sub.pk)
        return Response({})


class FeedMove(NextcloudView):
    """``PUT feeds/{id}/move`` with ``folderId`` (null or 0: no folder)."""

    def put(self, request: Request, version: str, feed_id: str) -> Response:
        """Move; 404 for an unknown feed or folder."""
        sub = subscription_of_feed(request.user, int(feed_id))
        services.subscription_update(
            user=request.user, subscription_id=sub.pk, category_id=_folder_id(self.params())
        )
        return Response({})

    post = put


class FeedRename(NextcloudView):
    """``PUT feeds/{id}/rename`` with ``feedTitle`` (empty: the feed's own title)."""

    def put(self, request: Request, version: str, feed_id: str) -> Response:
        """Rename; 404 for an unknown feed, 422 without ``feedTitle``."""
        title = self.params().get("feedTitle")
        if not isinstance(title, str):
            raise invalid(_("feedTitle is required."))
        sub = subscription_of_feed(request.user, int(feed_id))
        services.subscription_update(user=request.user, subscription_id=sub.pk, title=title)
        return Response({})

    post = put


class FeedRead(NextcloudView):
    """``PUT feeds/{id}/read``: mark read the feed's items up to ``newestItemId``."""

    def put(self, request: Request, version: str, feed_id: str) -> Response:
        """Mark read; 404 for an unknown feed."""
        bound = _newest_bound(self.params())
        sub = subscription_of_feed(request.user, int(feed_id))
        if bound is not None:
            services.mark_all_read(user=request.user, subscription_id=sub.pk, max_entry_id=bound)
        return Response({})

    post = put


# --- Items -------------------------------------------------------------------------


def _scope(user: Any, params: dict[str, Any]) -> dict[str, Any]:
    """``type`` and ``id`` as entry filters (a 404 for another user's feed or folder)."""
    kind = int_param(params, "type", ALL)
    ident = int_param(params, "id", 0)
    if kind == FEED:
        return {"subscription_id": subscription_of_feed(user, ident).pk}
    if kind == FOLDER:
        if ident != 0:
            selectors.category_get(user=user, category_id=ident)
        return {"category_id": ident}
    if kind == STARRED:
        return {"status": "starred"}
    if kind == UNREAD:
        return {"status": "unread"}
    if kind == ALL:
        return {}
    raise invalid(_("type must be 0 (feed), 1 (folder), 2 (starred), 3 (all) or 6 (unread)."))


class Items(NextcloudView):
    """``GET items``: ``type``, ``id``, ``getRead``, ``batchSize``, ``offset``, ``oldestFirst``.

    Items come in id order (newest first, or oldest with ``oldestFirst``); ``offset`` is the
    last id of the previous page, excluded (ids below it, or above it with ``oldestFirst``;
    0: from the start). ``batchSize`` -1 (or 0) means all, at most ``MAX_BATCH``.
    ``getRead=false`` keeps unread items (the starred list ignores it).
    """

    def get(self, request: Request, version: str) -> Response:
        """One page of items."""
        params = self.params()
        filters = _scope(request.user, params)
        if not bool_param(params, "getRead", True) and "status" not in filters:
            filters["status"] = "unread"
        size = int_param(params, "batchSize", -1)
        offset = int_param(params, "offset", 0)
        oldest_first = bool_param(params, "oldestFirst", False)
        bound = entry_id_bound(offset) if offset > 0 else None
        entries = selectors.entry_id_list(
            user=request.user,
            filters=filters,
            after_id=bound if oldest_first else None,
            before_id=None if oldest_first else bound,
            oldest_first=oldest_first,
            limit=min(size, MAX_BATCH) if size > 0 else MAX_BATCH,
        )
        return Response({"items": [item_json(e) for e in entries]})


def _since(params: dict[str, Any]) -> datetime:
    """``lastModified``: Unix seconds, or microseconds when longer than 10 digits (as the
    News app reads it); 0 or missing: the beginning. A 422 when negative or too large."""
    value = int_param(params, "lastModified", 0)
    if value < 0:
        raise invalid(_("lastModified must be a time in seconds or microseconds."))
    seconds = value / 1_000_000 if len(str(value)) > 10 else value
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise invalid(_("lastModified must be a time in seconds or microseconds.")) from None


class ItemsUpdated(NextcloudView):
    """``GET items/updated?lastModified=&type=&id=``: every item whose content or state
    changed at or after ``lastModified`` (``reader.selectors.entry_changes_since``),
    including items a mark-all-read made read."""

    def get(self, request: Request, version: str) -> Response:
        """The changed items, newest id first."""
        params = self.params()
        since = _since(params)
        filters = _scope(request.user, params)
        entries = selectors.entry_changes_since(
            user=request.user,
            since=since,
            subscription_id=filters.get("subscription_id"),
            category_id=filters.get("category_id"),
            status=filters.get("status", "all"),
        )
        return Response({"items": [item_json(e) for e in entries]})


def _mark(user: Any, entry_ids: list[int], action: str) -> list[int]:
    """Apply ``action`` (read, unread, star, unstar) to entry ids in chunks; ids applied."""
    done: list[int] = []
    for start in range(0, len(entry_ids), MARK_CHUNK):
        chunk = entry_ids[start : start + MARK_CHUNK]
        if action in ("read", "unread"):
            done += services.entries_set_read(user=user, entry_ids=chunk, read=action == "read")
        else:
            done += services.entries_set_starred(
                user=user, entry_ids=chunk, starred=action == "star"
            )
    return done


def _entry_ids(integer_ids: list[int]) -> list[int]:
    ids = (entry_id_from_integer(i) for i in integer_ids)
    return [i for i in ids if i is not None]


class ItemMark(NextcloudView):
    """``PUT items/{itemId}/read|unread`` and (v1.3) ``items/{itemId}/star|unstar``."""

    def put(self, request: Request, version: str, item_id: str, action: str) -> Response:
        """Mark one item; 404 for an unknown or foreign item."""
        entry_id = entry_id_from_integer(int(item_id))
        if entry_id is None or not _mark(request.user, [entry_id], action):
            raise not_found()
        return Response({})

    post = put


def _guid_matches(user: Any, pairs: list[tuple[int, str]]) -> list[int]:
    """Entry ids of the user's subscribed feeds named by ``(feed id, guid hash)`` pairs.

    The guid hash is the MD5 of ``shapes.item_guid`` (the feed's guid, else the identity
    hash), computed by the database. One query.
    """
    hashes = {(feed, guid_hash.lower()) for feed, guid_hash in pairs}
    if not hashes:
        return []
    feeds = selectors.subscription_list(user=user).filter(feed_id__in={feed for feed, _ in hashes})
    rows = (
        Entry.objects.filter(feed_id__in=feeds.values("feed_id"))
        .annotate(guid_hash=MD5(Coalesce(NullIf("guid", Value("")), "identity_hash")))
        .filter(guid_hash__in={h for _, h in hashes})
        .values_list("id", "feed_id", "guid_hash")
    )
    return [entry_id for entry_id, feed, h in rows if (feed, h) in hashes]


class ItemMarkByGuid(NextcloudView):
    """v1.2 ``PUT items/{feedId}/{guidHash}/star|unstar``."""

    def put(
        self, request: Request, version: str, feed_id: str, guid_hash: str, action: str
    ) -> Response:
        """Star or unstar one item; 404 when no item of the user matches."""
        ids = _guid_matches(request.user, [(int(feed_id), guid_hash)])
        if not ids or not _mark(request.user, ids, action):
            raise not_found()
        return Response({})

    post = put


def _starred_pairs(value: Any) -> list[tuple[int, str]]:
    """v1.2 ``items: [{"feedId": 3, "guidHash": "..."}]`` as pairs; 422 when malformed."""
    pairs = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("guidHash"), str):
            raise invalid(_("items must be a list of {feedId, guidHash} objects."))
        pairs.append((int_param(item, "feedId", 0), item["guidHash"]))
    return pairs


class ItemsMultiple(NextcloudView):
    """``PUT items/read|unread|star|unstar/multiple``: ``items`` or ``itemIds``.

    Ids that name nothing (unknown, another user's) are skipped, as in the News app. Stars
    also take v1.2's ``items: [{feedId, guidHash}]``.
    """

    def put(self, request: Request, version: str, action: str) -> Response:
        """Mark the items; answers nothing."""
        params = self.params()
        items = params.get("items")
        by_guid = isinstance(items, list) and items and all(isinstance(i, dict) for i in items)
        if action in ("star", "unstar") and by_guid:
            _mark(request.user, _guid_matches(request.user, _starred_pairs(items)), action)
            return Response({})
        ids = int_list_param(params, "itemIds", "items")
        _mark(request.user, _entry_ids([i for i in ids if i is not None]), action)
        return Response({})

    post = put


class ItemsReadAll(NextcloudView):
    """``PUT items/read``: mark read every item up to ``newestItemId``."""

    def put(self, request: Request, version: str) -> Response:
        """Mark read; answers nothing."""
        bound = _newest_bound(self.params())
        if bound is not None:
            services.mark_all_read(user=request.user, max_entry_id=bound)
        return Response({})

    post = put
