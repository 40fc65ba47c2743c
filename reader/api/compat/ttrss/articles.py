"""Tiny Tiny RSS calls about articles: ``getHeadlines``, ``getArticle``, ``updateArticle``
(tt-rss API Reference; row shapes as tt-rss's ``API::_api_get_headlines`` and ``getArticle``).

Article ids are integer entry ids (``reader.api.compat.integer_ids``: entry id minus the id
space's start, plus one), so they fit the 32-bit ints of newsboat and TTRSS Android and grow
with first-seen time (``since_id`` keeps its meaning). Lists come from
``reader.selectors.entry_list``, sorted by publication date (``order_by=date_reverse``: oldest
first); ``skip`` walks the same keyset cursor (``reader.selectors.cursors``) with id pages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from feeds.media_proxy import for_apps
from reader import selectors, services
from reader.api.compat import queries
from reader.api.compat.integer_ids import (
    ENTRY_ID_START,
    entry_id_from_integer,
    integer_entry_id,
)
from reader.api.compat.ttrss.feeds import (
    ALL_ARTICLES,
    CAT_SPECIAL,
    FRESH,
    RECENTLY_READ,
    STARRED,
    UNCATEGORIZED,
    Call,
    Counts,
    category_of,
    fresh_since,
    recently_read_since,
    subscription_of,
)
from reader.api.compat.ttrss.protocol import (
    INCORRECT_USAGE,
    NOT_FOUND,
    OPERATION_FAILED,
    ApiError,
    as_id_list,
    is_integer,
)

#: Most headlines per call (tt-rss API level 6 and later; 0 or more asks for this many).
HEADLINES_MAX = 200
#: Characters of ``excerpt`` unless ``excerpt_length`` says otherwise.
EXCERPT_DEFAULT = 100
#: updateArticle ``field`` values (tt-rss): 0 starred, 1 published, 2 unread, 3 note, 4 score.
FIELD_STARRED, FIELD_PUBLISHED, FIELD_UNREAD, FIELD_NOTE, FIELD_SCORE = 0, 1, 2, 3, 4
#: updateArticle ``mode`` values: set false, set true, toggle.
MODE_FALSE, MODE_TRUE, MODE_TOGGLE = 0, 1, 2

_STATUS_OF_VIEW = {"all_articles": "all", "unread": "unread", "marked": "starred"}


def _unix(value: datetime | None) -> int:
    return int(value.timestamp()) if value else 0


def headline_filters(call: Call, feed_id: int, is_cat: bool, now: datetime) -> dict | None:
    """Selector filters for ``feed_id`` / ``is_cat`` / ``view_mode`` / ``since_id`` /
    ``order_by`` / ``search``, or None for a list that is always empty in Tidings (Published,
    Archived, labels, ``view_mode`` published or has_note).

    Raises ApiError(E_NOT_FOUND) for another user's subscription or category.
    """
    view_mode = call.text("view_mode") or "all_articles"
    filters: dict[str, Any] = {"status": _STATUS_OF_VIEW.get(view_mode, "all")}
    scope_unread: int | None = None
    counts = Counts.read(call.user, now) if view_mode == "adaptive" else None
    if is_cat and feed_id > 0:
        filters["category_id"] = category_of(call.user, feed_id).pk
        scope_unread = counts and counts.categories.get(feed_id, 0)
    elif is_cat and feed_id == UNCATEGORIZED:
        filters["category_id"] = 0
        scope_unread = counts and counts.categories.get(None, 0)
    elif not is_cat and feed_id > 0:
        filters["subscription_id"] = subscription_of(call.user, feed_id).pk
        scope_unread = counts and counts.subscriptions.get(feed_id, 0)
    elif feed_id in (STARRED, CAT_SPECIAL) and view_mode == "unread":
        filters.update(status="unread", starred=True)
    elif feed_id in (STARRED, CAT_SPECIAL):
        filters["status"] = "starred"  # adaptive does not narrow Starred (nor in tt-rss)
    elif feed_id == FRESH:
        filters.update(status="unread", first_seen_after=fresh_since(now))
    elif feed_id == ALL_ARTICLES:
        scope_unread = counts and counts.total
    elif feed_id == RECENTLY_READ:
        filters.update(status="read", marked_read_after=recently_read_since(now))
    else:
        return None
    if view_mode in ("published", "has_note"):  # after the scope: a foreign id is still E_NOT_FOUND
        return None
    if view_mode == "adaptive" and filters["status"] == "all":
        filters["status"] = "unread" if scope_unread else "all"
    since_id = call.int("since_id")
    if since_id > 0:
        filters["after_id"] = ENTRY_ID_START - 1 + since_id
    filters["sort"] = "oldest" if call.text("order_by") == "date_reverse" else "newest"
    filters["q"] = call.text("search")[:500]
    return filters


def _skip_cursor(user: Any, filters: dict, skip: int) -> tuple[bool, str | None]:
    """(more left, cursor after the first ``skip`` entries): id pages, MAX_ID_PAGE at a time."""
    cursor = None
    while skip > 0:
        rows, cursor = selectors.entry_id_page(
            user=user, filters=filters, cursor=cursor, limit=min(skip, selectors.MAX_ID_PAGE)
        )
        skip -= len(rows)
        if cursor is None:
            return False, None
    return True, cursor


def get_headlines(call: Call) -> Any:
    """``getHeadlines``: a page of headline rows (``limit`` 1-200, default 200; ``skip``).

    ``feed_id`` (required; with ``is_cat`` a category), ``view_mode`` (all_articles, unread,
    adaptive, marked), ``since_id`` (integer ids above it), ``order_by`` (date_reverse:
    oldest first), ``search`` (words), ``show_content``, ``show_excerpt`` (``excerpt_length``),
    ``include_attachments``; ``include_nested`` changes nothing (categories do not nest).
    With ``include_header`` the reply is ``[header, rows]``, header ``{"id", "first_id",
    "is_cat"}``; when ``skip`` > 0 and ``check_first_id`` is no longer the list's first id,
    the header says ``first_id_changed`` and no rows follow (tt-rss's paging check).
    """
    raw_feed_id = call.params.get("feed_id")
    if not is_integer(raw_feed_id):
        raise ApiError(INCORRECT_USAGE)
    feed_id, is_cat = call.int("feed_id"), call.bool("is_cat")
    limit = call.int("limit")
    limit = HEADLINES_MAX if limit <= 0 or limit >= HEADLINES_MAX else limit
    skip = max(0, call.int("skip"))
    filters = headline_filters(call, feed_id, is_cat, timezone.now())
    header: dict[str, Any] = {"id": feed_id, "first_id": 0, "is_cat": is_cat}
    rows: list[dict[str, Any]] = []
    if filters is not None:
        first, _ = selectors.entry_id_page(user=call.user, filters=filters, limit=1)
        header["first_id"] = integer_entry_id(first[0].id) if first else 0
        check = call.int("check_first_id")
        if skip and check and first and header["first_id"] != check and filters["sort"] == "newest":
            header["first_id_changed"] = True
        else:
            rows = _headline_rows(call, filters, skip, limit)
    return [header, rows] if call.bool("include_header") else rows


def _headline_rows(call: Call, filters: dict, skip: int, limit: int) -> list[dict[str, Any]]:
    more, cursor = _skip_cursor(call.user, filters, skip)
    if not more:
        return []
    page = selectors.entry_list(user=call.user, filters=filters, cursor=cursor, limit=limit)
    options = {
        "content": call.bool("show_content"),
        "excerpt": call.int("excerpt_length", EXCERPT_DEFAULT) if call.bool("show_excerpt") else 0,
        "with_attachments": call.bool("include_attachments"),
    }
    return [headline_row(entry, **options) for entry in page.entries]


def attachments(entry: Any) -> list[dict[str, Any]]:
    """The entry's enclosures as tt-rss attachments."""
    article_id = integer_entry_id(entry.pk)
    return [
        {
            "id": n,
            "content_url": for_apps(e.get("url", ""), address=True),
            "content_type": e.get("type", "") or "",
            "title": "",
            "duration": "",
            "width": 0,
            "height": 0,
            "post_id": article_id,
        }
        for n, e in enumerate(entry.enclosures or [], start=1)
        if isinstance(e, dict) and e.get("url")
    ]


def headline_row(
    entry: Any, *, content: bool = False, excerpt: int = 0, with_attachments: bool = False
) -> dict[str, Any]:
    """One headline of ``getHeadlines`` for an entry carrying ``reader.selectors`` flags.

    ``content``: add the HTML (sanitized when stored); ``excerpt`` > 0: add that many
    characters of its text; ``with_attachments``: add the enclosures.
    """
    row: dict[str, Any] = {
        "id": integer_entry_id(entry.pk),
        "guid": entry.guid or entry.url or str(entry.pk),
        "unread": not entry.is_read,
        "marked": bool(entry.is_starred),
        "published": False,
        "updated": _unix(entry.published_at),
        "is_updated": False,
        "title": entry.display_title,
        "link": entry.url,
        "feed_id": entry.subscription_id or 0,
        "tags": [],
    }
    html = entry.content or entry.summary
    if with_attachments:
        row["attachments"] = attachments(entry)
    if excerpt > 0:
        text = " ".join(strip_tags(html).split())
        row["excerpt"] = text[: min(excerpt, 2000)] + ("…" if len(text) > excerpt else "")
    if content:
        row["content"] = for_apps(html)
    row.update(
        labels=[],
        feed_title=entry.subscription_title,
        comments_count=0,
        comments_link="",
        always_display_attachments=False,
        author=entry.author,
        score=0,
        note=None,
        lang=entry.feed.language,
        site_url=entry.feed.site_url or entry.feed.url,
    )
    if content:
        row.update(flavor_image=entry.thumbnail_url or "", flavor_stream="")
    return row


def _entry_ids(call: Call, name: str) -> list[int]:
    """Entry ids of the integer ids in parameter ``name``; INCORRECT_USAGE when none parse."""
    integers = as_id_list(call.params.get(name))
    if not integers:
        raise ApiError(INCORRECT_USAGE)
    return [i for i in (entry_id_from_integer(n) for n in integers) if i is not None]


def get_article(call: Call) -> list[dict[str, Any]]:
    """``getArticle``: the articles of ``article_id`` (one id or a comma-separated list), with
    content and attachments. Ids the user cannot see are left out; when none of them is
    visible (another user's, unknown), E_NOT_FOUND."""
    entries = queries.entries_by_id(user=call.user, ids=_entry_ids(call, "article_id"))
    if not entries:
        raise ApiError(NOT_FOUND)
    return [
        {
            "id": integer_entry_id(e.pk),
            "guid": e.guid or e.url or str(e.pk),
            "title": e.display_title,
            "link": e.url,
            "labels": [],
            "unread": not e.is_read,
            "marked": bool(e.is_starred),
            "published": False,
            "comments": "",
            "author": e.author,
            "updated": _unix(e.published_at),
            "feed_id": e.subscription_id or 0,
            "attachments": attachments(e),
            "score": 0,
            "feed_title": e.subscription_title,
            "note": None,
            "lang": e.feed.language,
            "content": for_apps(e.content or e.summary),
        }
        for e in entries
    ]


def update_article(call: Call) -> dict[str, Any]:
    """``updateArticle``: ``field`` 0 (starred) or 2 (unread) of ``article_ids`` set by
    ``mode`` 0 (false), 1 (true) or 2 (toggle); answers ``{"status": "OK", "updated": n}``.

    Published (1), note (3) and score (4) are not kept by Tidings: E_OPERATION_FAILED with a
    ``message``. Another field or mode, or no id, is INCORRECT_USAGE; when none of the ids is
    the user's to see, E_NOT_FOUND.
    """
    field, mode = call.int("field", -1), call.int("mode", -1)
    if field in (FIELD_PUBLISHED, FIELD_NOTE, FIELD_SCORE):
        raise ApiError(
            OPERATION_FAILED,
            message=_("Tidings does not keep published articles, notes or scores."),
        )
    if field not in (FIELD_STARRED, FIELD_UNREAD) or mode not in (
        MODE_FALSE,
        MODE_TRUE,
        MODE_TOGGLE,
    ):
        raise ApiError(INCORRECT_USAGE)
    entries = queries.entries_by_id(user=call.user, ids=_entry_ids(call, "article_ids"))
    if not entries:
        raise ApiError(NOT_FOUND)
    if field == FIELD_STARRED:
        now_on = {e.pk: bool(e.is_starred) for e in entries}
    else:  # the "unread" flag
        now_on = {e.pk: not e.is_read for e in entries}
    for value in (True, False):
        ids = [
            pk
            for pk, on in now_on.items()
            if (not on if mode == MODE_TOGGLE else mode == MODE_TRUE) is value
        ]
        if ids and field == FIELD_STARRED:
            services.entries_set_starred(user=call.user, entry_ids=ids, starred=value)
        elif ids:
            services.entries_set_read(user=call.user, entry_ids=ids, read=not value)
    return {"status": "OK", "updated": len(entries)}
