"""Factories of the test data, in one place: users, feeds, entries, categories, subscriptions,
entry states, rules and saved views (factory_boy, no fixed ids).

Rows are written directly, as the models allow; the services (subscribing, marking read, rule
matching) are tested through their own calls. Every factory takes the model's field names as
keyword arguments, e.g. ``SubscriptionFactory(user=alice, feed=feed, category=tech)``.
The standing cast (``alice``, ``bob``, ``charlie``) is built from ``UserFactory`` in
tests/conftest.py.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import factory
from django.utils import timezone

from accounts.models import User
from feeds.models import Entry, Feed
from reader.models import Category, EntryState, Rule, SavedView, Subscription

#: The password of every user made by ``UserFactory`` unless one is given.
PASSWORD = "a-long-test-password-42"


class UserFactory(factory.django.DjangoModelFactory):
    """A user with an ``<username>@example.com`` address and a hashed ``password``.

    ``UserFactory(username="dora", password="...", language="zh-hans")``; the password is
    set through ``User.objects.create_user`` (so ``check_password`` and sign-in work).
    """

    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = PASSWORD

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        manager = cls._get_manager(model_class)
        return manager.create_user(*args, **kwargs)


class FeedFactory(factory.django.DjangoModelFactory):
    """A feed row (nothing is fetched): a distinct URL, title and site URL per feed."""

    class Meta:
        model = Feed

    url = factory.Sequence(lambda n: f"https://feeds.example.org/feed-{n}.xml")
    title = factory.Sequence(lambda n: f"Feed {n}")
    site_url = factory.Sequence(lambda n: f"https://site{n}.example.org/")


class EntryFactory(factory.django.DjangoModelFactory):
    """An entry of ``feed``; ``identity_hash`` is the SHA-256 hex of ``guid`` unless given.

    ``published_at`` and ``created_at`` default to now (timezone-aware).
    """

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
    """A user's folder; pass ``user=``."""

    class Meta:
        model = Category

    title = factory.Sequence(lambda n: f"Category {n}")


class SubscriptionFactory(factory.django.DjangoModelFactory):
    """A subscription as a long-time subscriber has it: nothing read, no unread_since.

    Pass ``user=``; ``feed`` is a new feed unless given.
    """

    class Meta:
        model = Subscription

    feed = factory.SubFactory(FeedFactory)


class EntryStateFactory(factory.django.DjangoModelFactory):
    """A user's exception for one entry (``read`` True/False/None, ``starred``); pass ``user=``.

    ``entry`` is a new entry unless given; ``starred_at`` is now when ``starred`` is true.
    """

    class Meta:
        model = EntryState

    entry = factory.SubFactory(EntryFactory)
    starred = False
    starred_at = factory.LazyAttribute(lambda o: timezone.now() if o.starred else None)


class RuleFactory(factory.django.DjangoModelFactory):
    """A filter rule of ``user=`` (title contains any of the words, mark read, all feeds)."""

    class Meta:
        model = Rule

    pattern = factory.Sequence(lambda n: f"word{n}")


class SavedViewFactory(factory.django.DjangoModelFactory):
    """A saved view of ``user=`` (unread entries of every subscription, shown as a list)."""

    class Meta:
        model = SavedView

    name = factory.Sequence(lambda n: f"View {n}")


def entries(
    feed: Feed, count: int, *, start: datetime | None = None, step_minutes: int = 1
) -> list[Entry]:
    """``count`` entries of ``feed`` published ``step_minutes`` apart, oldest first.

    ``start`` (aware datetime) is the first publication time; by default the last entry is
    published a minute before now.
    """
    start = start or timezone.now() - timedelta(minutes=count * step_minutes + 1)
    return [
        EntryFactory(feed=feed, published_at=start + timedelta(minutes=i * step_minutes))
        for i in range(count)
    ]
