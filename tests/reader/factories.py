"""Factories for reading-state tests: feeds, entries, subscriptions (no fixed ids)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import factory
from django.utils import timezone

from feeds.models import Entry, Feed
from reader.models import Category, Subscription


class FeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feed

    url = factory.Sequence(lambda n: f"https://feeds.example.org/feed-{n}.xml")
    title = factory.Sequence(lambda n: f"Feed {n}")
    site_url = factory.Sequence(lambda n: f"https://site{n}.example.org/")


class EntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Entry

    feed = factory.SubFactory(FeedFactory)
    guid = factory.Sequence(lambda n: f"entry-{n}")
    identity_hash = factory.LazyAttribute(lambda o: hashlib.sha256(o.guid.encode()).hexdigest())
    url = factory.Sequence(lambda n: f"https://site.example.org/post/{n}")
    title = factory.Sequence(lambda n: f"Entry {n}")
    content = "<p>Some text.</p>"
    published_at = factory.LazyFunction(timezone.now)
    created_at = factory.LazyFunction(timezone.now)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    title = factory.Sequence(lambda n: f"Category {n}")


class SubscriptionFactory(factory.django.DjangoModelFactory):
    """A subscription as a long-time subscriber has it: nothing read, no unread_since."""

    class Meta:
        model = Subscription

    feed = factory.SubFactory(FeedFactory)


def entries(feed: Feed, count: int, *, start: datetime | None = None, step_minutes: int = 1):
    """``count`` entries of ``feed`` published ``step_minutes`` apart, oldest first."""
    start = start or timezone.now() - timedelta(minutes=count * step_minutes + 1)
    return [
        EntryFactory(feed=feed, published_at=start + timedelta(minutes=i * step_minutes))
        for i in range(count)
    ]
