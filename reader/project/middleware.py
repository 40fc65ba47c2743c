"""Per-request preferences of the signed-in user: interface language and time zone.

Django's ``LocaleMiddleware`` picks the language from the URL, cookie and
Accept-Language; it runs before authentication, so this middleware (placed
after ``AuthenticationMiddleware``) overrides it with the user's saved
``language`` when there is one. The user's ``timezone`` is activated so that
dates in templates are shown in their local time. The media proxy (``/media/``) is left
alone: it answers the same bytes to everyone and must not load a session.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from feeds.media_proxy import PATH_PREFIX as MEDIA_PATH_PREFIX
from reader.project.health import healthz
from reader.user_language import user_language


def preferred_language(request: HttpRequest) -> str | None:
    """Return the signed-in user's supported language code, or None to follow the browser
    (``reader.user_language.user_language``)."""
    return user_language(getattr(request, "user", None))


class UserPreferencesMiddleware:
    """Activate the user's language (over Accept-Language) and time zone for the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(MEDIA_PATH_PREFIX):
            # The media proxy reads no session: no query per image, no "Vary: Cookie".
            return self.get_response(request)
        language = preferred_language(request)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        tz_name = getattr(getattr(request, "user", None), "timezone", "") or ""
        try:
            timezone.activate(zoneinfo.ZoneInfo(tz_name)) if tz_name else timezone.deactivate()
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        response = self.get_response(request)
        if language:
            response.headers.setdefault("Content-Language", language)
        return response


#: Addresses a container's own health check comes from.
LOOPBACK_ADDRESSES = frozenset({"127.0.0.1", "::1"})


class LoopbackHealthCheckMiddleware:
    """Answer ``GET /healthz`` from the machine itself before host validation and HTTPS redirect.

    A container's health check (``docker/compose.yml``) asks ``http://127.0.0.1:8000/healthz``
    inside the container: its ``Host`` is not in a production ``ALLOWED_HOSTS`` (Django would
    answer 400) and it is plain HTTP (``SECURE_SSL_REDIRECT`` would answer 301). A request
    whose peer (``REMOTE_ADDR``) is loopback gets the health report directly; any other
    request goes through the whole middleware chain, host check included. Must be first in
    ``MIDDLEWARE``. Behind a reverse proxy on the same host the proxy's requests are
    loopback too: they also get the report, which holds no user data.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.path_info == "/healthz"
            and request.method in ("GET", "HEAD")
            and request.META.get("REMOTE_ADDR") in LOOPBACK_ADDRESSES
        ):
            return healthz(request)
        return self.get_response(request)
