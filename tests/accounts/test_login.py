"""Sign-in, sign-out, password change and password reset by email, through HTTP."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from accounts import services

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def test_it_signs_in_with_username_and_password(alice):
    client = Client()
    assert client.get(LOGIN).status_code == 200
    response = client.post(LOGIN, {"username": "alice", "password": "alice-pass-123"})
    assert response.status_code == 302
    assert response["Location"] == settings.LOGIN_REDIRECT_URL
    assert int(client.session["_auth_user_id"]) == alice.pk


def test_it_follows_a_safe_next_and_ignores_a_foreign_one(alice):
    client = Client()
    data = {"username": "alice", "password": "alice-pass-123"}
    assert client.post(LOGIN + "?next=/settings/", data)["Location"] == "/settings/"
    client.logout()
    response = client.post(LOGIN + "?next=https://evil.example/", data)
    assert response["Location"] == settings.LOGIN_REDIRECT_URL


def test_a_wrong_password_shows_the_form_again_with_an_error(alice):
    client = Client()
    response = client.post(LOGIN, {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert "_auth_user_id" not in client.session


def test_an_inactive_account_cannot_sign_in(alice):
    alice.is_active = False
    alice.save()
    response = Client().post(LOGIN, {"username": "alice", "password": "alice-pass-123"})
    assert response.status_code == 200


def test_sign_in_sets_the_language_cookie_of_the_user(alice):
    alice.language = "zh-hans"
    alice.save()
    client = Client()
    response = client.post(LOGIN, {"username": "alice", "password": "alice-pass-123"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"


def test_sign_out_is_a_post(alice_client):
    assert alice_client.get("/accounts/logout/").status_code == 405
    response = alice_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == settings.LOGOUT_REDIRECT_URL
    assert "_auth_user_id" not in alice_client.session
    assert alice_client.get("/settings/").status_code == 302


def test_settings_pages_send_anonymous_visitors_to_sign_in():
    for url in ("/settings/", "/settings/api/", "/settings/delete/", "/accounts/password/change/"):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN + "?next=")


def test_password_change_keeps_the_session_and_the_client_password(alice, alice_client):
    services.client_password_set(user=alice, password="app-only-secret-77")
    fever_key_before = alice.client_password.fever_api_key
    assert alice_client.get("/accounts/password/change/").status_code == 200
    response = alice_client.post(
        "/accounts/password/change/",
        {
            "old_password": "alice-pass-123",
            "new_password1": "brand-new-phrase-55",
            "new_password2": "brand-new-phrase-55",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/change/done/"
    assert alice_client.get("/settings/").status_code == 200  # still signed in
    alice.refresh_from_db()
    assert alice.check_password("brand-new-phrase-55")
    assert services.client_password_check(username="alice", password="app-only-secret-77") == alice
    assert alice.client_password.fever_api_key == fever_key_before


def test_password_change_needs_the_old_password(alice, alice_client):
    response = alice_client.post(
        "/accounts/password/change/",
        {
            "old_password": "wrong",
            "new_password1": "brand-new-phrase-55",
            "new_password2": "brand-new-phrase-55",
        },
    )
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.check_password("alice-pass-123")


def test_password_reset_by_email_from_request_to_new_password(alice):
    client = Client()
    assert client.get("/accounts/password/reset/").status_code == 200
    response = client.post("/accounts/password/reset/", {"email": "ALICE@example.com"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/done/"
    assert client.get(response["Location"]).status_code == 200
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]
    link = re.search(r"(\S+/accounts/password/reset/\S+/\S+/)", message.body).group(1)
    assert link.startswith(settings.SITE_URL + "/accounts/password/reset/")

    path = link.removeprefix(settings.SITE_URL)
    response = client.get(path)  # Django moves the token into the session, then redirects
    assert response.status_code == 302
    set_password_url = response["Location"]
    assert client.get(set_password_url).status_code == 200
    response = client.post(
        set_password_url,
        {"new_password1": "reset-phrase-8812", "new_password2": "reset-phrase-8812"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/complete/"
    assert client.get(response["Location"]).status_code == 200
    alice.refresh_from_db()
    assert alice.check_password("reset-phrase-8812")
    assert client.get(path).status_code == 200  # a used link is invalid ...
    assert b"invalid" in client.get(path).content  # ... and says so


def test_password_reset_for_an_unknown_email_looks_the_same_and_sends_nothing(db):
    response = Client().post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/done/"
    assert mail.outbox == []


def test_the_reset_link_ignores_the_host_header(alice):
    Client().post(
        "/accounts/password/reset/", {"email": "alice@example.com"}, HTTP_HOST="localhost"
    )
    assert settings.SITE_URL + "/accounts/password/reset/" in mail.outbox[0].body
