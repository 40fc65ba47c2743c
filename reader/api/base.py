"""Base class, throttles and common fields of the /api/v1/ views.

Every view of the REST API derives from ``ApiView``: JSON in and out (the OPML
upload adds multipart), authentication from ``REST_FRAMEWORK`` (bearer token,
client-password Basic, session with CSRF), ``IsAuthenticated``, and a per-user
throttle on writes. Views only parse input with an input serializer, call one
service or selector with ``user=request.user`` and shape the output with an
output serializer.

Language: the user's saved ``language`` is activated as soon as DRF has authenticated
the request (tokens and client passwords are only known inside the view, after Django's
middleware ran), so messages of validation, services and throttling follow it; without
one, ``Accept-Language`` (Django's ``LocaleMiddleware``) decides.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.utils import translation
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.permissions import SAFE_METHODS, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from reader.api.schema import ApiAutoSchema
from reader.user_language import user_language

# Largest value of a PostgreSQL bigint: ids beyond it can name no row.
MAX_ID = 2**63 - 1


class _SettingsRateMixin:
    """Read the rate from REST_FRAMEWORK at request time (so tests may override settings)."""

    scope: str

    def get_rate(self) -> str | None:
        """The ``"N/period"`` rate of this scope in ``DEFAULT_THROTTLE_RATES``."""
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class WriteThrottle(_SettingsRateMixin, UserRateThrottle):
    """Per-user limit on writes (POST/PUT/PATCH/DELETE), scope ``api_write``; reads are free."""

    scope = "api_write"

    def allow_request(self, request: Request, view: APIView) -> bool:
        """Count only unsafe methods."""
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)


class RefreshThrottle(_SettingsRateMixin, UserRateThrottle):
    """Per-user limit on "refresh now" and discovery (outbound fetches), scope ``api_refresh``."""

    scope = "api_refresh"


class ApiView(APIView):
    """Base of every /api/v1/ view: JSON, authenticated, write-throttled, documented errors."""

    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]
    permission_classes = [IsAuthenticated]
    throttle_classes = [WriteThrottle]
    schema = ApiAutoSchema()
    #: Serializer validating the query string (documented by ApiAutoSchema as a 400 source).
    query_serializer_class: type[serializers.Serializer] | None = None
    #: True when the query or body names ids of the user's objects (documents the 404).
    references_ids = False

    def perform_authentication(self, request: Request) -> None:
        """Authenticate (DRF), then activate the user's saved language, if any, for the rest
        of the request (``reader.user_language.user_language``)."""
        super().perform_authentication(request)
        language = user_language(request.user)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()

    def query_params(self) -> dict[str, Any]:
        """Validated query parameters (400 with field errors when invalid)."""
        assert self.query_serializer_class is not None
        ser = self.query_serializer_class(data=self.request.query_params)
        ser.is_valid(raise_exception=True)
        return ser.validated_data

    @staticmethod
    def body(serializer_class: type[serializers.Serializer], data: Any, **kw: Any) -> dict:
        """Validate ``data`` with ``serializer_class``; returns validated_data or raises 400."""
        ser = serializer_class(data=data, **kw)
        ser.is_valid(raise_exception=True)
        return ser.validated_data


def id_field(**kwargs: Any) -> serializers.IntegerField:
    """An integer id field bounded to PostgreSQL's bigint (larger ids cannot exist)."""
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class IdConverter:
    """URL converter ``<id:pk>``: 1 to 18 digits (always a valid bigint), to int."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        """The id as an int."""
        return int(value)

    def to_url(self, value: int) -> str:
        """The id as a string."""
        return str(value)


class UtcDateTimeField(serializers.DateTimeField):
    """ISO 8601 timestamp, always in UTC (``...Z``), whatever the user's active time zone.

    Input without an offset is taken as UTC.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("default_timezone", UTC)
        super().__init__(**kwargs)
