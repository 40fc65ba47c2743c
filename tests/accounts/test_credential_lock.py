"""One lock on every credential door (accounts.ratelimit.CredentialLock): web sign-in, Google
Reader ClientLogin and tokens, HTTP Basic and Bearer on the REST API, Fever's api_key.

Guessing through any door past the limit gets 429 there, and the right credential is then
refused at every other door: for the account when the door names one (sign-in, ClientLogin,
Basic), for the client address when it cannot (a Fever key, a Bearer or GReader token names
no account). The cache is cleared around each test (conftest)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client

from accounts import services
from accounts.ratelimit import reopen_doors

pytestmark = pytest.mark.django_db

SECRET = "app-secret-phrase-77"
ME = "/api/v1/me/"


@pytest.fixture
def limits(settings):
    settings.ACCOUNTS_LOGIN_FAILURES_PER_IP = 6
    settings.ACCOUNTS_LOGIN_FAILURES_PER_ACCOUNT = 3
    settings.ACCOUNTS_LOGIN_FAILURE_PERIOD = 600
    return settings


@dataclass
class Keys:
    """Alice's right credential for every door."""

    login_password: str
    client_password: str
    bearer: str
    greader: str
    fever: str


@pytest.fixture
def keys(alice) -> Keys:
    services.client_password_set(user=alice, password=SECRET)
    _, raw = services.token_create(user=alice, name="script")
    return Keys(
        login_password="alice-pass-123",
        client_password=SECRET,
        bearer=raw,
        greader=services.greader_auth_token(user=alice),
        fever=services.fever_api_key(username="alice", password=SECRET),
    )


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


# Each door: (secret -> outcome) with outcome "ok", "refused" (wrong credential) or 429.
def login(ip: str, username: str, password: str) -> str | int:
    response = Client().post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )
    return {302: "ok", 200: "refused"}.get(response.status_code, response.status_code)


def client_login(ip: str, username: str, password: str) -> str | int:
    response = Client().post(
        "/api/greader/accounts/ClientLogin", {"Email": username, "Passwd": password}, REMOTE_ADDR=ip
    )
    if response.status_code == 429:
        assert response["Retry-After"].isdigit()
        assert response.content.startswith(b"Error=")
    return {200: "ok", 401: "refused"}.get(response.status_code, response.status_code)


def basic(ip: str, username: str, password: str) -> str | int:
    response = Client().get(ME, HTTP_AUTHORIZATION=_basic(username, password), REMOTE_ADDR=ip)
    if response.status_code == 429:
        assert int(response["Retry-After"]) >= 1
        assert response.json()["code"] == "throttled"
    return {200: "ok", 401: "refused"}.get(response.status_code, response.status_code)


def bearer(ip: str, token: str) -> str | int:
    response = Client().get(ME, HTTP_AUTHORIZATION=f"Bearer {token}", REMOTE_ADDR=ip)
    if response.status_code == 429:
        assert int(response["Retry-After"]) >= 1
        assert response.json()["code"] == "throttled"
    return {200: "ok", 401: "refused"}.get(response.status_code, response.status_code)


def greader_token(ip: str, token: str) -> str | int:
    response = Client().get(
        "/api/greader/reader/api/0/user-info",
        HTTP_AUTHORIZATION=f"GoogleLogin auth={token}",
        REMOTE_ADDR=ip,
    )
    if response.status_code == 429:
        assert response["Retry-After"].isdigit()
    return {200: "ok", 401: "refused"}.get(response.status_code, response.status_code)


def fever(ip: str, api_key: str) -> str | int:
    response = Client().post("/api/fever/?api", {"api_key": api_key}, REMOTE_ADDR=ip)
    if response.status_code == 429:
        assert response["Retry-After"].isdigit()
        assert response.json() == {"api_version": 3, "auth": 0}
        return 429
    assert response.status_code == 200
    return "ok" if response.json()["auth"] == 1 else "refused"


def every_door(keys: Keys) -> dict[str, Callable[[str], str | int]]:
    """Each door tried with Alice's right credential from address ``ip``."""
    return {
        "login": lambda ip: login(ip, "alice", keys.login_password),
        "clientlogin": lambda ip: client_login(ip, "alice", keys.client_password),
        "basic": lambda ip: basic(ip, "alice", keys.client_password),
        "bearer": lambda ip: bearer(ip, keys.bearer),
        "greader-token": lambda ip: greader_token(ip, keys.greader),
        "fever": lambda ip: fever(ip, keys.fever),
    }


# Guesses that name the account (username + wrong password), one per call.
NAMED_GUESSES = {
    "login": lambda ip: login(ip, "alice", "wrong"),
    "clientlogin": lambda ip: client_login(ip, "alice", "wrong"),
    "basic": lambda ip: basic(ip, "alice", "wrong"),
    "basic-by-email": lambda ip: basic(ip, "alice@example.com", "wrong"),
}
# Guesses that name no account (a key or a token), one per call.
ANONYMOUS_GUESSES = {
    "fever": lambda ip: fever(ip, "0" * 32),
    "bearer": lambda ip: bearer(ip, "tid_" + "x" * 43),
    "greader-token": lambda ip: greader_token(ip, "1/" + "0" * 64),
}


@pytest.mark.parametrize("door", sorted(NAMED_GUESSES))
def test_guessing_a_password_at_one_door_locks_the_account_at_every_door(limits, keys, door):
    guess = NAMED_GUESSES[door]
    for i in range(3):
        assert guess(f"10.1.0.{i}") == "refused"
    assert guess("10.1.0.9") == 429
    for name, attempt in every_door(keys).items():
        assert attempt("10.8.0.1") == 429, name


@pytest.mark.parametrize("door", sorted(ANONYMOUS_GUESSES))
def test_guessing_a_key_at_one_door_locks_the_address_at_every_door(limits, keys, door):
    guess = ANONYMOUS_GUESSES[door]
    for _ in range(6):
        assert guess("10.2.0.1") == "refused"
    assert guess("10.2.0.1") == 429
    for name, attempt in every_door(keys).items():
        assert attempt("10.2.0.1") == 429, name
    # A key names no account: from another address every door still opens.
    for name, attempt in every_door(keys).items():
        assert attempt("10.2.0.2") == "ok", name


def test_a_success_never_forgives_failures_made_from_another_address(limits, keys):
    assert basic("10.3.0.1", "alice", "wrong") == "refused"
    assert client_login("10.3.0.1", "alice", "wrong") == "refused"
    assert basic("10.3.0.2", "alice", SECRET) == "ok"  # the owner, elsewhere
    assert login("10.3.0.1", "alice", "wrong") == "refused"
    assert fever("10.3.0.3", keys.fever) == 429


def test_a_success_forgives_the_same_address_its_own_failures(limits, keys):
    for _ in range(2):
        assert basic("10.4.0.1", "alice", "wrong") == "refused"
    assert basic("10.4.0.1", "alice", SECRET) == "ok"
    for _ in range(2):
        assert client_login("10.4.0.1", "alice", "wrong") == "refused"
    assert client_login("10.4.0.1", "alice", SECRET) == "ok"


def test_the_address_counter_is_not_reset_by_an_own_account_success(limits, keys, bob):
    services.client_password_set(user=bob, password="bob-app-secret-55")
    for i in range(3):
        assert basic("10.5.0.1", f"victim{i}", "wrong") == "refused"
        assert basic("10.5.0.1", "bob", "bob-app-secret-55") == "ok"
    for i in range(3):
        basic("10.5.0.1", f"victim{i}", "wrong")
    assert basic("10.5.0.1", "bob", "bob-app-secret-55") == 429


class _DeadCache:
    """What reader.project.cache.FailSoftRedisCache does while Redis is down: an empty cache that
    stores nothing."""

    def add(self, *args, **kwargs):
        return False

    def incr(self, key, *args, **kwargs):
        raise ValueError(f"Key '{key}' not found.")

    def decr(self, key, *args, **kwargs):
        raise ValueError(f"Key '{key}' not found.")

    def get(self, key, default=None, *args, **kwargs):
        return default

    def get_many(self, keys, *args, **kwargs):
        return {}

    def set(self, *args, **kwargs):
        return None

    def delete_many(self, *args, **kwargs):
        return None


def test_with_the_cache_down_a_failure_closes_its_door_and_only_that_door(
    limits, keys, monkeypatch
):
    import accounts.authentication
    import accounts.ratelimit

    dead = _DeadCache()
    monkeypatch.setattr(accounts.ratelimit, "cache", dead)
    monkeypatch.setattr(accounts.authentication, "cache", dead)
    # No failure yet: every door works although nothing can be counted.
    assert basic("10.6.0.1", "alice", SECRET) == "ok"
    assert client_login("10.6.0.1", "alice", SECRET) == "ok"
    # An uncounted failure at Basic closes Basic (in this process), right password or not.
    assert basic("10.6.0.2", "alice", "wrong") == 429
    assert basic("10.6.0.3", "alice", SECRET) == 429
    # The other doors stay open.
    assert client_login("10.6.0.3", "alice", SECRET) == "ok"
    assert bearer("10.6.0.3", keys.bearer) == "ok"
    assert login("10.6.0.3", "alice", keys.login_password) == "ok"
    # A guessed Fever key closes Fever the same way.
    assert fever("10.6.0.4", "0" * 32) == 429
    assert fever("10.6.0.5", keys.fever) == 429
    reopen_doors()
    assert basic("10.6.0.3", "alice", SECRET) == "ok"
    assert fever("10.6.0.5", keys.fever) == "ok"


def test_basic_remembers_a_verified_client_password(keys, monkeypatch):
    from accounts import services as account_services

    checks = []
    real_check = account_services.client_password_check

    def counting_check(**kwargs):
        checks.append(kwargs["username"])
        return real_check(**kwargs)

    monkeypatch.setattr(account_services, "client_password_check", counting_check)
    for _ in range(3):
        assert basic("10.7.0.1", "alice", SECRET) == "ok"
    assert checks == ["alice"]
    assert basic("10.7.0.1", "alice", "other-secret") == "refused"
    assert checks == ["alice", "alice"]


def test_a_remembered_password_is_dropped_when_it_changes_or_the_account_is_disabled(alice, keys):
    assert basic("10.7.0.2", "alice", SECRET) == "ok"
    services.client_password_set(user=alice, password="the-new-app-secret-8")
    assert basic("10.7.0.2", "alice", SECRET) == "refused"
    assert basic("10.7.0.2", "alice", "the-new-app-secret-8") == "ok"
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert basic("10.7.0.2", "alice", "the-new-app-secret-8") == "refused"


def test_clientlogin_remembers_a_verified_client_password_as_basic_does(keys, monkeypatch):
    from accounts import services as account_services

    checks = []
    real_check = account_services.client_password_check

    def counting_check(**kwargs):
        checks.append(kwargs["username"])
        return real_check(**kwargs)

    monkeypatch.setattr(account_services, "client_password_check", counting_check)
    for _ in range(3):
        assert client_login("10.7.1.1", "alice", SECRET) == "ok"
    assert checks == ["alice"]  # one PBKDF2 check, then the remembered credential
    assert basic("10.7.1.1", "alice", SECRET) == "ok"  # the same credential, remembered
    assert checks == ["alice"]
    assert client_login("10.7.1.1", "alice", "other-secret") == "refused"
    assert checks == ["alice", "alice"]


def test_clientlogin_forgets_a_remembered_password_when_it_changes_or_the_account_is_disabled(
    alice, keys
):
    assert client_login("10.7.1.2", "alice", SECRET) == "ok"
    services.client_password_set(user=alice, password="the-new-app-secret-9")
    assert client_login("10.7.1.2", "alice", SECRET) == "refused"
    assert client_login("10.7.1.2", "alice", "the-new-app-secret-9") == "ok"
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert client_login("10.7.1.2", "alice", "the-new-app-secret-9") == "refused"


def test_the_remembered_entry_is_keyed_by_a_keyed_hash_and_holds_no_secret(alice, keys):
    import hashlib
    import hmac

    from django.conf import settings
    from django.core.cache import cache

    assert basic("10.7.0.3", "alice", SECRET) == "ok"
    mac = hmac.new(
        settings.SECRET_KEY.encode(), f"basic\x00alice\x00{SECRET}".encode(), hashlib.sha256
    ).hexdigest()
    value = cache.get(f"client-password-ok:{mac}")
    user_id, _, fingerprint = value.partition(":")
    assert user_id == str(alice.pk) and len(fingerprint) == 64
    assert SECRET not in value
