"""Read-only queries that compose the reader: its three panes, "Open in Tidings", search.

The reading selectors proper (entry lists, unread counts, subscriptions) live in
``reader.selectors``; this module puts their results together the way /reader/ and
/search/ show them (sidebar with counts, one page of entries, the open entry and its
neighbours, search excerpts), so that the pages stay "parse, call one function, render".
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from django.http import Http404
from django.utils import timezone
from django.utils.html import strip_tags

from feeds.public import public_entry_get
from reader import read_state, search, selectors
from reader.models import Subscription


@dataclass(slots=True)
class SidebarFeed:
    """The feed columns a sidebar row shows (``reader/_sidebar_sub.html``, the error texts of
    ``reader.feed_errors``)."""

    title: str
    url: str
    last_error: str
    last_error_kind: str
    last_status: int | None
    disabled: bool
    disabled_reason: str
    auto_disabled: bool
    last_fetched_at: datetime | None


@dataclass(slots=True)
class SidebarSubscription:
    """One sidebar row: a subscription's columns, its feed's, its unread count.

    Plain values, not model instances: building 1,000 Subscription and Feed instances took
    most of the reader page of a user with 1,000 subscriptions (bench/reading.py).
    """

    pk: int
    title: str
    position: int
    category_id: int | None
    feed_id: int
    feed: SidebarFeed
    display_title: str
    unread: int
    current: bool

    @property
    def id(self) -> int:
        return self.pk


@dataclass
class SidebarCategory:
    """A category of the sidebar with its subscriptions and unread count."""

    id: int
    title: str
    unread: int
    subscriptions: list[SidebarSubscription]
    current: bool = False


@dataclass
class ReaderPage:
    """Everything the three panes of /reader/ show.

    ``show`` is "unread", "all" or "starred"; ``scope`` the current subscription or
    category (or None); ``page`` an ``EntryPage``; ``entry`` the open entry (or None)
    with ``related`` (its feed's other recent entries).
    """

    show: str
    categories: list[SidebarCategory]
    uncategorized: list[SidebarSubscription]
    counts: dict
    page: Any
    subscription: Subscription | None = None
    category: SidebarCategory | None = None
    entry: Any = None
    related: list = field(default_factory=list)
    #: The current subscription's feed was never fetched yet (its first fetch is queued).
    fetch_pending: bool = False
    #: Entries the current, recent subscription started with as read (0: say nothing).
    older_read: int = 0


# The columns the sidebar shows (reader/_sidebar_sub.html), read as plain values.
_SIDEBAR_SUB_FIELDS = ("id", "title", "position", "category_id", "feed_id")
_SIDEBAR_FEED_FIELDS = (
    "title",
    "url",
    "last_error",
    "last_error_kind",
    "last_status",
    "disabled",
    "disabled_reason",
    "auto_disabled",
    "last_fetched_at",
)

#: How long after subscribing the list of a subscription says how many older entries
#: started read ("N older entries were marked read"), in days.
NEW_SUBSCRIPTION_NOTE_DAYS = 7


def _sidebar(*, user, counts: dict, sub_id: int | None, cat_id: int | None):
    subs_by_cat: dict[int | None, list[SidebarSubscription]] = {}
    current_sub = None
    rows = (
        selectors.subscription_list(user=user)
        .select_related(None)
        .values_list(*_SIDEBAR_SUB_FIELDS, *(f"feed__{name}" for name in _SIDEBAR_FEED_FIELDS))
    )
    unread = counts["subscriptions"]
    width = len(_SIDEBAR_SUB_FIELDS)
    for row in rows:
        pk, title, position, category_id, feed_id = row[:width]
        feed = SidebarFeed(*row[width:])
        sub = SidebarSubscription(
            pk=pk,
            title=title,
            position=position,
            category_id=category_id,
            feed_id=feed_id,
            feed=feed,
            display_title=title or feed.title or feed.url,
            unread=unread.get(pk, 0),
            current=pk == sub_id,
        )
        subs_by_cat.setdefault(category_id, []).append(sub)
        if sub.current:
            current_sub = sub
    if current_sub is not None:  # the open subscription as a model (its list uses its fields)
        row = current_sub
        current_sub = (
            Subscription.objects.select_related("feed").filter(user=user, pk=sub_id).first()
        )
        if current_sub is not None:
            current_sub.display_title, current_sub.unread = row.display_title, row.unread
            current_sub.current = True
    categories = [
        SidebarCategory(
            id=cat.pk,
            title=cat.title,
            unread=counts["categories"].get(cat.pk, 0),
            subscriptions=subs_by_cat.get(cat.pk, []),
            current=cat.pk == cat_id,
        )
        for cat in selectors.category_list(user=user)
    ]
    return categories, subs_by_cat.get(None, []), current_sub


def reader_page(
    *,
    user,
    show: str,
    subscription_id: int | None = None,
    category_id: int | None = None,
    entry_id: int | None = None,
    cursor: str | None = None,
    sidebar: bool = True,
    extra_filters: dict | None = None,
) -> ReaderPage:
    """Compose the reader: sidebar (subscriptions, categories, unread counts), one page of
    entries (``show``: unread/all/starred, newest or oldest first per the user's
    preference, narrowed to a subscription or category), and the open entry.

    A constant number of queries whatever the number of subscriptions (about 10).
    ``extra_filters``: more ``EntryFilters`` fields (a saved view's q, dates...).
    Raises ``reader.errors.NotFound`` for a foreign entry id, ``InvalidInput`` for a
    bad cursor.
    """
    counts = selectors.unread_counts(user=user)
    categories, uncategorized, current_sub = (
        _sidebar(user=user, counts=counts, sub_id=subscription_id, cat_id=category_id)
        if sidebar
        else ([], [], None)
    )
    current_cat = next((c for c in categories if c.current), None)
    filters = selectors.EntryFilters(
        status=show,
        subscription_id=subscription_id,
        category_id=category_id,
        sort=getattr(user, "sort_order", "newest") or "newest",
    )
    if extra_filters:  # a view: Today or a saved search
        filters = replace(filters, **extra_filters)
    limit = max(1, min(int(getattr(user, "entries_per_page", 50) or 50), 200))
    page = selectors.entry_list(user=user, filters=filters, cursor=cursor, limit=limit)
    result = ReaderPage(
        show=show,
        categories=categories,
        uncategorized=uncategorized,
        counts=counts,
        page=page,
        subscription=current_sub,
        category=current_cat,
    )
    if current_sub is not None:
        result.fetch_pending = (
            current_sub.feed.last_fetched_at is None and not current_sub.feed.disabled
        )
        result.older_read = subscription_older_read(current_sub)
    if entry_id is not None:
        result.entry = selectors.entry_get(user=user, entry_id=entry_id)
        result.related = entry_related(user=user, entry=result.entry)
    return result


def subscription_older_read(sub: Subscription, *, now: datetime | None = None) -> int:
    """How many older entries ``sub`` started with as read, when it is worth saying.

    ``read_state.older_read_count`` for a subscription made in the last
    ``NEW_SUBSCRIPTION_NOTE_DAYS`` days; 0 (no query) for an older one.
    """
    now = now or timezone.now()
    if sub.unread_since is None or sub.created_at < now - timedelta(
        days=NEW_SUBSCRIPTION_NOTE_DAYS
    ):
        return 0
    return read_state.older_read_count(sub)


def entry_related(*, user, entry, limit: int = 6) -> list:
    """The newest other entries of the open entry's subscription (empty when not subscribed)."""
    if entry.subscription_id is None:
        return []
    page = selectors.entry_list(
        user=user,
        filters=selectors.EntryFilters(status="all", subscription_id=entry.subscription_id),
        limit=limit + 1,
    )
    return [e for e in page.entries if e.pk != entry.pk][:limit]


def entry_view(*, user, entry_id: int) -> tuple[Any, list]:
    """The entry ``entry_id`` as the reading pane shows it, and its feed's other recent entries.

    Raises ``reader.errors.NotFound`` when the user can read neither.
    """
    entry = selectors.entry_get(user=user, entry_id=entry_id)
    return entry, entry_related(user=user, entry=entry)


@dataclass
class EntryTarget:
    """Where "Open in Tidings" leads for one entry id (see ``reader_entry_target``)."""

    readable: bool = False
    subscription_id: int | None = None
    public: bool = False
    source_id: int | None = None


def reader_entry_target(*, user, entry_id: int) -> EntryTarget:
    """Whether ``user`` can read ``entry_id`` in the reader (subscribed, or starred), else
    whether it is a public directory entry (``source_id`` to offer a subscription)."""
    try:
        entry = selectors.entry_get(user=user, entry_id=entry_id)
        return EntryTarget(readable=True, subscription_id=entry.subscription_id)
    except Http404:
        pass
    try:
        _entry, source = public_entry_get(entry_id=entry_id)
    except Http404:
        return EntryTarget()
    return EntryTarget(public=True, source_id=source.pk)


def search_results(*, user, q: str, offset: int = 0, limit: int = 30):
    """``selectors.entry_search`` page for ``q``, each entry with ``excerpt`` (plain text around
    the first match) and the page with ``terms`` (the words to highlight)."""
    page = selectors.entry_search(user=user, q=q, offset=offset, limit=limit)
    terms = [t.text for t in search.parse_query(q) if not t.exclude and t.text != "OR"]
    for entry in page.entries:
        texts = [
            " ".join(html.unescape(strip_tags(markup or "")).split())
            for markup in (entry.summary, entry.content)
        ]
        hit = [t for t in texts if any(term.lower() in t.lower() for term in terms)]
        entry.excerpt = _excerpt((hit or [t for t in texts if t] or [""])[0], terms)
    page.terms = terms
    return page


def _excerpt(text: str, terms: list[str], width: int = 240) -> str:
    lowered = text.lower()
    hits = [lowered.find(t.lower()) for t in terms if t and lowered.find(t.lower()) >= 0]
    start = max(0, min(hits) - width // 3) if hits else 0
    snippet = text[start : start + width]
    return ("…" if start else "") + snippet + ("…" if start + width < len(text) else "")
