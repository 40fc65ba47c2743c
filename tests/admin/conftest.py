"""Helpers of the admin and operations tests: feeds, entries, subscriptions with known figures."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from feeds.models import Entry, Feed
from tests.factories import EntryFactory, FeedFactory, SubscriptionFactory

RSS_TWO_ITEMS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
<title>Loopback News</title><link>http://feeds.example.org/</link><description>d</description>
<item><title>First</title><link>http://feeds.example.org/1</link><guid>urn:test:1</guid>
<pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate><description>one</description></item>
<item><title>Second</title><link>http://feeds.example.org/2</link><guid>urn:test:2</guid>
<pubDate>Tue, 03 Nov 2026 10:00:00 GMT</pubDate><description>two</description></item>
</channel></rss>
"""


def make_feed(url: str, **fields) -> Feed:
    """A Feed row with the given fetch state (no fetch happens); title and site URL empty
    unless given."""
    fields = {"title": "", "site_url": "", **fields}
    return FeedFactory(url=url, **fields)


def make_entries(feed: Feed, published: list[datetime]) -> list[Entry]:
    """One entry per publication time, with distinct identities."""
    return [
        EntryFactory(
            feed=feed,
            url="",
            content="",
            identity_hash=hashlib.sha256(f"{feed.pk}-{i}".encode()).hexdigest(),
            guid=f"urn:{feed.pk}:{i}",
            title=f"Entry {i}",
            published_at=when,
            created_at=when,
        )
        for i, when in enumerate(published)
    ]


def subscribe(user, feed: Feed):
    """A subscription row (the reader service is not needed for admin figures)."""
    return SubscriptionFactory(user=user, feed=feed)


@pytest.fixture
def now():
    """The current time, truncated to the second."""
    return timezone.now().replace(microsecond=0)


@pytest.fixture
def hours():
    """``hours(n)``: a timedelta of n hours."""
    return lambda n: timedelta(hours=n)
