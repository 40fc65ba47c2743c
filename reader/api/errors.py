"""One error shape for the whole REST API (/api/v1/).

Every error response of the API is a JSON object::

    {"detail": "<readable message>", "errors": {"<field>": ["<message>", ...]}}

``errors`` is always present (empty for errors that are not about fields);
nested field errors are flattened to dotted keys (``"ids.3"``), and errors that
concern the whole body are under ``"non_field_errors"``. A few errors add one
extra key documented on their endpoint (``candidates`` on a subscription URL
that is not a feed, ``subscription_id`` on a duplicate subscription).

Statuses: 400 bad input (including unparsable bodies, which DRF reports as a
ParseError and Django as a SuspiciousOperation), 401 (with ``WWW-Authenticate``),
403 (CSRF failure on session writes), 404 (unknown *or foreign* id: the body is
the same, ``{"detail": "Not found.", "errors": {}}``), 405, 409, 413, 415 and
429 (with ``Retry-After``, in seconds). Unexpected exceptions still produce a
500 so that bugs are not hidden; input never should.
"""

from __future__ import annotations

from typing import Any

from django.core import exceptions as django_exceptions
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

NOT_FOUND_DETAIL = "Not found."


class Conflict(exceptions.APIException):
    """409: the request conflicts with existing state (for example a duplicate subscription)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


class PayloadTooLarge(exceptions.APIException):
    """413: the request body (or uploaded file) is larger than the endpoint accepts."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class ApiError(exceptions.APIException):
    """An error with a chosen status, field errors and extra top-level keys.

    ``ApiError(status=400, detail="...", errors={"url": ["..."]}, extra={"candidates": [...]})``
    renders as ``{"detail": ..., "errors": {...}, **extra}``.
    """

    def __init__(
        self,
        *,
        status_code: int,
        detail: str,
        errors: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail=detail)
        self.status_code = status_code
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


def _translate(exc: Exception) -> Exception:
    """Map Django and service exceptions onto DRF exceptions of the right status."""
    if isinstance(exc, Http404):
        return exceptions.NotFound(NOT_FOUND_DETAIL)
    if isinstance(exc, django_exceptions.RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, django_exceptions.SuspiciousOperation):
        # TooManyFieldsSent, TooManyFilesSent, malformed multipart boundaries...
        return exceptions.ParseError("The request body could not be parsed.")
    if isinstance(exc, django_exceptions.ValidationError):
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError(exc.message_dict)
        return exceptions.ValidationError({"non_field_errors": exc.messages})
    if isinstance(exc, UnicodeDecodeError):
        return exceptions.ParseError("The request is not valid UTF-8.")
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
        return {"detail": str(exc.detail), "errors": exc.field_errors, **exc.extra}
    if isinstance(exc, exceptions.NotFound):
        return {"detail": NOT_FOUND_DETAIL, "errors": {}}
    if isinstance(exc, exceptions.ValidationError):
        return {"detail": "Invalid input.", "errors": flatten_errors(data)}
    if isinstance(data, dict) and "detail" in data:
        return {"detail": str(data["detail"]), "errors": {}}
    return {"detail": "Error.", "errors": flatten_errors(data)}


def not_found_view(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Catch-all for unknown paths under /api/v1/: the same 404 body as an unknown id."""
    return JsonResponse({"detail": NOT_FOUND_DETAIL, "errors": {}}, status=404)
