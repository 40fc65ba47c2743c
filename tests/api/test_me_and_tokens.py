"""/api/v1/me/ and /api/v1/tokens/ with each way of authenticating."""

from __future__ import annotations

import pytest

from accounts.models import ApiToken
from tests.api.conftest import NOT_FOUND, ApiClient, assert_error

pytestmark = pytest.mark.django_db


def test_me_returns_the_user_and_preferences(api):
    body = api.get("/api/v1/me/").json()
    assert body["username"] == "alice"
    assert body["preferences"]["theme"] == "system"
    assert body["date_joined"].endswith(("Z", "+00:00"))


def test_me_patch_changes_only_the_given_preferences(api, alice):
    response = api.patch("/api/v1/me/", {"preferences": {"theme": "dark", "entries_per_page": 100}})
    assert response.status_code == 200, response.content
    alice.refresh_from_db()
    assert (alice.theme, alice.entries_per_page, alice.sort_order) == ("dark", 100, "newest")
    assert response.json()["preferences"]["theme"] == "dark"


def test_me_patch_rejects_an_unknown_time_zone_with_field_errors(api, alice):
    response = api.patch("/api/v1/me/", {"preferences": {"timezone": "Mars/Olympus"}})
    assert_error(response, 400, "preferences.timezone")
    alice.refresh_from_db()
    assert alice.timezone == "UTC"


def test_tokens_are_created_listed_with_prefix_and_revoked(api):
    created = api.post("/api/v1/tokens/", {"name": "reeder"})
    assert created.status_code == 201
    raw = created.json()["token"]
    assert raw.startswith(created.json()["prefix"])
    listed = api.get("/api/v1/tokens/").json()
    assert "reeder" in [t["name"] for t in listed]
    assert all("token" not in t for t in listed)
    response = api.client.get("/api/v1/me/", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    assert api.delete(f"/api/v1/tokens/{created.json()['id']}/").status_code == 204
    response = api.client.get("/api/v1/me/", headers={"Authorization": f"Bearer {raw}"})
    assert_error(response, 401)


def test_another_users_token_cannot_be_revoked(alice_api, bob_api):
    token_id = alice_api.post("/api/v1/tokens/", {"name": "mine"}).json()["id"]
    response = bob_api.delete(f"/api/v1/tokens/{token_id}/")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert ApiToken.objects.filter(pk=token_id).exists()


def test_a_session_write_without_the_csrf_token_is_refused(alice):
    client = ApiClient(alice, "session")
    response = client.post("/api/v1/tokens/", {"name": "x"}, headers={"X-CSRFToken": ""})
    assert_error(response, 403)
    assert not ApiToken.objects.filter(user=alice, name="x").exists()
