"""Personal API tokens: created with a name and shown once, stored hashed, listed, used as
Bearer tokens through DRF (last use recorded at most once a minute), revoked."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts import services
from accounts.models import ApiToken

pytestmark = pytest.mark.django_db

WHOAMI = "/whoami/"


def create_token_through_the_page(client: Client, name: str) -> str:
    response = client.post("/settings/api/tokens/", {"name": name})
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    return (
        re.search(rb'id="new-token"[^>]*value="(tid_[A-Za-z0-9_-]+)"', response.content)
        .group(1)
        .decode()
    )


def test_a_token_is_shown_once_and_stored_only_as_its_sha256(alice, alice_client):
    raw = create_token_through_the_page(alice_client, "NetNewsWire")
    token = ApiToken.objects.get(user=alice)
    assert token.name == "NetNewsWire"
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert token.prefix == raw[:8]
    assert raw not in str(ApiToken.objects.filter(user=alice).values())
    page = alice_client.get("/settings/api/")
    assert page.status_code == 200
    assert b"NetNewsWire" in page.content
    assert raw.encode() not in page.content
    assert token.prefix.encode() in page.content
    assert b"Never" in page.content  # not used yet


def test_a_token_needs_a_name(alice, alice_client):
    assert alice_client.post("/settings/api/tokens/", {"name": ""}).status_code == 400
    assert not ApiToken.objects.filter(user=alice).exists()


def test_two_tokens_are_different(alice):
    _, one = services.token_create(user=alice, name="a")
    _, two = services.token_create(user=alice, name="b")
    assert one != two and len(one) == 47 and one.startswith("tid_")


@pytest.mark.urls("tests.accounts.drf_urls")
def test_a_bearer_token_authenticates_its_user_and_records_last_use(alice):
    token, raw = services.token_create(user=alice, name="script")
    response = Client().get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert response.json() == {"username": "alice", "auth": "token"}
    token.refresh_from_db()
    assert token.last_used_at is not None and timezone.now() - token.last_used_at < timedelta(
        seconds=5
    )


@pytest.mark.urls("tests.accounts.drf_urls")
def test_last_use_is_written_at_most_once_a_minute(alice):
    token, raw = services.token_create(user=alice, name="script")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        Client().get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {raw}")
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        Client().get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {raw}")
    token.refresh_from_db()
    assert token.last_used_at == start
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        Client().get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {raw}")
    token.refresh_from_db()
    assert token.last_used_at == start + timedelta(seconds=61)


@pytest.mark.urls("tests.accounts.drf_urls")
@pytest.mark.parametrize(
    "header",
    ["Bearer tid_not-a-real-token", "Bearer", "Bearer a b", "Bearer " + "x" * 300],
)
def test_a_bad_bearer_header_is_a_401_naming_the_scheme(db, header):
    response = Client().get(WHOAMI, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.urls("tests.accounts.drf_urls")
def test_no_credentials_is_a_401_with_www_authenticate(db):
    response = Client().get(WHOAMI)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.urls("tests.accounts.drf_urls")
def test_a_revoked_token_stops_working(alice, alice_client):
    token, raw = services.token_create(user=alice, name="old phone")
    assert Client().get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    response = alice_client.post(f"/settings/api/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    assert response["Location"] == "/settings/api/"
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert Client().get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


@pytest.mark.urls("tests.accounts.drf_urls")
def test_a_token_of_an_inactive_user_is_refused(alice):
    _, raw = services.token_create(user=alice, name="script")
    alice.is_active = False
    alice.save()
    assert Client().get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_revoking_someone_elses_token_is_a_404_and_keeps_it(alice, bob, bob_client):
    token, _ = services.token_create(user=alice, name="mine")
    assert bob_client.post(f"/settings/api/tokens/{token.pk}/revoke/").status_code == 404
    assert ApiToken.objects.filter(pk=token.pk).exists()
    with pytest.raises(Exception, match="No such token"):
        services.token_revoke(user=bob, token_id=token.pk)


def test_revoke_is_a_post(alice, alice_client):
    token, _ = services.token_create(user=alice, name="mine")
    assert alice_client.get(f"/settings/api/tokens/{token.pk}/revoke/").status_code == 405
    assert ApiToken.objects.filter(pk=token.pk).exists()
