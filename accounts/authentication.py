"""DRF authentication classes for API clients.

- ``BearerTokenAuthentication``: ``Authorization: Bearer <personal API token>``
  (tokens from /settings/api/). ``request.auth`` is the string ``"token"``.
- ``AuthTokenHeaderAuthentication``: the same token as ``X-Auth-Token: <token>`` (the
  Miniflux API's header). ``request.auth`` is ``"token"``.
- ``ClientPasswordBasicAuthentication``: HTTP Basic with the username and the *client
  password* (the one set for Google Reader / Fever apps), never the login password.
  ``request.auth`` is the string ``"client-password"``.

All answer None when their scheme is absent (so the next class may try), and raise
AuthenticationFailed (401 with a WWW-Authenticate header) when it is present but wrong.
All are doors of the shared credential lock (accounts.ratelimit.CredentialLock, doors
``"bearer"`` and ``"basic"``): a locked address or account gets Throttled (429 with
Retry-After, in the REST API's error shape), even with a valid credential.

A verified Basic credential is remembered in the cache (remembered_client_password) so that
later calls cost one cache read and one indexed query instead of a PBKDF2 check.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, BasicAuthentication
from rest_framework.request import Request

from accounts import services
from accounts.models import ClientPassword, User
from accounts.ratelimit import CredentialLock, RateLimited, account_of, client_ip

#: Seconds a verified HTTP Basic client password is remembered (renewed by each full check).
REMEMBER_SECONDS = 3600


def _mac(*parts: str) -> str:
    message = "\x00".join(parts).encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _remember_key(username: str, password: str) -> str:
    # A keyed hash: the cache never holds the password nor a hash one could test guesses on.
    return "client-password-ok:" + _mac("basic", username, password)


def _fingerprint(cp: ClientPassword) -> str:
    # Changes the moment the client password is replaced (new salted hash) or the account
    # is disabled, which voids every remembered credential of the account.
    return _mac("basic-fingerprint", str(cp.user_id), cp.password, str(cp.user.is_active))


def remember_client_password(*, username: str, password: str, user: User) -> None:
    """Remember that ``username``/``password`` (as typed) verified as ``user``'s client password.

    Stores ``"<user id>:<fingerprint>"`` for REMEMBER_SECONDS under an HMAC-SHA256 (keyed by
    SECRET_KEY) of the credential. Nothing is stored when the user has no client password.
    """
    cp = ClientPassword.objects.select_related("user").filter(user=user).first()
    if cp is not None:
        value = f"{user.pk}:{_fingerprint(cp)}"
        cache.set(_remember_key(username, password), value, timeout=REMEMBER_SECONDS)


def remembered_client_password(*, username: str, password: str) -> User | None:
    """The active user for a remembered ``username``/``password``, or None (then check fully).

    One cache read and, on a hit, one query: the remembered fingerprint must still match the
    stored client-password hash and the account's ``is_active`` (constant-time comparison).
    """
    value = cache.get(_remember_key(username, password))
    if not isinstance(value, str):
        return None
    user_id, _sep, fingerprint = value.partition(":")
    if not user_id.isdigit():
        return None
    cp = ClientPassword.objects.select_related("user").filter(user_id=int(user_id)).first()
    if cp is None or not cp.user.is_active:
        return None
    return cp.user if hmac.compare_digest(_fingerprint(cp), fingerprint) else None


def _throttled(limited: RateLimited) -> exceptions.Throttled:
    return exceptions.Throttled(wait=limited.retry_after)


class BearerTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer tid_...``: the personal API token of an active user.

    Valid token: returns (user, "token") and records last use (at most once a minute).
    Scheme absent: None. Malformed header, unknown or revoked token: AuthenticationFailed
    (counted as a failure of the client address; a token names no account). Locked address
    or account (accounts.ratelimit): Throttled (429, Retry-After).
    """

    keyword = "bearer"

    def authenticate(self, request: Request):
        parts = request.META.get("HTTP_AUTHORIZATION", "").split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        return self.authenticate_token(request, parts[1] if len(parts) == 2 else None)

    def authenticate_token(self, request: Request, raw: str | None):
        """(user, "token") for the raw personal API token ``raw`` (None: a malformed header).

        A door of the shared credential lock (``"bearer"``). Raises AuthenticationFailed for
        a malformed header or an unknown, revoked or disabled token (counted for the client
        address), Throttled when the address or the account is locked.
        """
        lock = CredentialLock("bearer", client_ip(request))
        try:
            lock.ensure_open()
            user = services.token_authenticate(raw) if raw is not None else None
            if user is None:
                lock.check()
                lock.failed()
            else:
                lock.admit(account_of(user))
        except RateLimited as limited:
            raise _throttled(limited) from None
        if raw is None:
            raise exceptions.AuthenticationFailed(
                _("Invalid Authorization header: use 'Bearer <token>'.")
            )
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API token."))
        return user, "token"

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class AuthTokenHeaderAuthentication(BearerTokenAuthentication):
    """``X-Auth-Token: tid_...``: the same personal API token in the Miniflux API's header.

    Miniflux apps send their API key this way (Miniflux ``internal/api/middleware.go``). An
    absent or empty header: None (HTTP Basic may follow, as in Miniflux). Otherwise exactly
    as BearerTokenAuthentication: (user, "token"), AuthenticationFailed, Throttled; the
    same door of the credential lock.
    """

    def authenticate(self, request: Request):
        raw = request.META.get("HTTP_X_AUTH_TOKEN", "").strip()
        return self.authenticate_token(request, raw) if raw else None

    def authenticate_header(self, request: Request) -> str:
        return 'Basic realm="api"'


class ClientPasswordBasicAuthentication(BasicAuthentication):
    """HTTP Basic with username (or unique email) and the user's client password.

    Valid: returns (user, "client-password"). Scheme absent: None. Wrong credentials or no
    client password set: AuthenticationFailed with ``WWW-Authenticate: Basic realm="api"``,
    counted for the client address and the named account. Locked address or account
    (accounts.ratelimit): Throttled (429, Retry-After), even with the right password.
    A verified credential is remembered (remember_client_password) for later calls.
    """

    def authenticate_credentials(self, userid, password, request=None):
        lock = CredentialLock("basic", client_ip(request) if request is not None else "")
        try:
            lock.ensure_open()
            user = remembered_client_password(username=userid, password=password)
            if user is not None:
                lock.admit(account_of(user))
                return user, "client-password"
            user = lock.guard(
                account=userid,
                attempt=lambda: services.client_password_check(username=userid, password=password),
            )
        except RateLimited as limited:
            raise _throttled(limited) from None
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid username or client password."))
        remember_client_password(username=userid, password=password, user=user)
        return user, "client-password"
