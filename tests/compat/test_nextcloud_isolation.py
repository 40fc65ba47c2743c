"""Isolation and robustness of the Nextcloud News API.

* Bob gets the one 404 (``{"message": "Not found."}``) for every route that names one of
  Alice's folders, feeds or items, batch marks skip Alice's ids, and nothing of Alice's
  changes.
* A hypothesis fuzz sends random methods, paths, parameters and bodies to every route:
  never a 5xx, and every error is ``{"message": <text>}``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from urllib.parse import urlencode

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import services as accounts
from reader.api.compat.integer_ids import integer_entry_id
from reader.models import Category, EntryState, Subscription
from tests.compat.conftest import PASSWORD
from tests.factories import CategoryFactory, FeedFactory, SubscriptionFactory, entries

pytestmark = pytest.mark.django_db

API = "/index.php/apps/news/api/v1-3/"


def _auth(username: str) -> dict[str, str]:
    raw = base64.b64encode(f"{username}:{PASSWORD[username]}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {raw}"}


@pytest.fixture
def cast(alice, bob):
    """Alice: folder Private with her private feed (3 entries, one starred), a shared feed.
    Bob: the shared feed, a folder of his own."""
    for user in (alice, bob):
        accounts.client_password_set(user=user, password=PASSWORD[user.username])
    private, shared = FeedFactory(title="Private"), FeedFactory(title="Shared")
    folder = CategoryFactory(user=alice, title="Private")
    SubscriptionFactory(user=alice, feed=private, category=folder)
    SubscriptionFactory(user=alice, feed=shared)
    SubscriptionFactory(user=bob, feed=shared)
    CategoryFactory(user=bob, title="Bob's")
    secret = entries(private, 3)
    entries(shared, 2)
    EntryState.objects.create(user=alice, entry=secret[0], starred=True)
    return {"folder": folder.pk, "feed": private.pk, "shared": shared.pk, "secret": secret}


def _alice_state(alice) -> str:
    rows = {
        "subs": list(Subscription.objects.filter(user=alice).values().order_by("id")),
        "cats": list(Category.objects.filter(user=alice).values().order_by("id")),
        "states": list(EntryState.objects.filter(user=alice).values("entry_id", "read", "starred")),
    }
    return json.dumps(rows, default=str, sort_keys=True)


def _calls(cast) -> list[tuple[str, str, dict | None]]:
    folder, feed = cast["folder"], cast["feed"]
    item = integer_entry_id(cast["secret"][1].pk)
    guid_hash = hashlib.md5(cast["secret"][1].guid.encode(), usedforsecurity=False).hexdigest()
    newest = {"newestItemId": integer_entry_id(cast["secret"][2].pk)}
    return [
        ("put", f"folders/{folder}", {"name": "pwned"}),
        ("delete", f"folders/{folder}", None),
        ("put", f"folders/{folder}/read", newest),
        ("get", f"items?type=1&id={folder}", None),
        ("get", f"items/updated?type=1&id={folder}&lastModified=0", None),
        ("post", "feeds", {"url": "https://example.org/feed.xml", "folderId": folder}),
        ("put", f"feeds/{cast['shared']}/move", {"folderId": folder}),
        ("delete", f"feeds/{feed}", None),
        ("put", f"feeds/{feed}/move", {"folderId": None}),
        ("put", f"feeds/{feed}/rename", {"feedTitle": "pwned"}),
        ("put", f"feeds/{feed}/read", newest),
        ("get", f"items?type=0&id={feed}", None),
        ("get", f"items/updated?type=0&id={feed}&lastModified=0", None),
        ("put", f"items/{item}/read", None),
        ("put", f"items/{item}/unread", None),
        ("post", f"items/{item}/star", None),
        ("post", f"items/{item}/unstar", None),
        ("put", f"items/{feed}/{guid_hash}/star", None),
        ("put", f"items/{feed}/{guid_hash}/unstar", None),
    ]


def test_bob_gets_not_found_for_each_of_alices_objects_and_nothing_changes(cast, alice, bob):
    client = Client()
    before = _alice_state(alice)
    for method, path, body in _calls(cast):
        data = json.dumps(body) if body is not None else ""
        answer = getattr(client, method)(API + path, data, "application/json", **_auth("bob"))
        assert answer.status_code == 404, (method, path, answer.content)
        assert answer.json() == {"message": "Not found."}, (method, path)
    assert _alice_state(alice) == before


def test_bob_s_batch_marks_skip_alices_items(cast, alice):
    client = Client()
    before = _alice_state(alice)
    item_ids = [integer_entry_id(e.pk) for e in cast["secret"]]
    guid_pairs = [{"feedId": cast["feed"], "guidHash": "0" * 32}]
    for path, body in (
        ("items/read/multiple", {"itemIds": item_ids}),
        ("items/unread/multiple", {"items": item_ids}),
        ("items/star/multiple", {"itemIds": item_ids}),
        ("items/unstar/multiple", {"itemIds": item_ids}),
        ("items/star/multiple", {"items": guid_pairs}),
    ):
        answer = client.put(API + path, json.dumps(body), "application/json", **_auth("bob"))
        assert answer.status_code == 200, (path, answer.content)
    assert _alice_state(alice) == before


def test_nothing_bob_lists_mentions_alices_private_feed_or_items(cast):
    client = Client()
    secret_ids = {integer_entry_id(e.pk) for e in cast["secret"]}
    for path in ("feeds", "folders", "items", "items?type=2", "items/updated?lastModified=0"):
        body = client.get(API + path, **_auth("bob")).json()
        for feed in body.get("feeds", []):
            assert feed["id"] != cast["feed"]
        assert "Private" not in [f["name"] for f in body.get("folders", [])]
        assert not secret_ids & {item["id"] for item in body.get("items", [])}


_PATHS = [
    "", "status", "version", "user", "folders", "folders/{n}", "folders/{n}/read", "feeds",
    "feeds/{n}", "feeds/{n}/move", "feeds/{n}/rename", "feeds/{n}/read", "items",
    "items/updated", "items/read", "items/{n}/read", "items/{n}/unread", "items/{n}/star",
    "items/{n}/unstar", "items/read/multiple", "items/unread/multiple", "items/star/multiple",
    "items/unstar/multiple", "items/{n}/{t}/star", "items/{n}/{t}/unstar", "{t}",
]  # fmt: skip
_NAMES = [
    "type", "id", "getRead", "batchSize", "offset", "oldestFirst", "lastModified", "name",
    "url", "folderId", "feedTitle", "newestItemId", "items", "itemIds", "feedId", "guidHash",
]  # fmt: skip
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(_NAMES), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    method=st.sampled_from(["get", "post", "put", "delete", "patch"]),
    path=st.sampled_from(_PATHS),
    number=st.one_of(st.integers(min_value=0, max_value=2**62), st.sampled_from([0, 1])),
    text=st.text(alphabet="abcdef0123456789%./-", min_size=1, max_size=40),
    query=st.dictionaries(st.sampled_from(_NAMES), st.text(max_size=10), max_size=4),
    body=st.one_of(
        st.dictionaries(st.sampled_from(_NAMES), _values, max_size=4).map(json.dumps),
        _values.map(json.dumps),
        st.text(max_size=30),
    ),
    version=st.sampled_from(["v1-2", "v1-3"]),
)
def test_random_requests_never_get_a_server_error(
    cast, method, path, number, text, query, body, version
):
    client = Client()
    url = f"/index.php/apps/news/api/{version}/" + path.format(n=number, t=text)
    answer = client.generic(
        method.upper(),
        url,
        body,
        "application/json",
        QUERY_STRING=urlencode(query),
        **_auth("alice"),
    )
    assert answer.status_code < 500, (method, url, query, body, answer.content[:300])
    if answer.status_code >= 400:
        assert isinstance(answer.json()["message"], str), (method, url, answer.content[:300])
