"""Tiny Tiny RSS calls about feeds and categories: counters, lists, the feed tree, catch-up,
subscribe and unsubscribe (tt-rss API Reference; shapes as tt-rss's ``classes/API.php``,
``Counters.php`` and ``Pref_Feeds::_makefeedtree`` build them).

Ids: a tt-rss "feed" is one of the user's subscriptions (its subscription id); a category is
one of their categories. Special feeds and categories have tt-rss's fixed negative ids
(below). Another user's (or an unknown) subscription or category is ``E_NOT_FOUND``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from reader import selectors, services
from reader.api.compat import app_icons, queries
from reader.api.compat.ttrss.protocol import (
    INCORRECT_USAGE,
    NOT_FOUND,
    ApiError,
    as_bool,
    as_int,
    as_text,
    is_integer,
)
from reader.errors import (
    DiscoveryChoice,
    FeedNotFound,
    FeedUnreachable,
    InvalidURL,
    NotFound,
    ReaderError,
    SubscriptionExists,
)
from reader.models import EntryState

#: Special feeds (tt-rss ``Feeds::FEED_*``).
ARCHIVED, STARRED, PUBLISHED, FRESH, ALL_ARTICLES, RECENTLY_READ = 0, -1, -2, -3, -4, -6
#: Special categories (tt-rss ``Feeds::CATEGORY_*``); -3 and -4 only select feeds in getFeeds.
UNCATEGORIZED, CAT_SPECIAL, CAT_LABELS, CAT_ALL_EXCEPT_VIRTUAL, CAT_ALL = 0, -1, -2, -3, -4
#: Label feed ids are below this (tt-rss ``LABEL_BASE_INDEX``); Tidings has no labels.
LABEL_BASE_INDEX = -1024
#: How long an unread entry stays "fresh", and a read one "recently read" (tt-rss's
#: FRESH_ARTICLE_MAX_AGE and RECENTLY_READ_MAX_AGE defaults, in hours).
FRESH_HOURS = 24
RECENTLY_READ_HOURS = 24


def fresh_since(now: datetime) -> datetime:
    """The first-seen time after which an unread entry is fresh."""
    return now - timedelta(hours=FRESH_HOURS)


def recently_read_since(now: datetime) -> datetime:
    """The time after which an entry marked read is recently read."""
    return now - timedelta(hours=RECENTLY_READ_HOURS)


def special_feed_title(feed_id: int) -> str:
    """The title of a special feed, in the active language (tt-rss ``Feeds::_get_title``)."""
    titles = {
        STARRED: _("Starred articles"),
        PUBLISHED: _("Published articles"),
        FRESH: _("Fresh articles"),
        ALL_ARTICLES: _("All articles"),
        ARCHIVED: _("Archived articles"),
        RECENTLY_READ: _("Recently read"),
    }
    return titles.get(feed_id, str(feed_id))


def special_category_title(cat_id: int) -> str:
    """The title of Uncategorized, Special or Labels (tt-rss ``Feeds::_get_cat_title``)."""
    return {
        UNCATEGORIZED: _("Uncategorized"),
        CAT_SPECIAL: _("Special"),
        CAT_LABELS: _("Labels"),
    }.get(cat_id, str(cat_id))


@dataclass
class Call:
    """One signed-in call: the request, its user and its parameters (``request_params``)."""

    request: HttpRequest
    user: Any
    params: dict[str, Any]

    def int(self, name: str, default: int = 0) -> int:
        """Parameter ``name`` as a tt-rss integer."""
        return as_int(self.params.get(name), default)

    def bool(self, name: str, default: bool = False) -> bool:
        """Parameter ``name`` as a tt-rss boolean."""
        return as_bool(self.params.get(name), default)

    def text(self, name: str) -> str:
        """Parameter ``name`` as a string (``""`` when missing or not a string or number)."""
        return as_text(self.params.get(name))


@dataclass
class Counts:
    """Every counter tt-rss calls show, read once per call.

    ``subscriptions``: {subscription id: unread}; ``categories``: {category id or None: unread};
    ``total`` unread; ``starred`` total and ``starred_unread``; ``fresh`` (unread, first seen
    in the last FRESH_HOURS).
    """

    subscriptions: dict[int, int]
    categories: dict[int | None, int]
    total: int
    starred: int
    starred_unread: int
    fresh: int

    @classmethod
    def read(cls, user: Any, now: datetime) -> Counts:
        """The user's counters: four queries."""
        counts = selectors.unread_counts(user=user)
        fresh = {"status": "unread", "first_seen_after": fresh_since(now)}
        return cls(
            subscriptions=counts["subscriptions"],
            categories=counts["categories"],
            total=counts["total"],
            starred=counts["starred"],
            starred_unread=queries.starred_unread_count(user=user),
            fresh=selectors.entry_count(user=user, filters=fresh),
        )

    def special(self, feed_id: int) -> int:
        """The unread counter of special feed ``feed_id``."""
        return {STARRED: self.starred_unread, FRESH: self.fresh, ALL_ARTICLES: self.total}.get(
            feed_id, 0
        )


def _unix(value: datetime | None) -> int:
    return int(value.timestamp()) if value else 0


def subscription_of(user: Any, feed_id: int):
    """The user's subscription ``feed_id``; ApiError(E_NOT_FOUND) for another's or none."""
    try:
        return selectors.subscription_get(user=user, subscription_id=feed_id)
    except NotFound:
        raise ApiError(NOT_FOUND) from None


def category_of(user: Any, cat_id: int):
    """The user's category ``cat_id``; ApiError(E_NOT_FOUND) for another's or none."""
    try:
        return selectors.category_get(user=user, category_id=cat_id)
    except NotFound:
        raise ApiError(NOT_FOUND) from None


def feed_row(sub: Any, counts: Counts) -> dict[str, Any]:
    """One subscription as a tt-rss feed object (``getFeeds``)."""
    return {
        "feed_url": sub.feed.url,
        "title": sub.title or sub.feed.title or sub.feed.url,
        "id": sub.pk,
        "unread": counts.subscriptions.get(sub.pk, 0),
        # Icons are served only at signed URLs (getFeedTree's "icon"), not at tt-rss's
        # public.php?op=feed_icon&id=, which would let anyone probe subscription ids.
        "has_icon": False,
        "cat_id": sub.category_id or UNCATEGORIZED,
        "last_updated": _unix(sub.feed.last_success_at or sub.feed.last_fetched_at),
        "order_id": sub.position,
        "last_error": sub.feed.last_error,
        "update_interval": 0,
    }


def get_unread(call: Call) -> dict[str, Any]:
    """``getUnread``: ``{"unread": n}`` for everything, or for ``feed_id`` (``is_cat``)."""
    counts = Counts.read(call.user, timezone.now())
    raw = call.params.get("feed_id")
    if raw in (None, "") or not is_integer(raw):
        return {"unread": counts.total}
    feed_id = call.int("feed_id")
    if call.bool("is_cat"):
        if feed_id > 0:
            return {"unread": counts.categories.get(category_of(call.user, feed_id).pk, 0)}
        return {"unread": counts.categories.get(None, 0) if feed_id == UNCATEGORIZED else 0}
    if feed_id > 0:
        return {"unread": counts.subscriptions.get(subscription_of(call.user, feed_id).pk, 0)}
    return {"unread": counts.special(feed_id)}


def get_counters(call: Call) -> list[dict[str, Any]]:
    """``getCounters``: global, special-feed, feed (``f``) and category (``c``) counters.

    ``output_mode`` (default ``flc``) picks feeds, labels and categories; labels are none.
    Category rows carry ``"kind": "cat"`` (their ids overlap feed ids).
    """
    mode = call.text("output_mode") or "flc"
    counts = Counts.read(call.user, timezone.now())
    subs = list(selectors.subscription_list(user=call.user))
    rows: list[dict[str, Any]] = [
        {"id": "global-unread", "counter": counts.total},
        {"id": "subscribed-feeds", "counter": len(subs)},
    ]
    for feed_id in (ARCHIVED, STARRED, PUBLISHED, FRESH, ALL_ARTICLES):
        row = {"id": feed_id, "counter": counts.special(feed_id), "auxcounter": 0}
        if feed_id == STARRED:
            row.update(auxcounter=counts.starred, markedcounter=counts.starred)
        elif feed_id == PUBLISHED:
            row["publishedcounter"] = 0
        rows.append(row)
    starred = _starred_per_feed(call.user)
    if "f" in mode:
        rows += [
            {
                "id": sub.pk,
                "title": sub.title or sub.feed.title or sub.feed.url,
                "error": sub.feed.last_error,
                "updated": _unix(sub.feed.last_success_at or sub.feed.last_fetched_at),
                "counter": counts.subscriptions.get(sub.pk, 0),
                "markedcounter": starred.get(sub.feed_id, 0),
                "publishedcounter": 0,
                "ts": 0,
            }
            for sub in subs
        ]
    if "c" in mode:
        rows.append({"id": CAT_LABELS, "kind": "cat", "counter": 0})
        cat_ids = [UNCATEGORIZED] + [c.pk for c in selectors.category_list(user=call.user)]
        for cat_id in cat_ids:
            marked = sum(starred.get(s.feed_id, 0) for s in subs if (s.category_id or 0) == cat_id)
            rows.append(
                {
                    "id": cat_id,
                    "kind": "cat",
                    "markedcounter": marked,
                    "publishedcounter": 0,
                    "counter": counts.categories.get(cat_id or None, 0),
                }
            )
    return rows


def _starred_per_feed(user: Any) -> dict[int, int]:
    rows = (
        EntryState.objects.filter(user=user, starred=True)
        .values("entry__feed_id")
        .annotate(n=Count("entry_id"))
    )
    return {row["entry__feed_id"]: row["n"] for row in rows}


def get_categories(call: Call) -> list[dict[str, Any]]:
    """``getCategories``: the user's categories with unread counts, then Labels (-2, only with
    ``include_empty``), Special (-1) and Uncategorized (0, when it holds feeds or with
    ``include_empty``). ``unread_only`` drops those without unread; ``enable_nested`` changes
    nothing (categories do not nest in Tidings)."""
    unread_only, include_empty = call.bool("unread_only"), call.bool("include_empty")
    counts = Counts.read(call.user, timezone.now())
    subs = list(selectors.subscription_list(user=call.user))
    feeds_in = {sub.category_id for sub in subs}
    rows = []
    for cat in selectors.category_list(user=call.user):
        unread = counts.categories.get(cat.pk, 0)
        if (include_empty or cat.pk in feeds_in) and (unread or not unread_only):
            rows.append(
                {"id": cat.pk, "title": cat.title, "unread": unread, "order_id": cat.position}
            )
    specials = [(CAT_SPECIAL, 0)]
    if include_empty:
        specials.insert(0, (CAT_LABELS, 0))
    if include_empty or None in feeds_in:
        specials.append((UNCATEGORIZED, counts.categories.get(None, 0)))
    for cat_id, unread in specials:
        if unread or not unread_only:
            rows.append({"id": cat_id, "title": special_category_title(cat_id), "unread": unread})
    return rows


def get_feeds(call: Call) -> list[dict[str, Any]]:
    """``getFeeds``: the feeds of ``cat_id`` (0 Uncategorized; -1 the special feeds; -3 every
    subscription; -4 both), with ``unread_only``, and ``limit``/``offset`` over the
    subscriptions. Another user's category is ``E_NOT_FOUND``."""
    cat_id, unread_only = call.int("cat_id"), call.bool("unread_only")
    limit, offset = max(0, call.int("limit")), max(0, call.int("offset"))
    counts = Counts.read(call.user, timezone.now())
    rows: list[dict[str, Any]] = []
    if cat_id in (CAT_ALL, CAT_SPECIAL):
        for feed_id in (STARRED, PUBLISHED, FRESH, ALL_ARTICLES, RECENTLY_READ, ARCHIVED):
            unread = counts.special(feed_id)
            if unread or not unread_only:
                rows.append(
                    {
                        "id": feed_id,
                        "title": special_feed_title(feed_id),
                        "unread": unread,
                        "cat_id": CAT_SPECIAL,
                    }
                )
    if cat_id in (CAT_ALL, CAT_ALL_EXCEPT_VIRTUAL):
        subs = selectors.subscription_list(user=call.user)
    elif cat_id >= 0:
        if cat_id > 0:
            category_of(call.user, cat_id)
        subs = selectors.subscription_list(user=call.user, category_id=cat_id)
    else:
        subs = selectors.subscription_list(user=call.user).none()
    subs = list(subs[offset : offset + limit] if limit else subs[offset:])
    rows += [
        feed_row(sub, counts)
        for sub in subs
        if counts.subscriptions.get(sub.pk, 0) or not unread_only
    ]
    return rows


def get_feed_tree(call: Call) -> dict[str, Any]:
    """``getFeedTree``: ``{"categories": {"identifier": "id", "label": "name", "items": [...]}}``
    with the Special category and its feeds, each category with its feeds, and Uncategorized;
    empty categories only with ``include_empty``. Feeds carry an ``icon`` URL that needs no
    credentials (``app_icons``)."""
    include_empty = call.bool("include_empty")
    counts = Counts.read(call.user, timezone.now())
    special = {
        "id": f"CAT:{CAT_SPECIAL}",
        "bare_id": CAT_SPECIAL,
        "name": special_category_title(CAT_SPECIAL),
        "type": "category",
        "unread": -1,
        "items": [
            {
                "id": f"FEED:{feed_id}",
                "bare_id": feed_id,
                "name": special_feed_title(feed_id),
                "unread": counts.special(feed_id),
                "type": "feed",
                "error": "",
                "updated": "",
                "icon": False,
                "auxcounter": 0,
            }
            for feed_id in (ALL_ARTICLES, FRESH, STARRED, PUBLISHED, ARCHIVED, RECENTLY_READ)
        ],
    }
    by_category: dict[int, list[dict[str, Any]]] = {}
    for sub in selectors.subscription_list(user=call.user):
        by_category.setdefault(sub.category_id or UNCATEGORIZED, []).append(
            _tree_feed(call.request, sub, counts)
        )
    items = [special]
    categories = [(c.pk, c.title) for c in selectors.category_list(user=call.user)]
    categories.append((UNCATEGORIZED, special_category_title(UNCATEGORIZED)))
    for cat_id, title in categories:
        feeds = by_category.get(cat_id, [])
        if feeds or include_empty:
            items.append(_tree_category(cat_id, title, feeds, counts))
    return {"categories": {"identifier": "id", "label": "name", "items": items}}


def _tree_feed(request: HttpRequest, sub: Any, counts: Counts) -> dict[str, Any]:
    return {
        "id": f"FEED:{sub.pk}",
        "bare_id": sub.pk,
        "auxcounter": -1,
        "name": sub.title or sub.feed.title or sub.feed.url,
        "checkbox": False,
        "error": sub.feed.last_error,
        "icon": app_icons.icon_url(request, sub.feed_id),
        "param": "",
        "unread": counts.subscriptions.get(sub.pk, 0),
        "type": "feed",
        "updates_disabled": 0,
    }


def _tree_category(cat_id: int, title: str, feeds: list, counts: Counts) -> dict[str, Any]:
    return {
        "id": f"CAT:{cat_id}",
        "bare_id": cat_id,
        "auxcounter": -1,
        "name": title,
        "items": feeds,
        "checkbox": False,
        "type": "category",
        "unread": counts.categories.get(cat_id or None, 0),
        "child_unread": 0,
        "param": ngettext("(%(count)d feed)", "(%(count)d feeds)", len(feeds))
        % {"count": len(feeds)},
    }


#: catchupFeed ``mode``: how old (first seen) an entry must be to be marked read.
CATCHUP_AGES = {"1day": timedelta(days=1), "1week": timedelta(weeks=1), "2week": timedelta(weeks=2)}


def catchup_feed(call: Call) -> dict[str, Any]:
    """``catchupFeed``: mark a feed (``is_cat``: a category) read; ``mode`` ``all`` (default),
    ``1day``, ``1week`` or ``2week`` marks only entries first seen longer ago than that.

    Feeds: the user's subscription, -4 All, -3 Fresh, -1 Starred (their unread entries);
    categories: one of the user's, 0 Uncategorized. Other special feeds and categories (-1
    Special, -2 Labels...) change nothing, as in tt-rss.
    A missing or non-numeric ``feed_id`` is INCORRECT_USAGE, another user's subscription or
    category E_NOT_FOUND.
    """
    if not is_integer(call.params.get("feed_id")):
        raise ApiError(INCORRECT_USAGE)
    feed_id, is_cat = call.int("feed_id"), call.bool("is_cat")
    now = timezone.now()
    age = CATCHUP_AGES.get(call.text("mode"))
    before = now - age if age else None
    if is_cat:  # one of the user's categories, or Uncategorized; Special and Labels: nothing
        if feed_id > 0:
            category_of(call.user, feed_id)
        if feed_id >= 0:
            services.mark_all_read(user=call.user, category_id=feed_id, before=before)
    elif feed_id > 0:
        sub = subscription_of(call.user, feed_id)
        services.mark_all_read(user=call.user, subscription_id=sub.pk, before=before)
    elif feed_id == ALL_ARTICLES:
        services.mark_all_read(user=call.user, before=before)
    elif feed_id in (FRESH, STARRED):
        _mark_listed_read(call.user, feed_id, now, before)
    return {"status": "OK"}


def _mark_listed_read(user: Any, feed_id: int, now: datetime, before: datetime | None) -> None:
    """Mark read the unread entries of Fresh or Starred, 1,000 ids per write."""
    if feed_id == FRESH:
        filters = {"status": "unread", "first_seen_after": fresh_since(now)}
    else:
        filters = {"status": "starred"}
    filters["first_seen_before"] = before
    cursor = None
    while True:
        rows, cursor = selectors.entry_id_page(
            user=user, filters=filters, cursor=cursor, limit=services.MAX_BATCH_IDS
        )
        services.entries_set_read(user=user, entry_ids=[r.id for r in rows], read=True)
        if cursor is None:
            return


def subscribe_to_feed(call: Call) -> dict[str, Any]:
    """``subscribeToFeed``: ``feed_url`` (a feed or a site: autodiscovery) into ``category_id``
    (0 Uncategorized). Answers ``{"status": {"code": n, ...}}`` with tt-rss's codes: 0 already
    subscribed and 1 subscribed (with ``feed_id``), 2 invalid URL, 3 no feed found, 4 several
    feeds (``feeds``: {url: title}), 5 could not download (``message``), 6 not a feed.
    ``login``/``password`` (feeds behind HTTP authentication) are not supported and ignored.
    Another user's category is E_NOT_FOUND; a missing ``feed_url`` INCORRECT_USAGE.
    """
    url, cat_id = call.text("feed_url").strip(), call.int("category_id")
    if not url:
        raise ApiError(INCORRECT_USAGE)
    category = category_of(call.user, cat_id).pk if cat_id > 0 else None
    try:
        sub = services.subscription_create(user=call.user, url=url, category=category)
    except SubscriptionExists as exc:
        return {"status": {"code": 0, "feed_id": exc.subscription.pk}}
    except InvalidURL as exc:
        return {"status": {"code": 2, "message": exc.message}}
    except DiscoveryChoice as exc:
        feeds = {c.url: (c.title or c.url) for c in exc.candidates}
        return {"status": {"code": 4, "feeds": feeds}}
    except FeedNotFound as exc:
        return {"status": {"code": 3, "message": exc.message}}
    except FeedUnreachable as exc:
        return {"status": {"code": 5, "message": exc.message}}
    except ReaderError as exc:
        return {"status": {"code": 6, "message": exc.message}}
    return {"status": {"code": 1, "feed_id": sub.pk}}


def unsubscribe_feed(call: Call) -> dict[str, Any]:
    """``unsubscribeFeed``: end the user's subscription ``feed_id``; E_NOT_FOUND for another's."""
    sub = subscription_of(call.user, call.int("feed_id"))
    services.subscription_delete(user=call.user, subscription_id=sub.pk)
    return {"status": "OK"}
