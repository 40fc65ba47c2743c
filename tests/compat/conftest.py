"""A live server with real data for the Google Reader and Fever API tests.

Alice and Bob each set a client password; Alice follows two feeds (one in the
folder "Tech"), Bob follows only the shared one. Requests go over real HTTP to
pytest-django's live server.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import pytest
import requests
from django.core.cache import cache

from accounts import services as accounts
from tests.factories import CategoryFactory, FeedFactory, SubscriptionFactory, entries

PASSWORD = {"alice": "alice-app-pass", "bob": "bob-app-pass"}


@dataclass
class World:
    base: str
    alice: object
    bob: object
    shared_feed: object
    private_feed: object
    tech: object
    shared_entries: list = field(default_factory=list)
    private_entries: list = field(default_factory=list)

    def fever_key(self, username: str) -> str:
        key = f"{username}:{PASSWORD[username]}".encode()
        return hashlib.md5(key, usedforsecurity=False).hexdigest()

    def fever(self, username: str, query: str = "", **data) -> dict:
        data.setdefault("api_key", self.fever_key(username))
        response = requests.post(f"{self.base}/api/fever/?api&{query}", data=data, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def greader_login(self, username: str) -> str:
        response = requests.post(
            f"{self.base}/api/greader/accounts/ClientLogin",
            data={"Email": username, "Passwd": PASSWORD[username]},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        lines = dict(line.split("=", 1) for line in response.text.strip().splitlines())
        return lines["Auth"]

    def greader(self, token: str, method: str, path: str, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        headers["Authorization"] = f"GoogleLogin auth={token}"
        url = f"{self.base}/api/greader/reader/api/0/{path}"
        return requests.request(method, url, headers=headers, timeout=10, **kwargs)


@pytest.fixture(autouse=True)
def _clean_credential_lock():
    """Failure counters of the credential lock live in the cache: every test starts with none."""
    from accounts.ratelimit import reopen_doors

    cache.clear()
    reopen_doors()
    yield
    cache.clear()
    reopen_doors()


@pytest.fixture
def world(live_server, alice, bob) -> World:
    for user in (alice, bob):
        accounts.client_password_set(user=user, password=PASSWORD[user.username])
    shared = FeedFactory(title="Shared news", url="https://feeds.example.org/shared.xml")
    private = FeedFactory(title="Alice's private", url="https://priv.example.com/feed?token=SECRET")
    tech = CategoryFactory(user=alice, title="Tech")
    SubscriptionFactory(user=alice, feed=shared, category=tech)
    SubscriptionFactory(user=alice, feed=private)
    SubscriptionFactory(user=bob, feed=shared)
    return World(
        base=live_server.url,
        alice=alice,
        bob=bob,
        shared_feed=shared,
        private_feed=private,
        tech=tech,
        shared_entries=entries(shared, 5),
        private_entries=entries(private, 3),
    )
