"""DRF authentication classes for API clients.

- ``BearerTokenAuthentication``: ``Authorization: Bearer <personal API token>``
  (tokens from /settings/api/). ``request.auth`` is the string ``"token"``.
- ``ClientPasswordBasicAuthentication``: HTTP Basic with the username and the *client
  password* (the one set for Google Reader / Fever apps), never the login password.
  ``request.auth`` is the string ``"client-password"``.

Both answer None when their scheme is absent (so the next class may try), and raise
AuthenticationFailed (401 with a WWW-Authenticate header) when it is present but wrong.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, BasicAuthentication
from rest_framework.request import Request

from accounts import services


class BearerTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer tid_...``: the personal API token of an active user.

    Valid token: returns (user, "token") and records last use (at most once a minute).
    Scheme absent: None. Malformed header, unknown or revoked token: AuthenticationFailed.
    """

    keyword = "bearer"

    def authenticate(self, request: Request):
        parts = request.META.get("HTTP_AUTHORIZATION", "").split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Invalid Authorization header: use 'Bearer <token>'.")
            )
        user = services.token_authenticate(parts[1])
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API token."))
        return user, "token"

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class ClientPasswordBasicAuthentication(BasicAuthentication):
    """HTTP Basic with username (or unique email) and the user's client password.

    Valid: returns (user, "client-password"). Scheme absent: None. Wrong credentials or no
    client password set: AuthenticationFailed with ``WWW-Authenticate: Basic realm="api"``.
    """

    def authenticate_credentials(self, userid, password, request=None):
        user = services.client_password_check(username=userid, password=password)
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid username or client password."))
        return user, "client-password"
