"""The JSON of the Nextcloud News API: folders, feeds, items (``api-v1-2.md``, ``api-v1-3.md``).

Strings are never ``null`` where an app may read them as text (newsboat 2.21 turns a JSON
``null`` title, author, body or guid into a crash): they are empty instead. Times are Unix
seconds. ``lastModified`` is the time of the item's latest change Tidings knows of
(``reader.selectors.entry_changes_since`` for ``items/updated``; a lower bound of it in
``items``), so an app that asks for changes since its newest ``lastModified`` gets at least
every change.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.db.models import Max, OuterRef, Subquery

from feeds.media_proxy import for_apps
from feeds.models import Entry
from reader.api.compat.app_icons import icon_url
from reader.api.compat.integer_ids import integer_entry_id
from reader.models import Subscription


def _unix(value: datetime | None) -> int | None:
    return int(value.timestamp()) if value is not None else None


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()


def folder_json(category: Any) -> dict[str, Any]:
    """A folder: ``{"id": category id, "name": title}``."""
    return {"id": category.pk, "name": category.title}


def feed_json(request: Any, sub: Subscription, unread: int) -> dict[str, Any]:
    """A feed as the user has it: their title and folder (``folderId`` null for none).

    ``faviconLink`` is the signed app icon URL (``reader.api.compat.app_icons``) on the
    host the app reached; ``added`` when the user subscribed; ``updateErrorCount`` and
    ``lastUpdateError`` the feed's failures (null when it fetches fine).
    """
    feed = sub.feed
    return {
        "id": feed.pk,
        "url": feed.url,
        "title": sub.title or feed.title or feed.url,
        "faviconLink": icon_url(request, feed.pk),
        "added": _unix(sub.created_at),
        "nextUpdateTime": _unix(feed.next_fetch_at),
        "folderId": sub.category_id,
        "unreadCount": unread,
        "ordering": 0,
        "link": feed.site_url or feed.url,
        "pinned": False,
        "updateErrorCount": feed.error_count,
        "lastUpdateError": feed.last_error or None,
    }


def newest_item_id(user: Any) -> int | None:
    """The highest integer item id among the user's subscribed feeds, or None without items.

    One query: the newest entry of each subscription off the ``(feed_id, id)`` index.
    """
    newest = Entry.objects.filter(feed_id=OuterRef("feed_id")).order_by("-id").values("id")[:1]
    top = (
        Subscription.objects.filter(user=user)
        .annotate(newest=Subquery(newest))
        .aggregate(top=Max("newest"))["top"]
    )
    return integer_entry_id(top) if top else None


def item_guid(entry: Entry) -> str:
    """The item's ``guid``: the feed's guid, else Tidings' identity hash of the entry.

    ``guidHash`` is its MD5 hex, as in the News app (apps such as newsboat compute it
    themselves to star an item); ``shapes.GUID_SQL`` is the same value in SQL.
    """
    return entry.guid or entry.identity_hash


def item_json(entry: Entry) -> dict[str, Any]:
    """An item (an entry with the per-user flags of ``reader.selectors`` and ``changed_at``).

    ``id`` is the integer entry id; ``body`` the sanitized HTML; the first enclosure is
    ``enclosureLink`` / ``enclosureMime``; ``fingerprint`` (and ``contentHash``) an MD5 over
    title, link, body and enclosure, equal for the same article in two feeds.
    """
    guid = item_guid(entry)
    enclosure = next((e for e in entry.enclosures or [] if e.get("url")), None)
    body = entry.content or entry.summary
    enclosure_link = enclosure.get("url") if enclosure else None
    fingerprint = _md5("\x00".join([entry.display_title, entry.url, body, enclosure_link or ""]))
    return {
        "id": integer_entry_id(entry.pk),
        "guid": guid,
        "guidHash": _md5(guid),
        "url": entry.url or None,
        "title": entry.display_title,
        "author": entry.author,
        "pubDate": _unix(entry.published_at),
        "updatedDate": None,
        "body": for_apps(body),
        "enclosureMime": (enclosure.get("type") or None) if enclosure else None,
        "enclosureLink": for_apps(enclosure_link, address=True) if enclosure_link else None,
        "mediaThumbnail": for_apps(entry.thumbnail_url, address=True) or None,
        "mediaDescription": None,
        "feedId": entry.feed_id,
        "unread": not entry.is_read,
        "starred": bool(entry.is_starred),
        "rtl": False,
        "lastModified": _unix(entry.changed_at),
        "fingerprint": fingerprint,
        "contentHash": fingerprint,
    }
