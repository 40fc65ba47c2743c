"""Fixtures of the accounts tests: a clean cache (rate-limit counters), signed-in clients,
and a small world where alice and bob subscribe to the same feed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from accounts import services
from accounts.models import SignupMode, SiteSettings
from tests.factories import (
    CategoryFactory,
    EntryFactory,
    EntryStateFactory,
    FeedFactory,
    SubscriptionFactory,
)


@pytest.fixture(autouse=True)
def _clean_cache():
    """Rate-limit counters live in the cache: every test starts with none."""
    from accounts.ratelimit import reopen_doors

    cache.clear()
    reopen_doors()
    yield
    cache.clear()
    reopen_doors()


@pytest.fixture
def signup_mode(db):
    """Set the admin's sign-up mode: ``signup_mode("invite")``."""

    def set_mode(mode: str) -> None:
        site = SiteSettings.load()
        site.signup_mode = SignupMode(mode)
        site.save()

    return set_mode


@pytest.fixture
def alice_client(alice) -> Client:
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(bob) -> Client:
    client = Client()
    client.force_login(bob)
    return client


@dataclass
class Owned:
    """One user's objects in the isolation world."""

    user: object
    client: Client
    category: object
    subscription: object
    state: object
    token: object
    raw_token: str
    client_password: str


@dataclass
class World:
    """alice and bob subscribed to the same feed, each with a category, a starred entry,
    an API token and a client password."""

    feed: object
    entries: list
    alice: Owned
    bob: Owned

    def other(self, owned: Owned) -> Owned:
        return self.bob if owned is self.alice else self.alice


def _own(user, feed, entries, *, secret: str) -> Owned:
    category = CategoryFactory(user=user, title=f"{user.username}-folder")
    subscription = SubscriptionFactory(
        user=user, feed=feed, category=category, title=f"{user.username} reads this"
    )
    state = EntryStateFactory(
        user=user, entry=entries[0], read=True, starred=True, starred_at=timezone.now()
    )
    token, raw = services.token_create(user=user, name=f"{user.username}-script")
    password = f"{secret}-client-pass-981"
    services.client_password_set(user=user, password=password)
    client = Client()
    client.force_login(user)
    return Owned(user, client, category, subscription, state, token, raw, password)


@pytest.fixture
def world(alice, bob) -> World:
    feed = FeedFactory(url="https://shared.example/feed.xml", title="Shared feed", site_url="")
    now = timezone.now()
    entries = [
        EntryFactory(
            feed=feed,
            guid="",
            content="",
            identity_hash=f"{i:064x}",
            title=f"Entry {i}",
            url=f"https://shared.example/{i}",
            published_at=now - timedelta(hours=i),
        )
        for i in range(3)
    ]
    return World(
        feed=feed,
        entries=entries,
        alice=_own(alice, feed, entries, secret="alice"),
        bob=_own(bob, feed, entries, secret="bob"),
    )
