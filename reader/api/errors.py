"""One error shape for the whole REST API (/api/v1/).

Every error response of the API is a JSON object::

    {"detail": "<readable message>", "code": "<machine code>",
     "errors": {"<field>": ["<message>", ...]}}

``code`` is a stable snake_case word (``invalid``, ``parse_error``,
``not_authenticated``, ``authentication_failed``, ``permission_denied``,
``not_found``, ``method_not_allowed``, ``unsupported_media_type``,
``throttled``, ``payload_too_large``, ``subscription_exists``,
``category_exists``, ``discovery_choice``, ``feed_not_found``,
``feed_unreachable``, ``invalid_url``, ``opml_invalid``...). ``errors`` is
always present (empty for errors that are not about fields); nested field
errors are flattened to dotted keys (``"ids.3"``), and errors that concern the
whole body are under ``"non_field_errors"``. A few errors add one
extra key documented on their endpoint (``candidates`` on a subscription URL
that is not a feed, ``subscription_id`` on a duplicate subscription).

Statuses: 400 bad input (including unparsable bodies, which DRF reports as a
ParseError and Django as a SuspiciousOperation), 401 (with ``WWW-Authenticate``),
403 (CSRF failure on session writes), 404 (unknown *or foreign* id: the body is
the same, ``{"detail": "Not found.", "code": "not_found", "errors": {}}``),
405, 409, 413, 415 and 429 (with ``Retry-After``, in seconds). Unexpected exceptions still produce a
500 so that bugs are not hidden; input never should.

Language: ``code`` never changes; ``detail`` and the field messages are in the language of
the request: the user's saved preference (``User.language``, also for token and
client-password requests, see ``reader.api.base.ApiView``), else ``Accept-Language``
(Django's ``LocaleMiddleware``), else English. Messages are translated with gettext
(``locale/zh_Hans/LC_MESSAGES/django.po``, plus DRF's own catalogue for its messages).
"""

from __future__ import annotations

from typing import Any

from django.core import exceptions as django_exceptions
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from reader.errors import (
    CategoryExists,
    DiscoveryChoice,
    OpmlTooLarge,
    ReaderError,
    SubscriptionExists,
)

NOT_FOUND_DETAIL = gettext_lazy("Not found.")
INVALID_INPUT_DETAIL = gettext_lazy("Invalid input.")
_JSON_PARSE_ERROR = "JSON parse error - "


def not_found_body() -> dict[str, Any]:
    """The body of every API 404, ``detail`` in the active language."""
    return {"detail": str(NOT_FOUND_DETAIL), "code": "not_found", "errors": {}}


class PayloadTooLarge(exceptions.APIException):
    """413: the request body (or uploaded file) is larger than the endpoint accepts."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "payload_too_large"


class ApiError(exceptions.APIException):
    """An error with a chosen status, field errors and extra top-level keys.

    ``ApiError(status_code=400, detail="...", code="x", errors={"url": ["..."]}, extra={...})``
    renders as ``{"detail": ..., "code": "x", "errors": {...}, **extra}``.
    """

    def __init__(
        self,
        *,
        status_code: int,
        detail: str,
        code: str = "invalid",
        errors: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail=detail, code=code)
        self.status_code = status_code
        self.code = code
        self.field_errors = errors or {}
        self.extra = extra or {}


def flatten_errors(data: Any, prefix: str = "") -> dict[str, list[str]]:
    """Flatten DRF's nested ``ValidationError.detail`` into ``{"a.b": ["msg", ...]}``.

    A bare list at the top level (errors of the whole body) goes under
    ``non_field_errors``; list indexes become path components (``ids.3``).
    """
    key = prefix or "non_field_errors"
    if isinstance(data, dict):
        flat: dict[str, list[str]] = {}
        for name, value in data.items():
            flat.update(flatten_errors(value, f"{prefix}.{name}" if prefix else str(name)))
        return flat
    if isinstance(data, list):
        if all(not isinstance(item, dict | list) for item in data):
            return {key: [str(item) for item in data]}
        flat = {}
        for index, item in enumerate(data):
            if isinstance(item, dict | list):
                flat.update(flatten_errors(item, f"{prefix}.{index}" if prefix else str(index)))
            else:
                flat.setdefault(key, []).append(str(item))
        return flat
    return {key: [str(data)]}


# Field that a reading-service error is about, when the view did not say.
_READER_ERROR_FIELDS = {
    "invalid_url": "url",
    "feed_not_found": "url",
    "feed_unreachable": "url",
    "discovery_choice": "url",
    "opml_invalid": "file",
}


def reader_error(exc: ReaderError, *, field: str | None = None) -> ApiError:
    """The API error for a reading-service error (reader.errors): 409, 413 or 400.

    ``SubscriptionExists`` adds ``subscription_id``, ``CategoryExists``
    ``category_id``, ``DiscoveryChoice`` the ``candidates`` (url, title, type).
    """
    field = field or _READER_ERROR_FIELDS.get(exc.code, "non_field_errors")
    errors = {field: [exc.message]}
    if isinstance(exc, SubscriptionExists):
        extra = {"subscription_id": exc.subscription.pk}
        return ApiError(status_code=409, detail=exc.message, code=exc.code, extra=extra)
    if isinstance(exc, CategoryExists):
        extra = {"category_id": exc.category.pk}
        return ApiError(
            status_code=409,
            detail=exc.message,
            code=exc.code,
            errors={"title": [exc.message]},
            extra=extra,
        )
    if isinstance(exc, OpmlTooLarge):
        return ApiError(status_code=413, detail=exc.message, code=exc.code)
    if isinstance(exc, DiscoveryChoice):
        extra = {"candidates": [candidate_dict(c) for c in exc.candidates]}
        return ApiError(
            status_code=400, detail=exc.message, code=exc.code, errors=errors, extra=extra
        )
    return ApiError(status_code=400, detail=exc.message, code=exc.code, errors=errors)


def candidate_dict(candidate: Any) -> dict[str, str]:
    """A discovery candidate (FeedCandidate or mapping) as ``{"url", "title", "type"}``."""
    get = candidate.get if isinstance(candidate, dict) else lambda k: getattr(candidate, k, "")
    return {
        "url": str(get("url") or ""),
        "title": str(get("title") or ""),
        "type": str(get("type") or ""),
    }


def _translate(exc: Exception) -> Exception:
    """Map Django and service exceptions onto DRF exceptions of the right status."""
    if isinstance(exc, ReaderError):
        return reader_error(exc)
    if isinstance(exc, Http404):
        return exceptions.NotFound(NOT_FOUND_DETAIL)
    if isinstance(exc, django_exceptions.RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, django_exceptions.SuspiciousOperation):
        # TooManyFieldsSent, TooManyFilesSent, malformed multipart boundaries...
        return exceptions.ParseError(gettext_lazy("The request body could not be parsed."))
    if isinstance(exc, django_exceptions.ValidationError):
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError(exc.message_dict)
        return exceptions.ValidationError({"non_field_errors": exc.messages})
    if isinstance(exc, UnicodeDecodeError):
        return exceptions.ParseError(gettext_lazy("The request is not valid UTF-8."))
    return exc


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF ``EXCEPTION_HANDLER``: DRF's handler, then the stable ``{detail, errors}`` shape.

    Returns None (a 500) only for exceptions that are not about the request.
    """
    exc = _translate(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    response.data = error_body(exc, response.data)
    return response


def error_body(exc: Exception, data: Any) -> dict[str, Any]:
    """The JSON body for ``exc`` given what DRF's handler produced in ``data``."""
    if isinstance(exc, ApiError):
        body = {"detail": str(exc.detail), "code": exc.code, "errors": exc.field_errors}
        return {**body, **exc.extra}
    if isinstance(exc, exceptions.NotFound):
        return not_found_body()
    code = getattr(exc, "default_code", "error")
    if isinstance(exc, exceptions.ValidationError):
        body = {"detail": str(INVALID_INPUT_DETAIL), "code": "invalid"}
        return {**body, "errors": flatten_errors(data)}
    if isinstance(exc, exceptions.ParseError) and str(exc.detail).startswith(_JSON_PARSE_ERROR):
        # DRF's JSONParser words this itself, untranslated: "JSON parse error - <reason>".
        reason = str(exc.detail)[len(_JSON_PARSE_ERROR) :]
        detail = gettext_lazy("JSON parse error - %(reason)s") % {"reason": reason}
        return {"detail": str(detail), "code": code, "errors": {}}
    if isinstance(data, dict) and "detail" in data:
        return {"detail": str(data["detail"]), "code": code, "errors": {}}
    return {"detail": str(gettext_lazy("Error.")), "code": code, "errors": flatten_errors(data)}


@csrf_exempt  # it changes nothing; a CSRF failure page must not hide the 404
def not_found_view(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Catch-all for unknown paths under /api/v1/: the same 404 body as an unknown id."""
    return JsonResponse(not_found_body(), status=404)
