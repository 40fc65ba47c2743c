"""Account services: sign-up, invitations, API tokens, client password, deletion, export.

Every function that acts for a user takes ``user`` and touches only that user's rows: another
user's token is ``ApiToken.DoesNotExist`` -> Http404 for the views, never a 403.
Passwords are always hashed and checked by Django's hashers (``make_password``,
``check_password``); API tokens are random and stored as SHA-256 hex (a fast hash is enough
for 256-bit random secrets) and compared with ``hmac.compare_digest``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from accounts.models import (
    ApiToken,
    ClientPassword,
    ClientSession,
    Invitation,
    SignupMode,
    SiteSettings,
    User,
)

TOKEN_PREFIX = "tid_"  # noqa: S105 (a public prefix, not a secret)
# last_used_at is written at most this often per token, so a busy client costs no write per call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class SignupClosed(Exception):
    """Sign-up is not possible: mode closed, or invite-only without a usable invitation."""


class LastAdmin(Exception):
    """The account is the only active superuser; deleting it would lock the admin site."""


# --- Sign-up and invitations ---------------------------------------------------------------


def signup_mode() -> str:
    """The admin's sign-up mode: ``"open"``, ``"invite"`` or ``"closed"`` (SignupMode values)."""
    return SiteSettings.load().signup_mode


def invitation_create(*, created_by: User | None, email: str = "", days: int = 7) -> Invitation:
    """Create an invitation valid for ``days`` days; its link is ``invitation.url``."""
    return Invitation.objects.create(
        created_by=created_by, email=email, expires_at=timezone.now() + timedelta(days=days)
    )


def invitation_get_usable(token: str) -> Invitation | None:
    """The unused, unexpired invitation with ``token``, or None."""
    if not token or "\x00" in token:  # no token has a NUL, and PostgreSQL refuses one
        return None
    invitation = Invitation.objects.filter(token=token).first()
    if invitation is None or not invitation.is_usable():
        return None
    return invitation


def user_signup(*, username: str, email: str, password: str, invite_token: str = "") -> User:
    """Create an account under the current sign-up mode and return it.

    ``password`` must already have passed the validators (the sign-up form does that).
    In invite-only mode the invitation ``invite_token`` is claimed in the same transaction
    with a conditional UPDATE, so it works once even under concurrent requests.
    Raises SignupClosed when the mode is closed, or invite-only without a usable invitation.
    """
    mode = signup_mode()
    if mode == SignupMode.CLOSED:
        raise SignupClosed("closed")
    with transaction.atomic():
        user = get_user_model().objects.create_user(
            username=username, email=email, password=password
        )
        if mode == SignupMode.INVITE:
            now = timezone.now()
            claimed = Invitation.objects.filter(
                token=invite_token or "-", used_at__isnull=True, expires_at__gt=now
            ).update(used_at=now, used_by=user)
            if claimed != 1:  # raising inside atomic() rolls the new user back
                raise SignupClosed("invite")
    return user


# --- Personal API tokens ----------------------------------------------------------------


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a named token for ``user``; returns (token row, raw token).

    The raw token (``tid_`` + 43 url-safe characters, 256 random bits) exists only in this
    return value: show it once. The database keeps its SHA-256 hex and an 8-character prefix.
    """
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name.strip()[:100], token_hash=_token_hash(raw), prefix=raw[:8]
    )
    return token, raw


def token_list(*, user: User) -> list[ApiToken]:
    """The user's tokens, newest first (no secrets in them)."""
    return list(ApiToken.objects.filter(user=user))


def token_revoke(*, user: User, token_id: int) -> None:
    """Delete the user's token ``token_id``. Raises Http404 if ``user`` has no such token."""
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    if not deleted:
        raise Http404("No such token.")


def token_authenticate(raw: str, *, now: datetime | None = None) -> User | None:
    """The active user owning the raw token ``raw``, or None.

    Looks the token up by its SHA-256 (unique index), confirms with hmac.compare_digest, and
    records ``last_used_at`` when it is empty or older than a minute (one UPDATE at most).
    """
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    digest = _token_hash(raw)
    token = ApiToken.objects.select_related("user").filter(token_hash=digest).first()
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    if not token.user.is_active:
        return None
    now = now or timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


# --- Client password (Google Reader ClientLogin, Fever api_key) ------------------------------


def fever_api_key(*, username: str, password: str) -> str:
    """Lower-case hex MD5 of ``"username:password"``: what Fever clients send as api_key.

    MD5 is the Fever protocol's choice, not ours (client-apis.md B1).
    """
    return hashlib.md5(f"{username}:{password}".encode(), usedforsecurity=False).hexdigest()


def client_password_set(*, user: User, password: str) -> ClientPassword:
    """Set (or replace) the user's client password for Google Reader and Fever apps.

    Stores a Django hash for ClientLogin and the Fever api_key; the login password is not
    touched, nor does a later login-password change touch this. Replacing it invalidates
    tokens derived from the old one (greader_auth_token) and ends the user's app sessions
    (client_session_start).
    """
    ClientSession.objects.filter(user=user).delete()
    obj, _ = ClientPassword.objects.update_or_create(
        user=user,
        defaults={
            "password": make_password(password),
            "fever_api_key": fever_api_key(username=user.get_username(), password=password),
        },
    )
    return obj


def client_password_clear(*, user: User) -> None:
    """Remove the user's client password: their Google Reader, Fever and Tiny Tiny RSS apps
    stop working (app sessions end)."""
    ClientPassword.objects.filter(user=user).delete()
    ClientSession.objects.filter(user=user).delete()


def client_password_exists(*, user: User) -> bool:
    """True when the user has set a client password."""
    return ClientPassword.objects.filter(user=user).exists()


def client_password_check(*, username: str, password: str) -> User | None:
    """The active user whose client password is ``password``, or None.

    ``username`` is the account's username (exact), or else its email address when exactly
    one account has it (case-insensitive), since GReader clients call the field "Email".
    A miss still runs the hasher once so timing does not reveal which usernames exist.
    """
    cp = _client_password_for(username)
    if cp is None or not cp.user.is_active:
        make_password(password)  # equalise timing with a real check
        return None
    return cp.user if check_password(password, cp.password) else None


def _client_password_for(username: str) -> ClientPassword | None:
    if not username:
        return None
    qs = ClientPassword.objects.select_related("user")
    cp = qs.filter(user__username=username).first()
    if cp is None and "@" in username:
        matches = list(qs.filter(user__email__iexact=username)[:2])
        cp = matches[0] if len(matches) == 1 else None
    return cp


def fever_user_for_api_key(api_key: str) -> User | None:
    """The active user whose Fever api_key (hex MD5 of "username:client password") is
    ``api_key`` (32 hex characters, any case), or None."""
    key = (api_key or "").strip().lower()
    if len(key) != 32:
        return None
    cp = ClientPassword.objects.select_related("user").filter(fever_api_key=key).first()
    if cp is None or not hmac.compare_digest(cp.fever_api_key, key) or not cp.user.is_active:
        return None
    return cp.user


def greader_auth_token(*, user: User) -> str | None:
    """A stable Google Reader auth token ``"<user id>/<64 hex>"`` for ClientLogin, or None.

    HMAC-SHA256 keyed by SECRET_KEY over the user id and the stored client-password hash, as
    Miniflux and FreshRSS derive theirs: stable (no expiry), and void once the client password
    changes or is removed. None when the user has no client password.
    """
    cp = ClientPassword.objects.filter(user=user).first()
    if cp is None:
        return None
    return f"{user.pk}/{_greader_mac(user.pk, cp.password)}"


def greader_user_for_token(token: str) -> User | None:
    """The active user for a token made by greader_auth_token, or None (constant-time check)."""
    user_id, _, mac = (token or "").strip().partition("/")
    if not user_id.isdigit() or len(mac) != 64:
        return None
    cp = ClientPassword.objects.select_related("user").filter(user_id=int(user_id)).first()
    if cp is None or not cp.user.is_active:
        return None
    return cp.user if hmac.compare_digest(_greader_mac(cp.user_id, cp.password), mac) else None


def _greader_mac(user_id: int, password_hash: str) -> str:
    message = f"greader:{user_id}:{password_hash}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


# --- Preferences, deletion and export ------------------------------------------------------


def account_delete(*, user: User) -> None:
    """Delete the account and, by cascade, its subscriptions, categories, entry states,
    tokens and client password. Shared feeds and entries stay for other subscribers.

    Raises LastAdmin when ``user`` is the only active superuser.
    """
    if (
        user.is_superuser
        and not get_user_model()
        .objects.filter(is_superuser=True, is_active=True)
        .exclude(pk=user.pk)
        .exists()
    ):
        raise LastAdmin("last admin")
    user.delete()


# --- App sessions (Tiny Tiny RSS login / sid) ------------------------------------------------

#: A session unused this long ends (apps sign in again when told NOT_LOGGED_IN).
CLIENT_SESSION_IDLE = timedelta(days=30)
#: Most app sessions a user keeps; opening one more ends the least recently used.
CLIENT_SESSIONS_KEPT = 100


def _session_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _password_fingerprint(user_id: int, password_hash: str) -> str:
    message = f"client-session:{user_id}:{password_hash}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def client_session_start(*, user: User, now: datetime | None = None) -> str | None:
    """Open an app session for ``user`` (who just signed in with the client password).

    Returns the raw session id (48 hex characters, 192 random bits; only its SHA-256 is
    stored), or None when the user has no client password. The user's sessions idle for
    longer than CLIENT_SESSION_IDLE, and those beyond the CLIENT_SESSIONS_KEPT most recently
    used, are deleted on the way (at most two DELETEs and one query).
    """
    cp = ClientPassword.objects.filter(user=user).first()
    if cp is None:
        return None
    now = now or timezone.now()
    ClientSession.objects.filter(user=user, last_used_at__lt=now - CLIENT_SESSION_IDLE).delete()
    # An app that signs in on every run (newsboat -x) leaves one session per run: keep the
    # CLIENT_SESSIONS_KEPT - 1 most recently used ones besides the new one.
    stale = ClientSession.objects.filter(user=user).order_by("-last_used_at", "-pk")
    stale_ids = list(stale.values_list("pk", flat=True)[CLIENT_SESSIONS_KEPT - 1 :])
    if stale_ids:
        ClientSession.objects.filter(pk__in=stale_ids).delete()
    raw = secrets.token_hex(24)
    ClientSession.objects.create(
        user=user,
        key_hash=_session_hash(raw),
        password_fingerprint=_password_fingerprint(user.pk, cp.password),
        created_at=now,
        last_used_at=now,
    )
    return raw


def client_session_user(raw: str, *, now: datetime | None = None) -> User | None:
    """The active user of the app session ``raw``, or None when it names no live session.

    A session is live while its user is active, has not been idle for CLIENT_SESSION_IDLE,
    and the client password is the one it was opened with (replacing or clearing the client
    password ends it; such a row is deleted when seen). Records use at most once a minute.
    Two queries (three when it records use).
    """
    if not raw or len(raw) > 200 or "\x00" in raw:
        return None
    digest = _session_hash(raw)
    session = ClientSession.objects.select_related("user").filter(key_hash=digest).first()
    if session is None or not hmac.compare_digest(session.key_hash, digest):
        return None
    now = now or timezone.now()
    cp = ClientPassword.objects.filter(user_id=session.user_id).first()
    current = _password_fingerprint(session.user_id, cp.password) if cp else ""
    if not hmac.compare_digest(session.password_fingerprint, current):
        session.delete()
        return None
    if now - session.last_used_at >= CLIENT_SESSION_IDLE or not session.user.is_active:
        return None
    if now - session.last_used_at >= LAST_USED_RESOLUTION:
        ClientSession.objects.filter(pk=session.pk).update(last_used_at=now)
    return session.user


def client_session_end(raw: str) -> bool:
    """End the app session ``raw`` (``logout``); True when one was ended."""
    if not raw or len(raw) > 200 or "\x00" in raw:
        return False
    deleted, _ = ClientSession.objects.filter(key_hash=_session_hash(raw)).delete()
    return bool(deleted)
