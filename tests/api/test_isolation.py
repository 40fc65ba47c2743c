"""P33 through the REST API: Bob gets 404 (same body as an unknown id) for every one of Alice's
ids, batch calls skip them, and nothing of Alice's changes.

Feeds are fetched for real from the loopback feed server (../shared/cases/P33-idor-api).
"""

from __future__ import annotations

import json

import pytest

from accounts.models import ApiToken
from feeds.models import Entry
from reader.models import Category, EntryState, ImportJob, Subscription
from tests.api.conftest import NOT_FOUND, ApiClient
from tests.conftest import shared_path

pytestmark = [pytest.mark.django_db, pytest.mark.shared]

SECRET = "ALICE-SECRET"


@pytest.fixture
def world(feed_server, settings, alice, bob):
    """Alice: private feed (in a folder) + shared feed, Sunny read and starred. Bob: shared."""
    case = shared_path("cases", "P33-idor-api")
    feed_server.configure(settings, extra_hosts=("priv.example.com", "weather.example.org"))
    rss = {"Content-Type": "application/rss+xml"}
    feed_server.add_route(
        f"/feed?token={SECRET}",
        host="priv.example.com",
        body_file=case / "private-feed.xml",
        headers=rss,
    )
    feed_server.add_route(
        "/weather.xml", host="weather.example.org", body_file=case / "shared-feed.xml", headers=rss
    )
    alice_api, bob_api = ApiClient(alice, "token"), ApiClient(bob, "token")
    private_url = feed_server.url(f"/feed?token={SECRET}", host="priv.example.com")
    shared_url = feed_server.url("/weather.xml", host="weather.example.org")
    folder = alice_api.post("/api/v1/categories/", {"title": "Private"}).json()
    private = alice_api.post(
        "/api/v1/subscriptions/", {"url": private_url, "category_id": folder["id"]}
    )
    assert private.status_code == 201, private.content
    shared = alice_api.post("/api/v1/subscriptions/", {"url": shared_url})
    assert shared.status_code == 201, shared.content
    for sub in (private.json(), shared.json()):
        refreshed = alice_api.post(f"/api/v1/subscriptions/{sub['id']}/refresh/")
        assert refreshed.json()["outcome"] == "ok", refreshed.content
    bob_shared = bob_api.post("/api/v1/subscriptions/", {"url": shared_url})
    assert bob_shared.status_code == 201
    sunny = Entry.objects.get(title="Sunny")
    secret_entry = Entry.objects.get(title="Alice secret item")
    alice_api.patch(f"/api/v1/entries/{sunny.pk}/", {"read": True, "starred": True})
    job = ImportJob.objects.create(user=alice, data=b"<opml/>", status="done")
    token = ApiToken.objects.filter(user=alice).first()
    return {
        "alice": alice_api,
        "bob": bob_api,
        "folder": folder["id"],
        "private_sub": private.json()["id"],
        "private_feed": private.json()["feed_id"],
        "shared_sub": shared.json()["id"],
        "bob_sub": bob_shared.json()["id"],
        "sunny": sunny.pk,
        "secret_entry": secret_entry.pk,
        "job": job.pk,
        "token": token.pk,
    }


def _alice_state(alice) -> str:
    rows = {
        "subs": list(Subscription.objects.filter(user=alice).values().order_by("id")),
        "cats": list(Category.objects.filter(user=alice).values().order_by("id")),
        "states": list(
            EntryState.objects.filter(user=alice)
            .values("entry_id", "read", "starred")
            .order_by("id")
        ),
        "tokens": list(ApiToken.objects.filter(user=alice).values_list("id", flat=True)),
    }
    return json.dumps(rows, default=str, sort_keys=True)


def _calls(w: dict) -> list[tuple[str, str, dict | None]]:
    sub, feed, cat, entry = w["private_sub"], w["private_feed"], w["folder"], w["secret_entry"]
    return [
        ("get", f"/api/v1/subscriptions/{sub}/", None),
        ("patch", f"/api/v1/subscriptions/{sub}/", {"title": "pwned"}),
        ("delete", f"/api/v1/subscriptions/{sub}/", None),
        ("post", f"/api/v1/subscriptions/{sub}/refresh/", None),
        ("get", f"/api/v1/categories/{cat}/", None),
        ("patch", f"/api/v1/categories/{cat}/", {"title": "pwned"}),
        ("delete", f"/api/v1/categories/{cat}/", None),
        ("post", "/api/v1/categories/order/", {"ids": [cat]}),
        ("get", f"/api/v1/feeds/{feed}/", None),
        ("get", f"/api/v1/entries/{entry}/", None),
        ("patch", f"/api/v1/entries/{entry}/", {"read": True, "starred": True}),
        ("get", f"/api/v1/entries/{entry}/playback/", None),
        ("put", f"/api/v1/entries/{entry}/playback/", {"position": 12.5, "duration": 60}),
        ("get", f"/api/v1/entries/?subscription={sub}", None),
        ("get", f"/api/v1/entries/?feed={feed}", None),
        ("get", f"/api/v1/entries/?category={cat}", None),
        ("post", "/api/v1/mark-all-read/", {"subscription_id": sub}),
        ("post", "/api/v1/mark-all-read/", {"category_id": cat}),
        ("post", "/api/v1/subscriptions/", {"url": "https://example.org/x", "category_id": cat}),
        ("patch", f"/api/v1/subscriptions/{w['bob_sub']}/", {"category_id": cat}),
        ("get", f"/api/v1/opml/import/{w['job']}/", None),
        ("delete", f"/api/v1/tokens/{w['token']}/", None),
    ]


@pytest.mark.parametrize("mode", ["token", "session"])
def test_bob_gets_the_unknown_id_404_for_each_of_alices_objects_and_nothing_changes(
    world, bob, alice, mode
):
    bob_api = ApiClient(bob, mode)
    before = _alice_state(alice)
    for method, path, body in _calls(world):
        response = bob_api.request(method, path, body)
        assert response.status_code == 404, (method, path, response.content)
        assert response.json() == NOT_FOUND, (method, path)
    assert bob_api.client.get(f"/icons/{world['private_feed']}/").status_code == 404
    assert _alice_state(alice) == before


def test_batch_marks_skip_alices_private_entry(world, alice):
    before = _alice_state(alice)
    response = world["bob"].post(
        "/api/v1/entries/batch/", {"ids": [world["secret_entry"]], "read": True, "starred": True}
    )
    assert response.status_code == 200
    assert response.json() == {"ids": []}
    assert _alice_state(alice) == before


def test_shared_entry_state_is_per_user(world, alice, bob):
    bob_api = world["bob"]
    sunny = bob_api.get(f"/api/v1/entries/{world['sunny']}/").json()
    assert sunny["read"] is False and sunny["starred"] is False
    bob_api.patch(f"/api/v1/entries/{world['sunny']}/", {"read": True})
    bob_api.patch(f"/api/v1/entries/{world['sunny']}/", {"read": False, "starred": False})
    mine = world["alice"].get(f"/api/v1/entries/{world['sunny']}/").json()
    assert mine["read"] is True and mine["starred"] is True


def test_nothing_bob_can_list_mentions_alices_private_feed(world):
    bob_api = world["bob"]
    bodies = [
        bob_api.get(path).content.decode()
        for path in (
            "/api/v1/subscriptions/",
            "/api/v1/feeds/",
            "/api/v1/entries/?status=all",
            "/api/v1/entries/?q=secret",
            "/api/v1/unread-counts/",
            "/api/v1/categories/",
            "/api/v1/opml/export/",
            "/api/v1/opml/import/",
            "/api/v1/tokens/",
        )
    ]
    for body in bodies:
        assert SECRET not in body and "priv.example.com" not in body and "Alice secret" not in body
    assert not bob_api.get("/api/v1/entries/", {"q": "secret"}).json()["results"]
    counts = bob_api.get("/api/v1/unread-counts/").json()
    assert [c["id"] for c in counts["subscriptions"]] == [world["bob_sub"]]
