"""App sessions (Tiny Tiny RSS ``login`` / ``sid``): hashed, bound to the client password,
ended by logout, idleness or a new client password, and capped per user."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import services
from accounts.models import ClientSession

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_password(alice):
    services.client_password_set(user=alice, password="app-pass")
    return alice


def test_a_session_names_its_user_and_only_its_hash_is_stored(with_password):
    sid = services.client_session_start(user=with_password)
    assert services.client_session_user(sid) == with_password
    row = ClientSession.objects.get(user=with_password)
    assert row.key_hash == hashlib.sha256(sid.encode()).hexdigest() and sid not in row.key_hash


def test_no_session_without_a_client_password(alice):
    assert services.client_session_start(user=alice) is None


def test_logout_ends_only_that_session(with_password):
    first = services.client_session_start(user=with_password)
    second = services.client_session_start(user=with_password)
    assert services.client_session_end(first) is True
    assert services.client_session_user(first) is None
    assert services.client_session_user(second) == with_password
    assert services.client_session_end(first) is False


def test_a_new_or_cleared_client_password_ends_every_session(with_password):
    sid = services.client_session_start(user=with_password)
    services.client_password_set(user=with_password, password="another")
    assert services.client_session_user(sid) is None
    sid = services.client_session_start(user=with_password)
    services.client_password_clear(user=with_password)
    assert services.client_session_user(sid) is None


def test_a_password_changed_behind_the_services_back_voids_the_session(with_password):
    sid = services.client_session_start(user=with_password)
    with_password.client_password.password = "pbkdf2_sha256$changed"
    with_password.client_password.save()
    assert services.client_session_user(sid) is None
    assert not ClientSession.objects.filter(user=with_password).exists()


def test_an_idle_session_ends_and_use_keeps_one_alive(with_password):
    start = timezone.now()
    sid = services.client_session_start(user=with_password, now=start)
    later = start + services.CLIENT_SESSION_IDLE - timedelta(minutes=1)
    assert services.client_session_user(sid, now=later) == with_password
    last_use = later + timedelta(days=29)
    assert services.client_session_user(sid, now=last_use) == with_password
    idle = last_use + services.CLIENT_SESSION_IDLE + timedelta(minutes=1)
    assert services.client_session_user(sid, now=idle) is None


def test_a_disabled_account_has_no_session(with_password):
    sid = services.client_session_start(user=with_password)
    with_password.is_active = False
    with_password.save()
    assert services.client_session_user(sid) is None


def test_sessions_beyond_the_cap_end_least_recently_used_first(with_password, monkeypatch):
    monkeypatch.setattr(services, "CLIENT_SESSIONS_KEPT", 3)
    start = timezone.now()
    sids = [
        services.client_session_start(user=with_password, now=start + timedelta(minutes=i))
        for i in range(5)
    ]
    assert ClientSession.objects.filter(user=with_password).count() == 3
    assert [services.client_session_user(s) is not None for s in sids] == [
        False, False, True, True, True,
    ]  # fmt: skip


@pytest.mark.parametrize("raw", ["", "x" * 300, "\x00abc", "not-a-session"])
def test_malformed_session_ids_name_nobody(with_password, raw):
    assert services.client_session_user(raw) is None
    assert services.client_session_end(raw) is False
