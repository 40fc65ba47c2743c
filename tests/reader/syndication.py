"""Helpers of the issue 11 (part B) tests: RSS documents served by the loopback feed server,
subscriptions created through the reading services, refreshes through ``feed_refresh``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from html import escape

from django.utils import timezone

from feeds.models import Entry
from feeds.services import feed_refresh
from reader import services
from reader.models import Subscription

RSS = "application/rss+xml"


@dataclass(frozen=True)
class Item:
    """One RSS item: title, link, guid, age (hours before now), description, author, categories."""

    title: str
    link: str
    guid: str
    hours_ago: float = 1.0
    description: str = "<p>Text.</p>"
    author: str = ""
    categories: tuple[str, ...] = ()

    def published(self, now: datetime) -> datetime:
        return now - timedelta(hours=self.hours_ago)


def rss(title: str, items: list[Item], *, now: datetime | None = None) -> bytes:
    """An RSS 2.0 document with ``items`` (published relative to ``now``)."""
    now = now or timezone.now()
    body = "".join(
        f"<item><title>{escape(i.title)}</title><link>{escape(i.link)}</link>"
        f"<guid isPermaLink='false'>{escape(i.guid)}</guid>"
        f"<description>{escape(i.description)}</description>"
        + (f"<author>{escape(i.author)}</author>" if i.author else "")
        + "".join(f"<category>{escape(c)}</category>" for c in i.categories)
        + f"<pubDate>{format_datetime(i.published(now))}</pubDate></item>"
        for i in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{escape(title)}</title>'
        f"<link>https://feeds.example.org/</link><description>d</description>{body}"
        "</channel></rss>"
    ).encode()


def serve(feed_server, path: str, title: str, items: list[Item]) -> str:
    """Serve an RSS document at ``path``; returns its URL."""
    feed_server.add_route(path, body=rss(title, items), headers={"Content-Type": RSS})
    return feed_server.url(path)


def subscribe(user, url: str, **kwargs) -> Subscription:
    """Subscribe ``user`` to ``url`` without discovery (the feed is refreshed by ``refresh``)."""
    return services.subscription_create(user=user, url=url, discover=False, **kwargs)


def refresh(sub: Subscription):
    """Fetch, parse and store the subscription's feed now; returns the RefreshResult."""
    result = feed_refresh(feed_id=sub.feed_id, force=True)
    assert result.outcome == "ok", result
    return result


def entry(sub: Subscription, guid: str) -> Entry:
    """The stored entry of ``sub``'s feed with ``guid``."""
    return Entry.objects.get(feed_id=sub.feed_id, guid=guid)
