"""Brute-force limits on sign-in and password reset (per IP and per account), and the
cache-based Limit helper. The cache is cleared around each test (conftest)."""

from __future__ import annotations

import time

import pytest
from django.core import mail
from django.test import Client

from accounts.ratelimit import Limit

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
RESET = "/accounts/password/reset/"


@pytest.fixture
def limits(settings):
    settings.ACCOUNTS_LOGIN_FAILURES_PER_IP = 6
    settings.ACCOUNTS_LOGIN_FAILURES_PER_ACCOUNT = 3
    settings.ACCOUNTS_LOGIN_FAILURE_PERIOD = 600
    settings.ACCOUNTS_RESETS_PER_IP = 4
    settings.ACCOUNTS_RESETS_PER_ACCOUNT = 2
    settings.ACCOUNTS_RESET_PERIOD = 3600
    return settings


def login(username, password, ip="10.0.0.1", **extra):
    return Client().post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip, **extra
    )


def test_an_account_is_locked_after_too_many_failures_even_with_the_right_password(limits, alice):
    for i in range(3):
        assert login("alice", "wrong", ip=f"10.0.0.{i}").status_code == 200
    response = login("alice", "alice-pass-123", ip="10.9.9.9")
    assert response.status_code == 429
    assert b"Too many attempts" in response.content
    assert b"try again in 10 minutes" in response.content


def test_the_account_limit_leaves_other_accounts_alone(limits, alice, bob):
    for _ in range(3):
        login("alice", "wrong", ip="10.0.0.1")
    assert login("bob", "bob-pass-123", ip="10.0.0.2").status_code == 302


def test_the_account_limit_ignores_the_case_of_the_username(limits, alice):
    for name in ("alice", "ALICE", "Alice"):
        login(name, "wrong", ip="10.0.0.1")
    assert login("alice", "alice-pass-123", ip="10.0.0.2").status_code == 429


def test_an_ip_is_blocked_after_too_many_failures_on_any_accounts(limits, alice):
    for i in range(6):
        login(f"guess{i}", "wrong", ip="10.0.0.66")
    assert login("alice", "alice-pass-123", ip="10.0.0.66").status_code == 429
    assert login("alice", "alice-pass-123", ip="10.0.0.67").status_code == 302


def test_a_successful_sign_in_resets_the_account_count(limits, alice):
    for _ in range(2):
        login("alice", "wrong")
    assert login("alice", "alice-pass-123").status_code == 302
    for _ in range(2):
        login("alice", "wrong")
    assert login("alice", "alice-pass-123").status_code == 302


def test_forwarded_for_is_used_only_when_trusted(limits, alice):
    for i in range(6):
        login(f"guess{i}", "wrong", ip="127.0.0.1", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")
    # Untrusted: every request came from the proxy's address.
    assert login("alice", "alice-pass-123", ip="127.0.0.1").status_code == 429
    limits.TRUST_X_FORWARDED_FOR = True
    ok = login("alice", "alice-pass-123", ip="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert ok.status_code == 302


def reset(email, ip="10.0.0.1"):
    return Client().post(RESET, {"email": email}, REMOTE_ADDR=ip)


def test_password_reset_is_limited_per_email(limits, alice):
    assert reset("alice@example.com", ip="10.0.0.1").status_code == 302
    assert reset("Alice@Example.com", ip="10.0.0.2").status_code == 302
    response = reset("alice@example.com", ip="10.0.0.3")
    assert response.status_code == 429
    assert b"Too many attempts" in response.content
    assert len(mail.outbox) == 2


def test_password_reset_is_limited_per_ip_whatever_the_email(limits, alice):
    for i in range(4):
        assert reset(f"someone{i}@example.com", ip="10.0.0.9").status_code == 302
    assert reset("alice@example.com", ip="10.0.0.9").status_code == 429
    assert mail.outbox == []
    assert reset("alice@example.com", ip="10.0.0.10").status_code == 302
    assert len(mail.outbox) == 1


def test_the_limit_helper_counts_within_a_window_and_forgets_after_it():
    limit = Limit("test", max_hits=2, period=1)
    assert not limit.exceeded("k")
    assert limit.hit("k") == 1
    assert limit.hit("K ") == 2  # keys are trimmed and case-insensitive
    assert limit.exceeded("k")
    assert not limit.exceeded("other")
    assert 1 <= limit.retry_after("k") <= 1
    time.sleep(1.2)
    assert not limit.exceeded("k")
    assert limit.hit("k") == 1


def test_the_limit_helper_resets_a_key():
    limit = Limit("test-reset", max_hits=1, period=60)
    limit.hit("k")
    assert limit.exceeded("k")
    limit.reset("k")
    assert limit.count("k") == 0
    assert limit.retry_after("k") == 60


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.cache.backends.filebased.FileBasedCache",  # make run (no Redis)
        "django.core.cache.backends.locmem.LocMemCache",
    ],
)
def test_the_limit_helper_works_on_the_caches_without_redis(settings, tmp_path, backend):
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": str(tmp_path)}}
    limit = Limit("test-backend", max_hits=3, period=60)
    assert [limit.hit("k") for _ in range(3)] == [1, 2, 3]
    assert limit.exceeded("k")
    assert 55 <= limit.retry_after("k") <= 60


def test_guard_login_limits_api_sign_ins_with_the_client_password(limits, alice):
    from accounts import services
    from accounts.ratelimit import RateLimited, guard_login

    services.client_password_set(user=alice, password="app-secret-phrase-1")

    def check(password):
        return lambda: services.client_password_check(username="alice", password=password)

    assert (
        guard_login(ip="10.2.0.1", account="alice", attempt=check("app-secret-phrase-1")) == alice
    )
    for _ in range(3):
        assert guard_login(ip="10.2.0.1", account="alice", attempt=check("wrong")) is None
    with pytest.raises(RateLimited) as raised:
        guard_login(ip="10.2.0.2", account="ALICE", attempt=check("app-secret-phrase-1"))
    assert 1 <= raised.value.retry_after <= 600
