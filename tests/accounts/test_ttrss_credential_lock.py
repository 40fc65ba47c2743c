"""Tiny Tiny RSS's two credential doors share the one lock (accounts.ratelimit): ``login``
names an account (door ``ttrss-login``), a session id names none (door ``ttrss-sid``).

Guessing at either door locks the account or the address at every other door, and guessing
elsewhere locks them both; a locked door answers HTTP 429 with Retry-After in the API's
error shape. Reuses the doors of tests/accounts/test_credential_lock.py."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from accounts import services
from tests.accounts.test_credential_lock import (
    ANONYMOUS_GUESSES,
    NAMED_GUESSES,
    SECRET,
    every_door,
    keys,  # noqa: F401  (fixture)
    limits,  # noqa: F401  (fixture)
)

pytestmark = pytest.mark.django_db


def _ttrss(ip: str, body: dict) -> tuple[int, dict]:
    response = Client().post(
        "/api/", data=json.dumps(body), content_type="application/json", REMOTE_ADDR=ip
    )
    if response.status_code == 429:
        assert int(response["Retry-After"]) >= 1
    return response.status_code, response.json()


def ttrss_login(ip: str, username: str, password: str) -> str | int:
    status, data = _ttrss(ip, {"op": "login", "user": username, "password": password})
    if status == 429:
        assert data["content"] == {"error": "LOGIN_ERROR"}
        return 429
    return "ok" if data["status"] == 0 else "refused"


def ttrss_sid(ip: str, sid: str) -> str | int:
    status, data = _ttrss(ip, {"op": "getApiLevel", "sid": sid})
    if status == 429:
        assert data["content"] == {"error": "NOT_LOGGED_IN"}
        return 429
    return "ok" if data["status"] == 0 else "refused"


@pytest.fixture
def doors(keys, alice):  # noqa: F811
    sid = services.client_session_start(user=alice)
    return {
        **every_door(keys),
        "ttrss-login": lambda ip: ttrss_login(ip, "alice", SECRET),
        "ttrss-sid": lambda ip: ttrss_sid(ip, sid),
    }


def test_guessing_passwords_at_ttrss_login_locks_the_account_at_every_door(limits, doors):  # noqa: F811
    for i in range(3):
        assert ttrss_login(f"10.1.1.{i}", "alice", "wrong") == "refused"
    assert ttrss_login("10.1.1.9", "alice", "wrong") == 429
    for name, attempt in doors.items():
        assert attempt("10.8.1.1") == 429, name


def test_guessing_session_ids_locks_the_address_at_every_door(limits, doors):  # noqa: F811
    for _ in range(6):
        assert ttrss_sid("10.2.1.1", "f" * 48) == "refused"
    assert ttrss_sid("10.2.1.1", "f" * 48) == 429
    for name, attempt in doors.items():
        assert attempt("10.2.1.1") == 429, name
    for name, attempt in doors.items():
        assert attempt("10.2.1.2") == "ok", name


@pytest.mark.parametrize("door", sorted(NAMED_GUESSES))
def test_guessing_elsewhere_locks_the_ttrss_doors_for_the_account(limits, doors, door):  # noqa: F811
    for i in range(3):
        NAMED_GUESSES[door](f"10.3.1.{i}")
    assert doors["ttrss-login"]("10.8.3.1") == 429
    assert doors["ttrss-sid"]("10.8.3.1") == 429


@pytest.mark.parametrize("door", sorted(ANONYMOUS_GUESSES))
def test_guessing_keys_elsewhere_locks_the_ttrss_doors_for_the_address(limits, doors, door):  # noqa: F811
    for _ in range(6):
        ANONYMOUS_GUESSES[door]("10.4.1.1")
    assert doors["ttrss-login"]("10.4.1.1") == 429
    assert doors["ttrss-sid"]("10.4.1.1") == 429
    assert doors["ttrss-sid"]("10.4.1.2") == "ok"
