"""The client password of Google Reader and Fever apps: set on /settings/api/, stored as a
Django hash plus the Fever api_key, independent of the login password."""

from __future__ import annotations

import base64
import hashlib

import pytest
from django.conf import settings
from django.contrib.auth.hashers import check_password, identify_hasher
from django.test import Client

from accounts import services
from accounts.models import ClientPassword

pytestmark = pytest.mark.django_db

SECRET = "reeder-app-secret-31"


def set_through_the_page(client: Client, password: str = SECRET, confirm: str | None = None):
    return client.post(
        "/settings/api/client-password/",
        {"password1": password, "password2": confirm if confirm is not None else password},
    )


def test_the_page_shows_the_urls_to_type_into_apps(alice_client):
    page = alice_client.get("/settings/api/")
    assert (settings.SITE_URL + "/api/greader/").encode() in page.content
    assert (settings.SITE_URL + "/api/fever/").encode() in page.content
    assert b"Not set" in page.content


def test_it_stores_a_django_hash_and_the_fever_key_never_the_password(alice, alice_client):
    response = set_through_the_page(alice_client)
    assert response.status_code == 302
    assert response["Location"] == "/settings/api/"
    stored = ClientPassword.objects.get(user=alice)
    assert SECRET not in stored.password
    assert identify_hasher(stored.password)  # a Django password hash ...
    assert check_password(SECRET, stored.password)  # ... of the client password
    expected = hashlib.md5(f"alice:{SECRET}".encode(), usedforsecurity=False).hexdigest()
    assert stored.fever_api_key == expected
    assert b"Not set" not in alice_client.get("/settings/api/").content


def test_client_password_check_accepts_the_username_or_a_unique_email(alice, bob):
    services.client_password_set(user=alice, password=SECRET)
    assert services.client_password_check(username="alice", password=SECRET) == alice
    assert services.client_password_check(username="ALICE@example.com", password=SECRET) == alice
    assert services.client_password_check(username="alice", password="alice-pass-123") is None
    assert services.client_password_check(username="alice", password="wrong") is None
    assert services.client_password_check(username="bob", password=SECRET) is None
    assert services.client_password_check(username="", password=SECRET) is None


def test_the_fever_key_finds_the_user_in_any_case(alice, bob):
    services.client_password_set(user=alice, password=SECRET)
    key = hashlib.md5(f"alice:{SECRET}".encode(), usedforsecurity=False).hexdigest()
    assert services.fever_user_for_api_key(key) == alice
    assert services.fever_user_for_api_key(key.upper()) == alice
    login_key = hashlib.md5(b"alice:alice-pass-123", usedforsecurity=False).hexdigest()
    assert services.fever_user_for_api_key(login_key) is None
    assert services.fever_user_for_api_key("") is None
    assert services.fever_user_for_api_key("0" * 32) is None


def test_changing_the_client_password_replaces_the_old_one_and_its_fever_key(alice, alice_client):
    set_through_the_page(alice_client)
    old_key = services.fever_api_key(username="alice", password=SECRET)
    old_token = services.greader_auth_token(user=alice)
    set_through_the_page(alice_client, "another-app-secret-64")
    assert services.client_password_check(username="alice", password=SECRET) is None
    assert (
        services.client_password_check(username="alice", password="another-app-secret-64") == alice
    )
    assert services.fever_user_for_api_key(old_key) is None
    assert services.greader_user_for_token(old_token) is None


def test_the_greader_token_is_stable_and_tied_to_the_client_password(alice, bob):
    assert services.greader_auth_token(user=alice) is None
    services.client_password_set(user=alice, password=SECRET)
    token = services.greader_auth_token(user=alice)
    assert token == services.greader_auth_token(user=alice)
    assert token.startswith(f"{alice.pk}/")
    assert services.greader_user_for_token(token) == alice
    forged = f"{bob.pk}/" + token.split("/")[1]
    assert services.greader_user_for_token(forged) is None
    assert services.greader_user_for_token("garbage") is None
    services.client_password_clear(user=alice)
    assert services.greader_user_for_token(token) is None


def test_a_mismatch_or_the_login_password_is_refused(alice, alice_client):
    assert set_through_the_page(alice_client, SECRET, "different-secret-99").status_code == 400
    assert set_through_the_page(alice_client, "alice-pass-123").status_code == 400
    assert set_through_the_page(alice_client, "123").status_code == 400
    assert not ClientPassword.objects.filter(user=alice).exists()


def test_removing_the_client_password_disconnects_apps(alice, alice_client):
    set_through_the_page(alice_client)
    response = alice_client.post("/settings/api/client-password/delete/")
    assert response.status_code == 302
    assert not ClientPassword.objects.filter(user=alice).exists()
    assert services.client_password_check(username="alice", password=SECRET) is None


def test_an_inactive_user_cannot_use_the_client_password(alice):
    services.client_password_set(user=alice, password=SECRET)
    alice.is_active = False
    alice.save()
    assert services.client_password_check(username="alice", password=SECRET) is None
    assert (
        services.fever_user_for_api_key(services.fever_api_key(username="alice", password=SECRET))
        is None
    )


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.mark.urls("tests.accounts.drf_urls")
def test_http_basic_with_the_client_password_authenticates(alice):
    services.client_password_set(user=alice, password=SECRET)
    response = Client().get("/whoami/", HTTP_AUTHORIZATION=basic("alice", SECRET))
    assert response.status_code == 200
    assert response.json() == {"username": "alice", "auth": "client-password"}


@pytest.mark.urls("tests.accounts.drf_urls")
def test_http_basic_with_the_login_password_is_refused(alice):
    services.client_password_set(user=alice, password=SECRET)
    response = Client().get("/whoami/", HTTP_AUTHORIZATION=basic("alice", "alice-pass-123"))
    assert response.status_code == 401
