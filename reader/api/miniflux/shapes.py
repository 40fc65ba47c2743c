"""Miniflux's JSON objects written from Tidings' rows (miniflux/v2 ``client/model.go``).

Ids, as docs/apps.md ("Miniflux API") states them:

- a **feed id** is Tidings' feed id (``Feed.pk``), as in the Google Reader and Fever APIs;
  a user has at most one subscription per feed, so it names that subscription;
- a **category id** is Tidings' category id; ``0`` is Uncategorized (subscriptions without
  a category: Miniflux puts every feed in a category, and apps read ``feed.category.id``);
- an **entry id** is the integer entry id of ``reader.api.compat.integer_ids`` (the entry's
  position in the id space, from 1: fits in the 32-bit integers newsboat keeps);
- an **icon id** is the feed id (every feed has one icon: its favicon or a letter avatar);
- an **enclosure id** is ``entry id * 1000 + position`` (1-based) of the enclosure.

Times are RFC 3339 in UTC. Fields Tidings has no notion of (scraper and rewrite rules,
cookies, per-feed credentials...) carry Miniflux's empty values so that apps that decode
them strictly find them.
"""

from __future__ import annotations

import base64
import math
import re
from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext as _

from feeds.media_proxy import for_apps
from feeds.pipeline.icons import icon_for_feed
from reader.api.compat.integer_ids import integer_entry_id
from reader.models import Subscription

#: Words per minute of Miniflux's reading-time estimate (its default reading speed).
READING_SPEED = 265
#: Enclosure ids: ``entry id * ENCLOSURES_PER_ENTRY + position``.
ENCLOSURES_PER_ENTRY = 1000
#: The category id that stands for Uncategorized.
UNCATEGORIZED = 0

_TAGS = re.compile(r"<[^>]*>")


def rfc3339(value: datetime | None) -> str:
    """``value`` as RFC 3339 in UTC (``2026-01-02T03:04:05Z``); the Unix epoch for None."""
    if value is None:
        value = datetime(1970, 1, 1, tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def category_json(category: Any, user: Any) -> dict[str, Any]:
    """A Category (or None: Uncategorized) as Miniflux's category object."""
    if category is None:
        return {
            "id": UNCATEGORIZED,
            "title": _("Uncategorized"),
            "user_id": user.pk,
            "hide_globally": False,
        }
    return {"id": category.pk, "title": category.title, "user_id": user.pk, "hide_globally": False}


def feed_json(sub: Any, user: Any) -> dict[str, Any]:
    """A Subscription (feed and category loaded) as Miniflux's feed object."""
    feed = sub.feed
    return {
        "id": feed.pk,
        "user_id": user.pk,
        "feed_url": feed.url,
        "site_url": feed.site_url or feed.url,
        "title": sub.title or feed.title or feed.url,
        "checked_at": rfc3339(feed.last_fetched_at),
        "next_check_at": rfc3339(feed.next_fetch_at),
        "etag_header": feed.etag,
        "last_modified_header": feed.last_modified,
        "parsing_error_message": feed.last_error,
        "parsing_error_count": feed.error_count,
        "scraper_rules": "",
        "rewrite_rules": "",
        "crawler": bool(sub.fetch_full_text),
        "blocklist_rules": "",
        "keeplist_rules": "",
        "urlrewrite_rules": "",
        "user_agent": "",
        "cookie": "",
        "username": "",
        "password": "",
        "disabled": bool(feed.disabled),
        "no_media_player": False,
        "ignore_http_cache": False,
        "allow_self_signed_certificates": False,
        "fetch_via_proxy": False,
        "hide_globally": False,
        "apprise_service_urls": "",
        "category": category_json(sub.category, user),
        "icon": {"feed_id": feed.pk, "icon_id": feed.pk},
    }


def icon_json(feed: Any) -> dict[str, Any]:
    """A feed's icon as Miniflux's icon object: ``data`` is ``<mime type>;base64,<bytes>``."""
    content_type, data = icon_for_feed(feed)
    encoded = base64.b64encode(data).decode()
    return {"id": feed.pk, "mime_type": content_type, "data": f"{content_type};base64,{encoded}"}


def reading_time(html: str) -> int:
    """Minutes to read ``html`` at READING_SPEED words a minute, rounded up (0 when empty)."""
    words = len(_TAGS.sub(" ", html or "").split())
    return math.ceil(words / READING_SPEED)


def _enclosures(entry: Any, integer_id: int, user: Any) -> list[dict[str, Any]]:
    out = []
    for position, enclosure in enumerate(entry.enclosures or [], start=1):
        if not isinstance(enclosure, dict) or not enclosure.get("url"):
            continue
        try:
            size = max(0, int(enclosure.get("length") or 0))
        except (TypeError, ValueError):
            size = 0
        out.append(
            {
                "id": integer_id * ENCLOSURES_PER_ENTRY + position,
                "user_id": user.pk,
                "entry_id": integer_id,
                "url": for_apps(str(enclosure["url"]), address=True),
                "mime_type": str(enclosure.get("type") or ""),
                "size": size,
                "media_progression": 0,
            }
        )
    return out


def entry_json(entry: Any, user: Any, feeds: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """An entry of ``reader.selectors`` (per-user flags set) as Miniflux's entry object.

    ``feeds`` maps feed ids to their feed objects (``feed_json``); an entry of a feed the
    user no longer follows (kept because starred) gets a feed object made from the feed.
    """
    integer_id = integer_entry_id(entry.pk)
    content = for_apps(entry.content or entry.summary)
    feed = feeds.get(entry.feed_id) or _unfollowed_feed_json(entry, user)
    return {
        "id": integer_id,
        "user_id": user.pk,
        "feed_id": entry.feed_id,
        "status": "read" if entry.is_read else "unread",
        "hash": entry.identity_hash,
        "title": entry.display_title,
        "url": entry.url,
        "comments_url": "",
        "published_at": rfc3339(entry.published_at),
        "created_at": rfc3339(entry.created_at),
        "changed_at": rfc3339(entry.updated_at or entry.created_at),
        "content": content,
        "author": entry.author,
        "share_code": "",
        "starred": bool(entry.is_starred),
        "reading_time": reading_time(content),
        "enclosures": _enclosures(entry, integer_id, user),
        "tags": [str(tag) for tag in (entry.categories or []) if isinstance(tag, str)],
        "feed": feed,
    }


def _unfollowed_feed_json(entry: Any, user: Any) -> dict[str, Any]:
    # Not saved: only shaped. Starred entries outlive their subscription.
    sub = Subscription(user=user, feed=entry.feed, category=None, title="")
    return feed_json(sub, user)


def user_json(user: Any) -> dict[str, Any]:
    """The signed-in user as Miniflux's user object (``GET /v1/me``)."""
    return {
        "id": user.pk,
        "username": user.get_username(),
        "is_admin": bool(user.is_staff),
        "theme": {"dark": "dark_serif", "light": "light_serif"}.get(user.theme, "system_serif"),
        "language": user.language or "en_US",
        "timezone": user.timezone or "UTC",
        "entry_sorting_direction": "asc" if user.sort_order == "oldest" else "desc",
        "entry_sorting_order": "published_at",
        "stylesheet": "",
        "custom_js": "",
        "google_id": "",
        "openid_connect_id": "",
        "entries_per_page": user.entries_per_page,
        "keyboard_shortcuts": True,
        "show_reading_time": True,
        "entry_swipe": True,
        "gesture_nav": "tap",
        "last_login_at": rfc3339(user.last_login) if user.last_login else None,
        "display_mode": "standalone",
        "default_reading_speed": READING_SPEED,
        "cjk_reading_speed": 500,
        "default_home_page": "unread",
        "categories_sorting_order": "unread_count",
        "mark_read_on_view": bool(user.mark_read_on_open),
        "media_playback_rate": 1,
        "block_filter_entry_rules": "",
        "keep_filter_entry_rules": "",
    }
