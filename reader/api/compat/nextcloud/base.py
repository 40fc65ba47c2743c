"""The base view of the Nextcloud News API: authentication, parameters and the error shape.

Authentication is HTTP Basic with the username (or e-mail) and the **client password**, the
one Google Reader and Fever apps use (``accounts.authentication``
``ClientPasswordBasicAuthentication``: a door of the shared credential lock). Missing or wrong
credentials answer 401 with ``WWW-Authenticate: Basic``; a locked account or address 429
with ``Retry-After``.

Parameters: the News app reads them from the query string and the body alike (its docs,
"Input"), so ``NextcloudView.params`` merges both, the JSON (or form) body winning. Errors are
the News app's shape, ``{"message": "<readable text>"}``, with the status its docs give:
400 (a body that is not JSON), 401, 404 (unknown *or another user's* folder, feed or item,
never told apart), 405, 409 (a folder or feed that exists), 422 (a value that is not valid,
a feed that cannot be read), 429. Messages follow the user's language.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import ClientPasswordBasicAuthentication
from reader.api.base import WriteThrottle
from reader.errors import CategoryExists, ReaderError, SubscriptionExists
from reader.user_language import user_language

#: Largest value of a PostgreSQL bigint; larger numbers name nothing.
MAX_INT = 2**63 - 1


class NextcloudError(Exception):
    """An answer in the News app's error shape: ``status`` and a readable ``message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def invalid(message: str) -> NextcloudError:
    """A 422 (a value the API cannot take) with ``message``."""
    return NextcloudError(422, message)


def not_found() -> NextcloudError:
    """The one 404 of the API: unknown and foreign ids answer alike."""
    return NextcloudError(404, _("Not found."))


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None):
    """A ``{"message": ...}`` response with ``status``."""
    return Response({"message": str(message)}, status=status, headers=headers)


def nextcloud_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Turn an exception of a Nextcloud view into the News app's error shape.

    ``NextcloudError``: its status. ``Http404`` (``reader.errors.NotFound``): 404.
    ``SubscriptionExists`` / ``CategoryExists``: 409; other ``ReaderError``: 422 with the
    service's message. DRF's errors keep their status and headers (``WWW-Authenticate``,
    ``Retry-After``). Anything else is a bug: None, so DRF lets it surface as a 500.
    """
    if isinstance(exc, NextcloudError):
        return error_response(exc.status, exc.message)
    if isinstance(exc, Http404):
        return error_response(404, _("Not found."))
    if isinstance(exc, SubscriptionExists | CategoryExists):
        return error_response(409, exc.message)
    if isinstance(exc, ReaderError):
        return error_response(422, exc.message)
    if isinstance(exc, exceptions.APIException):
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        detail = exc.detail
        message = detail if isinstance(detail, str) else _("Invalid input.")
        return error_response(exc.status_code, message, headers)
    return None


class NextcloudView(APIView):
    """Base of every Nextcloud News view (module docstring): Basic auth, params, errors."""

    authentication_classes = [ClientPasswordBasicAuthentication]
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser, FormParser]
    renderer_classes = [JSONRenderer]
    throttle_classes = [WriteThrottle]

    def get_exception_handler(self):
        """Every error in the News app's shape (``nextcloud_exception_handler``)."""
        return nextcloud_exception_handler

    def perform_authentication(self, request: Request) -> None:
        """Authenticate, then speak the user's saved language (as the REST API does)."""
        super().perform_authentication(request)
        language = user_language(request.user)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()

    def params(self) -> dict[str, Any]:
        """The query string merged with the body (JSON object or form), the body winning.

        A JSON array body (some apps send the id list bare) is taken as ``items``.
        A body labelled JSON that is not JSON is a 400 (DRF's ParseError); a body of
        another (or no) content type is read as JSON when it is, else ignored.
        """
        merged: dict[str, Any] = dict(self.request.query_params.items())
        try:
            data = self.request.data
        except exceptions.UnsupportedMediaType:
            data = _json_or_nothing(self.request.body)
        if isinstance(data, list):
            merged["items"] = data
        elif isinstance(data, Mapping):
            merged.update({k: data[k] for k in data})
        return merged


def _json_or_nothing(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8")) if body else None
    except (UnicodeDecodeError, ValueError):
        return None


def int_param(params: Mapping[str, Any], name: str, default: int | None = None) -> int | None:
    """``params[name]`` as an int (a JSON number or a decimal string), else ``default``.

    ``null`` and an empty string are ``default``. Raises a 422 for anything else (booleans,
    fractions, words, numbers beyond 64 bits).
    """
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise invalid(_("%(name)s must be an integer.") % {"name": name})
    if isinstance(value, str):
        value = value.strip()
        digits = value[1:] if value[:1] in "+-" else value
        if not digits.isdigit() or not digits.isascii():
            raise invalid(_("%(name)s must be an integer.") % {"name": name})
    elif not isinstance(value, int):
        raise invalid(_("%(name)s must be an integer.") % {"name": name})
    number = int(value)
    if abs(number) > MAX_INT:
        raise invalid(_("%(name)s must be an integer.") % {"name": name})
    return number


def bool_param(params: Mapping[str, Any], name: str, default: bool) -> bool:
    """``params[name]`` as a boolean: true/false, 1/0 (numbers or strings), yes/no, on/off.

    Missing or empty is ``default``; raises a 422 for anything else.
    """
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise invalid(_("%(name)s must be true or false.") % {"name": name})


def int_list_param(params: Mapping[str, Any], *names: str) -> list[int]:
    """The first of ``names`` present, as a list of ints (JSON array, or comma-separated).

    Missing is an empty list; raises a 422 for a value that is not such a list.
    """
    for name in names:
        value = params.get(name)
        if value is None:
            continue
        if isinstance(value, str):
            value = [part for part in value.split(",") if part.strip()]
        if not isinstance(value, list):
            raise invalid(_("%(name)s must be a list of ids.") % {"name": name})
        return [int_param({name: item}, name) for item in value if item is not None]
    return []
