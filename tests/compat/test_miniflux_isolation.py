"""Isolation on the Miniflux API: for every route that names an object, Bob gets the 404 an
unknown id gets for each of Alice's private feed, category and entries, and nothing of
Alice's changes; the routes that list things show Bob nothing of hers.

World (tests/compat/conftest.py): Alice follows "Shared news" (in her folder "Tech") and
"Alice's private" (secret URL); Bob follows the shared feed only.
"""

from __future__ import annotations

import json
import re

import pytest
import requests

from accounts import services as accounts
from reader.api.compat.integer_ids import integer_entry_id
from reader.api.miniflux.urls import urlpatterns
from reader.models import Category, EntryState, Subscription

pytestmark = pytest.mark.django_db(transaction=True)

NOT_FOUND = {"error_message": "Resource Not Found"}


def _alice_state(alice) -> str:
    rows = {
        "subs": list(Subscription.objects.filter(user=alice).values().order_by("id")),
        "cats": list(Category.objects.filter(user=alice).values().order_by("id")),
        "states": list(EntryState.objects.filter(user=alice).values("entry_id", "read", "starred")),
    }
    return json.dumps(rows, default=str, sort_keys=True)


def _calls(world) -> list[tuple[str, str, dict | None]]:
    feed, cat = world.private_feed.pk, world.tech.pk
    entry = integer_entry_id(world.private_entries[0].pk)
    return [
        ("PUT", f"users/{world.alice.pk}/mark-all-as-read", None),
        ("PUT", f"categories/{cat}", {"title": "pwned"}),
        ("DELETE", f"categories/{cat}", None),
        ("PUT", f"categories/{cat}/mark-all-as-read", None),
        ("GET", f"categories/{cat}/feeds", None),
        ("GET", f"categories/{cat}/entries", None),
        ("GET", f"categories/{cat}/entries/{entry}", None),
        ("GET", f"feeds/{feed}", None),
        ("PUT", f"feeds/{feed}", {"title": "pwned"}),
        ("DELETE", f"feeds/{feed}", None),
        ("PUT", f"feeds/{feed}/refresh", None),
        ("GET", f"feeds/{feed}/icon", None),
        ("PUT", f"feeds/{feed}/mark-all-as-read", None),
        ("GET", f"feeds/{feed}/entries", None),
        ("GET", f"feeds/{feed}/entries/{entry}", None),
        ("GET", f"entries?feed_id={feed}", None),
        ("GET", f"entries?category_id={cat}", None),
        ("GET", f"entries/{entry}", None),
        ("PUT", f"entries/{entry}/bookmark", None),
        ("GET", f"icons/{feed}", None),
        # Bob's own feed moved into Alice's category: her category is not his.
        ("PUT", f"feeds/{world.shared_feed.pk}", {"category_id": cat}),
        ("POST", "feeds", {"feed_url": "https://example.org/x.xml", "category_id": cat}),
    ]


@pytest.fixture
def bob_token(world) -> str:
    return accounts.token_create(user=world.bob, name="app")[1]


def test_bob_gets_the_unknown_id_404_for_each_of_alices_objects(world, bob_token):
    before = _alice_state(world.alice)
    headers = {"X-Auth-Token": bob_token}
    for method, path, body in _calls(world):
        url = f"{world.base}/v1/{path}"
        response = requests.request(method, url, headers=headers, json=body, timeout=10)
        assert response.status_code == 404, (method, path, response.status_code, response.text)
        assert response.json() == NOT_FOUND, (method, path)
    assert _alice_state(world.alice) == before


def test_bobs_marks_on_alices_entries_change_nothing(world, bob_token):
    before = _alice_state(world.alice)
    ids = [integer_entry_id(e.pk) for e in world.private_entries]
    for status in ("read", "unread"):
        response = requests.put(
            f"{world.base}/v1/entries",
            headers={"X-Auth-Token": bob_token},
            json={"entry_ids": ids, "status": status},
            timeout=10,
        )
        assert response.status_code == 204
    assert _alice_state(world.alice) == before


def test_nothing_bob_lists_mentions_alices_private_feed_or_folder(world, bob_token):
    headers = {"X-Auth-Token": bob_token}
    for path in (
        "feeds",
        "categories?counts=true",
        "feeds/counters",
        "entries?limit=0",
        "entries?starred=true",
        "export",
        "me",
    ):
        body = requests.get(f"{world.base}/v1/{path}", headers=headers, timeout=10).text
        for secret in ("SECRET", "Alice's private", "Tech", str(world.private_feed.url)):
            assert secret not in body, (path, secret)


def test_every_route_that_names_an_object_is_in_the_table(world):
    """A new route with an id must get a line in ``_calls``."""
    covered = {(method, _shape(path)) for method, path, _ in _calls(world)}
    for pattern in urlpatterns:
        regex = pattern.pattern.regex.pattern
        if "(?P<" not in regex:
            continue
        for method in pattern.callback.methods:
            assert (method, _route_shape(regex)) in covered, (method, regex)


def _shape(path: str) -> str:
    parts = path.split("?")[0].split("/")
    return "/".join("#" if part.isdigit() else part for part in parts)


def _route_shape(regex: str) -> str:
    body = regex.lstrip("^").removesuffix("/?$")
    return re.sub(r"\(\?P<\w+>[^)]*\)", "#", body)
