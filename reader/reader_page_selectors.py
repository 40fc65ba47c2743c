"""Read-only queries that only the web pages need (directory listing, icon access).

The reading selectors proper (entry lists, unread counts, subscriptions) live in
``reader.selectors``; this module holds the few page-specific reads that the
REST API does not expose, so that views stay "parse, call one function, render".
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy

from feeds.models import Feed, Source, SourceCategory
from feeds.public import category_name, public_entry_get, public_source_get
from reader import search, selectors
from reader.models import Subscription


@dataclass
class DirectorySection:
    """One directory category (``category`` is None for uncategorised sources) and its sources.

    Each source carries ``subscribers`` (int) and ``subscription_id`` (the viewer's
    subscription id, or None).
    """

    category: SourceCategory | None
    name: str
    sources: list[Source] = field(default_factory=list)


def _subscriber_count():
    """Subquery: number of subscriptions to the source's feed (by link or by URL)."""
    matches = Subscription.objects.filter(
        Q(feed_id=OuterRef("feed_id")) | Q(feed__url=OuterRef("feed_url"))
    )
    counted = matches.order_by().values("feed_id").annotate(n=Count("id")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def directory_sources(*, user=None, query: str = "", featured_only: bool = False) -> list[Source]:
    """Active directory sources matching ``query`` (title, description, site or feed URL).

    Each Source gets ``subscribers`` (int) and ``subscription_id`` (int | None: the
    viewer's subscription to that feed, when ``user`` is signed in). Ordered as the
    directory (category position, position, title). Queries: 2 (sources, viewer's
    subscriptions).
    """
    qs = Source.objects.filter(active=True).select_related("category", "feed")
    if featured_only:
        qs = qs.filter(featured=True)
    query = (query or "").strip()
    if query:
        qs = qs.filter(
            Q(title__icontains=query)
            | Q(description__icontains=query)
            | Q(site_url__icontains=query)
            | Q(feed_url__icontains=query)
            | Q(category__name_en__icontains=query)
            | Q(category__name_zh_hans__icontains=query)
        )
    sources = list(qs.annotate(subscribers=_subscriber_count()))
    mine_by_feed: dict[int, int] = {}
    mine_by_url: dict[str, int] = {}
    if user is not None and user.is_authenticated:
        for sub_id, feed_id, url in Subscription.objects.filter(user=user).values_list(
            "id", "feed_id", "feed__url"
        ):
            mine_by_feed[feed_id] = sub_id
            mine_by_url[url] = sub_id
    for source in sources:
        source.subscription_id = mine_by_feed.get(source.feed_id or 0) or mine_by_url.get(
            source.feed_url
        )
    return sources


def directory_sections(
    *, user=None, query: str = "", featured_only: bool = False
) -> list[DirectorySection]:
    """Active sources grouped by category, in directory order (see ``directory_sources``)."""
    sections: dict[int | None, DirectorySection] = {}
    for source in directory_sources(user=user, query=query, featured_only=featured_only):
        key = source.category_id
        if key not in sections:
            sections[key] = DirectorySection(
                category=source.category, name=category_name(source.category)
            )
        sections[key].sources.append(source)
    return sorted(
        sections.values(),
        key=lambda s: (s.category is None, s.category.position if s.category else 0, s.name),
    )


def directory_categories() -> list[SourceCategory]:
    """Categories that hold at least one active source, in order, with ``n_sources``."""
    return list(
        SourceCategory.objects.annotate(
            n_sources=Count("sources", filter=Q(sources__active=True))
        ).filter(n_sources__gt=0)
    )


def feed_icon_feed(*, user, feed_id: int) -> Feed:
    """The feed whose icon ``user`` asks for, with its icon row loaded.

    Allowed: a feed the signed-in user subscribes to, or the feed of an active
    directory source (public); staff see every icon, as the feed admin lists every
    feed with its icon. Raises Http404 for anything else, so icon URLs do not reveal
    what other users read.
    """
    mine = user is not None and user.is_authenticated
    visible = Q(sources__active=True)
    if mine:
        visible |= Q(subscriptions__user=user)
    if mine and user.is_staff:
        visible = Q()
    feed = Feed.objects.filter(visible, pk=feed_id).select_related("icon").first()
    if feed is None:
        raise Http404("No such icon")
    return feed


# --- The reader page ------------------------------------------------------------


@dataclass
class SidebarCategory:
    """A category of the sidebar with its subscriptions and unread count."""

    id: int
    title: str
    unread: int
    subscriptions: list[Subscription]
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
    uncategorized: list[Subscription]
    counts: dict
    page: Any
    subscription: Subscription | None = None
    category: SidebarCategory | None = None
    entry: Any = None
    related: list = field(default_factory=list)


# The columns the sidebar shows (reader/_sidebar_sub.html): loading whole Feed and Category
# rows for 200 subscriptions took ~12 ms instead of ~5 ms.
_SIDEBAR_FIELDS = (
    "id",
    "title",
    "position",
    "category_id",
    "feed_id",
    "feed__title",
    "feed__url",
    "feed__last_error",
    "feed__disabled",
    "feed__disabled_reason",
    "feed__auto_disabled",
)


def _sidebar(*, user, counts: dict, sub_id: int | None, cat_id: int | None):
    subs_by_cat: dict[int | None, list[Subscription]] = {}
    current_sub = None
    rows = selectors.subscription_list(user=user).select_related(None).select_related("feed")
    for sub in rows.only(*_SIDEBAR_FIELDS):
        sub.display_title = sub.title or sub.feed.title or sub.feed.url
        sub.unread = counts["subscriptions"].get(sub.pk, 0)
        sub.current = sub.pk == sub_id
        if sub.current:
            current_sub = sub
        subs_by_cat.setdefault(sub.category_id, []).append(sub)
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
    if extra_filters:  # a view (issue 11: Today, saved searches)
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
    if entry_id is not None:
        result.entry = selectors.entry_get(user=user, entry_id=entry_id)
        result.related = entry_related(user=user, entry=result.entry)
    return result


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


def directory_source_get(*, source_id: Any) -> Source:
    """An active directory source by id (string or int); Http404 otherwise."""
    value = str(source_id)
    if not value.isdigit() or len(value) > 18:
        raise Http404("No such source")
    return public_source_get(source_id=int(value))


# Plain words for the fetch failure kinds of feeds.services (recorded on Feed.last_error_kind).
_FEED_ERROR_TEXT = {
    "invalid_url": gettext_lazy("The feed address is not a valid web address."),
    "blocked": gettext_lazy("The feed address points to a private network, which Tidings refuses."),
    "dns": gettext_lazy("The site's name could not be found. Is the address right?"),
    "connect": gettext_lazy("Tidings could not connect to the site."),
    "timeout": gettext_lazy("The site took too long to answer."),
    "tls": gettext_lazy("The site's secure connection (HTTPS) failed."),
    "too_large": gettext_lazy("The feed is too large."),
    "too_many_redirects": gettext_lazy("The site keeps redirecting (a redirect loop)."),
    "http": gettext_lazy("The site answered with an error."),
    "gone": gettext_lazy("The feed has been removed by the site; Tidings no longer fetches it."),
    "rate_limited": gettext_lazy("The site asked Tidings to slow down; it will try again later."),
    "parse": gettext_lazy("The feed could not be read: it is not valid RSS, Atom or JSON Feed."),
    "not_a_feed": gettext_lazy("The address is a web page, not a feed."),
}


def feed_error_text(feed: Feed) -> str:
    """The feed's last fetch error in plain, translated words ("" when the last fetch worked)."""
    if not feed.last_error and not feed.last_error_kind:
        return ""
    text = _FEED_ERROR_TEXT.get(feed.last_error_kind)
    if text is None:
        return feed.last_error
    if feed.last_error_kind == "http" and feed.last_status:
        return f"{text} (HTTP {feed.last_status})"
    return str(text)


def subscription_rows(*, user, rows=None) -> list[Subscription]:
    """The user's subscriptions for /subscriptions/ (or ``rows``, an iterable of them with
    feed and category loaded), each with ``display_title`` and ``error_text`` (plain words,
    "" when healthy). One query, none per row."""
    rows = list(selectors.subscription_list(user=user) if rows is None else rows)
    for sub in rows:
        sub.display_title = sub.title or sub.feed.title or sub.feed.url
        sub.error_text = feed_error_text(sub.feed)
    return rows


SUBSCRIPTIONS_PER_PAGE = 100


def subscription_page(
    *, user, page: Any = 1, q: str = "", category_id: int | None = None, per_page: int = 0
):
    """One page (``django.core.paginator.Page``) of /subscriptions/: the user's subscriptions
    in position order, narrowed to titles or feed addresses containing ``q`` and to
    ``category_id`` (0: Uncategorized), rows prepared as ``subscription_rows``. A bad or
    out-of-range ``page`` gives the nearest page. Two queries (count, rows) whatever the
    number of subscriptions."""
    from django.core.paginator import Paginator

    qs = selectors.subscription_list(user=user, category_id=category_id)
    q = (q or "").replace("\x00", "").strip()[:200]
    if q:
        qs = qs.filter(
            Q(title__icontains=q) | Q(feed__title__icontains=q) | Q(feed__url__icontains=q)
        )
    paginator = Paginator(qs, per_page or SUBSCRIPTIONS_PER_PAGE)
    result = paginator.get_page(page)
    result.object_list = subscription_rows(user=user, rows=result.object_list)
    return result


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
