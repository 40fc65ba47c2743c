"""/api/v1/rules/ and /api/v1/views/ (issue 11): explicit shapes, the API's error shape, other
users' objects are 404, preview and apply on entries refreshed from the loopback server."""

from __future__ import annotations

import pytest

from reader import services
from reader.models import EntryState, HiddenEntry, Rule, SavedView
from tests.api.conftest import ApiClient
from tests.factories import RuleFactory, SavedViewFactory
from tests.reader.syndication import Item, entry, refresh, serve, subscribe

pytestmark = pytest.mark.django_db

ITEMS = [
    Item("Sponsored: a deal", "https://s.example.org/1", "s1"),
    Item("Real news", "https://s.example.org/2", "s2"),
    Item("Another sponsored post", "https://s.example.org/3", "s3"),
]


@pytest.fixture
def sub(feed_server, alice):
    subscription = subscribe(alice, serve(feed_server, "/s.xml", "S", ITEMS))
    refresh(subscription)
    return subscription


def test_create_list_change_and_delete_a_rule(api):
    created = api.post("/api/v1/rules/", {"name": "Ads", "pattern": "sponsored", "action": "hide"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["field"] == "title" and body["match"] == "any_words" and body["enabled"] is True
    assert body["subscription_id"] is None and body["category_id"] is None and body["hits"] == 0
    assert set(body) == {
        "id", "name", "field", "match", "pattern", "action", "enabled", "subscription_id",
        "category_id", "position", "hits", "created_at", "updated_at",
    }  # fmt: skip
    listed = api.get("/api/v1/rules/").json()
    assert [r["id"] for r in listed] == [body["id"]]
    patched = api.patch(f"/api/v1/rules/{body['id']}/", {"enabled": False, "match": "phrase"})
    assert patched.status_code == 200
    assert patched.json()["enabled"] is False and patched.json()["match"] == "phrase"
    assert api.get(f"/api/v1/rules/{body['id']}/").json()["enabled"] is False
    assert api.delete(f"/api/v1/rules/{body['id']}/").status_code == 204
    assert api.get(f"/api/v1/rules/{body['id']}/").status_code == 404


def test_an_invalid_regular_expression_is_a_400_on_the_pattern_field(api):
    response = api.post("/api/v1/rules/", {"match": "regex", "pattern": "(open"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_pattern"
    assert list(body["errors"]) == ["pattern"]
    unknown = api.post("/api/v1/rules/", {"pattern": "x", "action": "explode"})
    assert unknown.status_code == 400
    assert unknown.json()["code"] == "invalid" and "action" in unknown.json()["errors"]
    assert not Rule.objects.exists()


def test_preview_changes_nothing_and_apply_acts(api, sub):
    preview = api.post("/api/v1/rules/preview/", {"pattern": "sponsored", "action": "hide"})
    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert body["scanned"] == 3 and body["matched"] == 2
    assert sorted(e["title"] for e in body["entries"]) == [
        "Another sponsored post",
        "Sponsored: a deal",
    ]
    assert not Rule.objects.exists() and not EntryState.objects.exists()
    rule = api.post("/api/v1/rules/", {"pattern": "sponsored", "action": "hide"}).json()
    applied = api.post(f"/api/v1/rules/{rule['id']}/apply/")
    assert applied.status_code == 200 and applied.json() == {"matched": 2}
    assert HiddenEntry.objects.count() == 2
    entries = api.get("/api/v1/entries/", {"status": "all"}).json()
    titles = [e["title"] for e in entries.get("results", entries.get("entries", []))]
    assert titles == ["Real news"]


def test_other_users_rules_and_scopes_are_404(alice, bob, sub):
    bob_api = ApiClient(bob, "token")
    alice_rule = RuleFactory(user=alice, pattern="x")
    for method, path, data in [
        ("get", f"/api/v1/rules/{alice_rule.pk}/", None),
        ("patch", f"/api/v1/rules/{alice_rule.pk}/", {"enabled": False}),
        ("delete", f"/api/v1/rules/{alice_rule.pk}/", None),
        ("post", f"/api/v1/rules/{alice_rule.pk}/apply/", None),
        ("post", "/api/v1/rules/", {"pattern": "x", "subscription_id": sub.pk}),
        ("post", "/api/v1/rules/preview/", {"pattern": "x", "subscription_id": sub.pk}),
    ]:
        response = bob_api.request(method, path, data)
        assert response.status_code == 404, (method, path)
        assert response.json() == {"detail": "Not found.", "code": "not_found", "errors": {}}
    assert bob_api.get("/api/v1/rules/").json() == []
    alice_rule.refresh_from_db()
    assert alice_rule.enabled is True


def test_saved_views_with_counts_and_a_private_feed(api, sub):
    created = api.post("/api/v1/views/", {"name": "Ads", "q": "sponsored", "display": "cards"})
    assert created.status_code == 201, created.content
    view = created.json()
    assert view["unread_count"] == 2 and view["feed"] is None and view["display"] == "cards"
    listed = api.get("/api/v1/views/").json()
    assert listed["today"]["unread_count"] == 3
    assert [v["name"] for v in listed["views"]] == ["Ads"]
    with_feed = api.post(f"/api/v1/views/{view['id']}/feed/").json()
    assert with_feed["feed"]["atom"].endswith("/atom/")
    path = with_feed["feed"]["atom"].split("://", 1)[1].split("/", 1)[1]
    assert api.client.get("/" + path).status_code == 200
    services.entries_set_read(user=api.user, entry_ids=[entry(sub, "s1").pk], read=True)
    assert api.get(f"/api/v1/views/{view['id']}/").json()["unread_count"] == 1
    renamed = api.patch(f"/api/v1/views/{view['id']}/", {"name": "Sponsored"})
    assert renamed.json()["name"] == "Sponsored"
    duplicate = api.post("/api/v1/views/", {"name": "Sponsored"})
    assert duplicate.status_code == 400 and duplicate.json()["code"] == "invalid"
    assert api.delete(f"/api/v1/views/{view['id']}/feed/").status_code == 204
    assert api.client.get("/" + path).status_code == 404
    assert api.delete(f"/api/v1/views/{view['id']}/").status_code == 204
    assert not SavedView.objects.exists()


def test_other_users_views_are_404(alice, bob):
    view = SavedViewFactory(user=alice, name="Mine", q="secret words")
    bob_api = ApiClient(bob, "token")
    for method, path in [
        ("get", f"/api/v1/views/{view.pk}/"),
        ("patch", f"/api/v1/views/{view.pk}/"),
        ("delete", f"/api/v1/views/{view.pk}/"),
        ("post", f"/api/v1/views/{view.pk}/feed/"),
        ("delete", f"/api/v1/views/{view.pk}/feed/"),
    ]:
        data = {"name": "x"} if method == "patch" else None
        assert bob_api.request(method, path, data).status_code == 404, (method, path)
    assert "secret" not in bob_api.get("/api/v1/views/").content.decode()
    view.refresh_from_db()
    assert view.name == "Mine" and view.feed_token == ""


def test_preferences_for_duplicates_and_highlights_are_in_me(api):
    response = api.patch(
        "/api/v1/me/",
        {"preferences": {"merge_duplicates": True, "highlight_words": "rust, 安全"}},
    )
    assert response.status_code == 200, response.content
    prefs = response.json()["preferences"]
    assert prefs["merge_duplicates"] is True and prefs["highlight_words"] == "rust, 安全"


def test_the_entry_list_names_the_other_sources_of_a_merged_article(api, feed_server):
    story = Item("Shared story", "https://x.example.org/story", "x1")
    first = subscribe(api.user, serve(feed_server, "/x1.xml", "First", [story]))
    second = subscribe(api.user, serve(feed_server, "/x2.xml", "Second", [story]))
    refresh(first)
    refresh(second)
    assert len(_entries(api)) == 2
    api.patch("/api/v1/me/", {"preferences": {"merge_duplicates": True}})
    merged = _entries(api)
    assert len(merged) == 1
    other = second if merged[0]["subscription_id"] == first.pk else first
    assert merged[0]["also_in"] == [
        {
            "entry_id": entry(other, "x1").pk,
            "subscription_id": other.pk,
            "subscription_title": "Second" if other is second else "First",
            "read": False,
        }
    ]
    one = api.get(f"/api/v1/entries/{merged[0]['id']}/").json()
    assert one["also_in"] == []


def _entries(api) -> list[dict]:
    body = api.get("/api/v1/entries/", {"status": "all"}).json()
    return body.get("results", body.get("entries", []))
