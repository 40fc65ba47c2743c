"""Read-only queries of the sources directory: sources by category, one source, icon access.

Used by the directory and landing pages and by the REST API's ``/api/v1/directory/``. A
source's ``subscribers`` counts subscriptions by feed link or by feed URL; the viewer's own
subscription id rides along so that the page can offer subscribe or unsubscribe.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from feeds.models import Feed, Source, SourceCategory
from feeds.public import category_name, public_source_get
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


def directory_source_get(*, source_id: Any) -> Source:
    """An active directory source by id (string or int); Http404 otherwise."""
    value = str(source_id)
    if not value.isdigit() or len(value) > 18:
        raise Http404("No such source")
    return public_source_get(source_id=int(value))
