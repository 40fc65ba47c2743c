"""OpenAPI (drf-spectacular) glue for /api/v1/: error responses, auth schemes, hooks.

* ``ApiAutoSchema`` adds the standard error responses (shape of
  ``reader.api.errors``) to every operation: 401 and 429 everywhere, 400 on
  operations with a body or query parameters, 403 on writes (CSRF), 404 on
  item routes, 413/415 where a body is accepted; ``Retry-After`` and
  ``WWW-Authenticate`` response headers are described.
* Authentication extensions describe the three schemes the API accepts:
  ``Authorization: Bearer <token>``, HTTP Basic with the client password, and
  the session cookie (with ``X-CSRFToken`` on writes).
* ``only_api_v1`` is a preprocessing hook that keeps the schema to /api/v1/
  (the Google Reader and Fever compatibility APIs are not REST resources).
"""

from __future__ import annotations

from typing import Any

from csp.decorators import csp_update
from django.conf import settings
from django.utils.decorators import method_decorator
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularSwaggerSplitView,
    SpectacularSwaggerView,
)
from rest_framework import serializers

API_PREFIX = "/api/v1/"


class ErrorSerializer(serializers.Serializer):
    """The body of every error: ``{"detail": str, "errors": {field: [str]}}``."""

    detail = serializers.CharField(help_text="Readable message.")
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `not_found`.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per field (dotted path for nested fields); empty when none.",
    )


_ERROR_EXAMPLES: dict[str, tuple[str, dict[str, Any]]] = {
    "400": (
        "Invalid input (the body or a query parameter failed validation or could not be parsed).",
        {
            "code": "invalid",
            "detail": "Invalid input.",
            "errors": {"title": ["This field is required."]},
        },
    ),
    "401": (
        "Not authenticated: send `Authorization: Bearer <token>`, HTTP Basic with the client "
        "password, or a session cookie. The `WWW-Authenticate` header names the scheme.",
        {
            "code": "not_authenticated",
            "detail": "Authentication credentials were not provided.",
            "errors": {},
        },
    ),
    "403": (
        "Forbidden: a session-authenticated write without a valid CSRF token.",
        {"code": "permission_denied", "detail": "CSRF Failed: CSRF token missing.", "errors": {}},
    ),
    "404": (
        "Not found: the id is unknown or belongs to another user (same body either way).",
        {"code": "not_found", "detail": "Not found.", "errors": {}},
    ),
    "405": (
        "Method not allowed.",
        {"code": "method_not_allowed", "detail": 'Method "GET" not allowed.', "errors": {}},
    ),
    "409": (
        "Conflict with existing state.",
        {
            "code": "subscription_exists",
            "detail": "You already follow this feed.",
            "errors": {},
            "subscription_id": 12,
        },
    ),
    "413": (
        "The body or uploaded file is too large.",
        {"code": "payload_too_large", "detail": "The request body is too large.", "errors": {}},
    ),
    "415": (
        "Unsupported media type of the body.",
        {
            "code": "unsupported_media_type",
            "detail": 'Unsupported media type "text/plain" in request.',
            "errors": {},
        },
    ),
    "429": (
        "Throttled: too many writes or refreshes; retry after `Retry-After` seconds.",
        {
            "code": "throttled",
            "detail": "Request was throttled. Expected available in 42 seconds.",
            "errors": {},
        },
    ),
}


def error_response(
    code: int | str, description: str = "", example: dict[str, Any] | None = None
) -> OpenApiResponse:
    """An OpenAPI response of the error shape for ``code`` with a description and an example."""
    default_description, default_example = _ERROR_EXAMPLES.get(str(code), ("Error.", {}))
    example = example or default_example
    return OpenApiResponse(
        ErrorSerializer,
        description=description or default_description,
        examples=[OpenApiExample(f"Error {code}", value=example, status_codes=[str(code)])]
        if example
        else [],
    )


_SUCCESS_DESCRIPTIONS = {
    "200": "Success.",
    "201": "Created.",
    "202": "Accepted: the work goes on in the background.",
    "204": "Done; no body.",
}
_WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


_ID_PARAMETER = OpenApiParameter(
    "id",
    {"type": "integer", "format": "int64", "minimum": 1},
    OpenApiParameter.PATH,
    description="Id of one of your objects. Unknown ids and other users' ids are the same 404.",
)


class ApiAutoSchema(AutoSchema):
    """AutoSchema that documents the standard error responses and headers of every operation."""

    def get_override_parameters(self) -> list:
        """Describe the ``{id}`` path parameter of item routes (unless a view did)."""
        params = super().get_override_parameters()
        named = {getattr(p, "name", None) for p in params}
        if "{id}" in self.path and "id" not in named:
            params = [*params, _ID_PARAMETER]
        return params

    def _standard_error_codes(self) -> list[str]:
        codes = ["401", "429"]
        has_body = self.method in {"POST", "PUT", "PATCH"}
        has_query = bool(getattr(self.view, "query_serializer_class", None))
        if has_body or has_query or self.method in _WRITE_METHODS:
            codes.append("400")
        if self.method in _WRITE_METHODS:
            codes.append("403")
        if "{" in self.path or getattr(self.view, "references_ids", False):
            codes.append("404")
        if has_body:
            codes += ["413", "415"]
        if self._is_anonymous_allowed():
            codes.remove("401")
        return codes

    def _is_anonymous_allowed(self) -> bool:
        return not self.view.get_permissions() if hasattr(self.view, "get_permissions") else True

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code, response in responses.items():
            if not response.get("description"):
                response["description"] = _SUCCESS_DESCRIPTIONS.get(code, "Success.")
        for code in self._standard_error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(error_response(code), code)
        return dict(sorted(responses.items()))

    def _get_response_headers_for_code(self, status_code: str, direction: str = "response"):
        headers = super()._get_response_headers_for_code(status_code, direction)
        if str(status_code) == "429":
            headers["Retry-After"] = {
                "schema": build_basic_type(OpenApiTypes.INT),
                "description": "Seconds to wait before retrying.",
            }
        if str(status_code) == "401":
            headers["WWW-Authenticate"] = {
                "schema": build_basic_type(OpenApiTypes.STR),
                "description": 'The expected scheme, e.g. `Bearer realm="api"`.',
            }
        return headers


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """``Authorization: Bearer <token>`` with a personal API token (see /api/v1/tokens/)."""

    target_class = "accounts.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        """HTTP bearer scheme."""
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token created at /api/v1/tokens/ or in the settings.",
        }


class ClientPasswordBasicScheme(OpenApiAuthenticationExtension):
    """HTTP Basic with the username and the *client password* (not the login password)."""

    target_class = "accounts.authentication.ClientPasswordBasicAuthentication"
    name = "clientPasswordBasicAuth"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        """HTTP basic scheme."""
        return {
            "type": "http",
            "scheme": "basic",
            "description": "Username and the client password set in the settings (for scripts).",
        }


class CsrfSessionScheme(OpenApiAuthenticationExtension):
    """The web UI's session cookie; writes also need the ``X-CSRFToken`` header."""

    target_class = "rest_framework.authentication.SessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        """API key in the session cookie."""
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": "Session of the web UI. Writes must send the CSRF token in "
            "`X-CSRFToken` (double-submit of the `csrftoken` cookie).",
        }


def only_api_v1(endpoints: list[tuple[str, str, str, Any]]) -> list[tuple[str, str, str, Any]]:
    """drf-spectacular PREPROCESSING_HOOK: keep only the endpoints under /api/v1/."""
    return [
        (path, path_regex, method, callback)
        for path, path_regex, method, callback in endpoints
        if path.startswith(API_PREFIX) and not _is_docs_view(callback)
    ]


def _is_docs_view(callback: Any) -> bool:
    cls = getattr(callback, "cls", None)
    return isinstance(cls, type) and issubclass(cls, SpectacularAPIView | SpectacularSwaggerView)


@method_decorator(csp_update({"style-src": ["'unsafe-inline'"]}), name="get")
class DocsView(SpectacularSwaggerSplitView):
    """Interactive docs (Swagger UI) at /api/v1/docs/, files from drf-spectacular-sidecar.

    The split view serves its init script from the same URL, so the page keeps
    the site's ``script-src 'self'``; only inline styles are allowed here.
    """
