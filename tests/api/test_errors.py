"""Error responses of /api/v1/: one JSON shape, the right status, never a 500 for bad input."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api.conftest import NOT_FOUND, assert_error

pytestmark = pytest.mark.django_db


def test_an_anonymous_call_gets_401_with_www_authenticate():
    response = Client().get("/api/v1/me/")
    assert_error(response, 401)
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_wrong_bearer_token_gets_401():
    response = Client().get("/api/v1/me/", headers={"Authorization": "Bearer tid_nope"})
    assert_error(response, 401)


def test_basic_auth_with_the_client_password_works_and_the_login_password_does_not(alice):
    from accounts import services

    services.client_password_set(user=alice, password="client-secret-42")
    ok = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=_basic("alice", "client-secret-42"))
    assert ok.status_code == 200
    bad = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=_basic("alice", "alice-pass-123"))
    assert_error(bad, 401)


def _basic(user: str, password: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_unknown_paths_under_the_api_get_the_json_404(alice_api):
    for path in ("/api/v1/nope/", "/api/v1/tokens/99999999999999999999999/", "/api/v1/me"):
        response = alice_api.get(path)
        assert response.status_code == 404
        assert response.json() == NOT_FOUND


def test_malformed_json_is_a_400_not_a_500(api):
    response = api.client.post(
        "/api/v1/tokens/", b"{not json", content_type="application/json", headers=api.headers
    )
    assert_error(response, 400)
    response = api.client.post(
        "/api/v1/tokens/", b"\xff\xfe", content_type="application/json", headers=api.headers
    )
    assert_error(response, 400)


def test_a_list_where_an_object_is_expected_is_a_400(api):
    assert_error(api.post("/api/v1/tokens/", ["name"]), 400, "non_field_errors")


def test_a_nul_character_in_a_string_is_a_400(api):
    assert_error(api.post("/api/v1/tokens/", {"name": "a\x00b"}), 400, "name")


def test_an_unsupported_content_type_is_a_415(api):
    response = api.client.post(
        "/api/v1/tokens/", "name=x", content_type="text/plain", headers=api.headers
    )
    assert_error(response, 415)


def test_a_wrong_method_is_a_405(api):
    assert_error(api.request("put", "/api/v1/tokens/", {}), 405)


def test_writes_are_throttled_per_user_with_retry_after(alice_api, bob_api, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "api_write": "2/minute"},
    }
    for _ in range(2):
        assert alice_api.post("/api/v1/tokens/", {"name": "t"}).status_code == 201
    response = alice_api.post("/api/v1/tokens/", {"name": "t"})
    assert_error(response, 429)
    assert int(response["Retry-After"]) > 0
    assert alice_api.get("/api/v1/tokens/").status_code == 200  # reads are not throttled
    assert bob_api.post("/api/v1/tokens/", {"name": "t"}).status_code == 201  # per user


def test_unknown_paths_answer_the_json_404_even_to_a_cross_site_write(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.patch(
        "/api/v1/entries/1000000000000000000000/", "{}", content_type="application/json"
    )
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_a_host_name_idna_refuses_is_a_400_not_a_500(api):
    for url in ("https://a..b.example.com/feed", "https://" + "x" * 70 + ".example.com/"):
        response = api.post("/api/v1/subscriptions/", {"url": url})
        assert response.status_code == 400, response.content
        assert "url" in response.json()["errors"]


def test_a_malformed_session_cookie_is_no_session_not_a_500():
    client = Client()
    client.cookies["sessionid"] = "abc\x00defghijk"
    response = client.get("/api/v1/me/")
    assert_error(response, 401)
