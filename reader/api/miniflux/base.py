"""Authentication, errors, parsing and dispatch of the Miniflux API face.

Every route is a ``resource(GET=..., PUT=...)``: a view that answers CORS preflight
(``OPTIONS``, 200, as Miniflux's ``handleCORS``), authenticates, picks the handler of the
method (405 otherwise) and runs it in the user's language. A handler takes
``(request, user, **route ids)`` and returns an HttpResponse.

Authentication, in Miniflux's order (``internal/api/middleware.go``): ``X-Auth-Token`` with a
personal API token (``accounts.authentication.AuthTokenHeaderAuthentication``), else HTTP
Basic with the username and the *client password*
(``accounts.authentication.ClientPasswordBasicAuthentication``). Both are doors of the
shared credential lock: a locked address or account gets 429 with ``Retry-After``.

Errors are Miniflux's ``{"error_message": "<text>"}``: 400 bad input, 401 ``Access
Unauthorized`` (with ``WWW-Authenticate: Basic``), 403, 404 ``Resource Not Found`` (an
unknown id and another user's id answer the same), 405, 413, 429. Bad input never
gives a 500.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.request import Request

from accounts.authentication import AuthTokenHeaderAuthentication, ClientPasswordBasicAuthentication
from reader.errors import NotFound, OpmlTooLarge, ReaderError
from reader.user_language import user_language_override

Handler = Callable[..., HttpResponse]

#: Largest id a route or body may name (PostgreSQL bigint); larger ones name nothing.
MAX_ID = 2**63 - 1


class MinifluxError(Exception):
    """An error answered as ``{"error_message": message}`` with HTTP ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def bad_request(message: str) -> MinifluxError:
    """A 400 with ``message`` (already translated)."""
    return MinifluxError(400, message)


# --- Responses ---------------------------------------------------------------------------


def json_response(data: Any, status: int = 200) -> HttpResponse:
    """``data`` as compact UTF-8 JSON (``application/json``) with ``status``."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(body, status=status, content_type="application/json; charset=utf-8")


def no_content() -> HttpResponse:
    """204 without a body: what Miniflux answers to writes that return nothing."""
    return HttpResponse(status=204)


def error_response(status: int, message: str) -> HttpResponse:
    """Miniflux's error body ``{"error_message": message}`` with ``status``."""
    response = json_response({"error_message": message}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="Restricted"'
    return response


def _cors(response: HttpResponse) -> HttpResponse:
    # As Miniflux: any origin, the two credential headers, no cookies (no credentials mode).
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Methods"] = "GET, POST, PUT, DELETE, OPTIONS"
    response["Access-Control-Allow-Headers"] = "X-Auth-Token, Authorization, Content-Type, Accept"
    return response


# --- Authentication ----------------------------------------------------------------------


def authenticate(request: HttpRequest) -> Any:
    """The user of the request's ``X-Auth-Token``, else of its HTTP Basic credentials.

    Raises MinifluxError 401 when neither is present or the one present is wrong, 429
    (``retry_after`` set) when the credential lock refuses the address or the account.
    """
    drf_request = Request(request)
    for door in (AuthTokenHeaderAuthentication(), ClientPasswordBasicAuthentication()):
        try:
            found = door.authenticate(drf_request)
        except exceptions.Throttled as throttled:
            error = MinifluxError(429, _("Too many failed sign-in attempts. Try again later."))
            error.retry_after = int(throttled.wait or 1)
            raise error from None
        except exceptions.AuthenticationFailed:
            raise MinifluxError(401, "Access Unauthorized") from None
        if found is not None:
            return found[0]
    raise MinifluxError(401, "Access Unauthorized")


# --- Dispatch ----------------------------------------------------------------------------


def _answer(request: HttpRequest, methods: dict[str, Handler], kwargs: dict[str, Any]):
    user = authenticate(request)
    handler = methods.get(request.method or "")
    if handler is None:
        raise MinifluxError(405, "Method Not Allowed")
    with user_language_override(user):
        try:
            return handler(request, user, **kwargs)
        except NotFound:
            raise MinifluxError(404, "Resource Not Found") from None
        except OpmlTooLarge as exc:
            raise MinifluxError(413, exc.message) from None
        except ReaderError as exc:
            raise bad_request(exc.message) from None
        except RequestDataTooBig:
            raise MinifluxError(413, _("The request body is too large.")) from None
        except (SuspiciousOperation, UnicodeDecodeError):
            raise bad_request(_("The request body could not be parsed.")) from None


def resource(**methods: Handler) -> Callable[..., HttpResponse]:
    """A view answering the given methods (``GET=handler, PUT=...``) of one Miniflux path."""

    @csrf_exempt
    def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        if request.method == "OPTIONS":
            response = HttpResponse(status=200)
            response["Access-Control-Max-Age"] = "3600"
            return _cors(response)
        ids = {name: int(value) for name, value in kwargs.items()}  # the routes' digits
        try:
            response = _answer(request, methods, ids)
        except MinifluxError as exc:
            response = error_response(exc.status, exc.message)
            if exc.status == 429:
                response["Retry-After"] = str(getattr(exc, "retry_after", 1))
            elif exc.status == 405:
                response["Allow"] = ", ".join(sorted({*methods, "OPTIONS"}))
        return _cors(response)

    view.methods = tuple(methods)  # type: ignore[attr-defined]  (read by the tests)
    return view


@csrf_exempt
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any other path under /v1/: Miniflux's 404 body (after authentication, like routes)."""
    if request.method == "OPTIONS":
        return _cors(HttpResponse(status=200))
    try:
        authenticate(request)
    except MinifluxError as exc:
        return _cors(error_response(exc.status, exc.message))
    return _cors(error_response(404, "Resource Not Found"))


# --- Input ---------------------------------------------------------------------------------


def json_body(request: HttpRequest) -> dict[str, Any]:
    """The request body as a JSON object; MinifluxError 400 otherwise (empty body: ``{}``)."""
    raw = request.body
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise bad_request(_("The request body is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise bad_request(_("The request body must be a JSON object."))
    return data


def body_text(data: dict[str, Any], name: str) -> str | None:
    """Field ``name`` of a JSON body as text without NUL characters; None when absent or null.

    Raises MinifluxError 400 when it is present but not a string.
    """
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_request(_("%(field)s must be a string.") % {"field": name})
    return value.replace("\x00", "")


def body_id(data: dict[str, Any], name: str) -> int | None:
    """Field ``name`` of a JSON body as a non-negative integer id; None when absent or null.

    Raises MinifluxError 400 for anything else (text, fractions, booleans, negatives).
    """
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ID:
        raise bad_request(_("%(field)s must be a positive integer.") % {"field": name})
    return value


def query_int(request: HttpRequest, name: str, default: int) -> int:
    """Query parameter ``name`` as an integer; ``default`` when absent or not a number.

    Miniflux reads numbers leniently (``request.QueryIntParam``): a value that does not
    parse counts as absent. Values beyond a bigint are clamped to its range.
    """
    raw = request.GET.get(name, "").strip()
    try:
        value = int(raw)
    except ValueError:
        return default
    return max(-MAX_ID, min(value, MAX_ID))


def query_bool(request: HttpRequest, name: str) -> bool | None:
    """Query parameter ``name`` as Go's ``strconv.ParseBool`` reads it; None when absent or
    not a boolean (``1 t T TRUE true True`` / ``0 f F FALSE false False``)."""
    raw = request.GET.get(name)
    if raw in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if raw in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    return None
