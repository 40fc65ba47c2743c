"""Property-based run of schemathesis over every /api/v1/ operation of the OpenAPI schema.

Positive examples generated from the schema (fixed seed, at most 20 per
operation) are sent in-process through the WSGI application as Alice (bearer
token) who owns some data. Every response must be non-5xx and conform to the
schema: documented status code, content type, headers and body.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, seed, settings

from accounts import services as account_services
from tests.api.seed import seed_reader_data


def _raw_schema() -> dict:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema, renderer_context={}))


schema = schemathesis.from_dict(_raw_schema(), app=WSGIHandler())


@pytest.fixture
def _keep_connection():
    """Like Django's test Client: requests must not close the test's database connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


class _EveryHostIsLoopback(dict):
    """FETCH_TEST_HOST_MAP answering 127.0.0.1 for every name: no DNS, every fetch refused."""

    def get(self, key, default=None):
        return "127.0.0.1"


@pytest.fixture
def alice_token(alice, settings, _keep_connection):
    """Alice's bearer token, with data to find, throttles out of the way, and no network.

    Generated URLs (subscribe, discover) resolve to loopback, which the SSRF guard refuses:
    the run never waits on DNS or a remote server.
    """
    settings.FETCH_TEST_HOST_MAP = _EveryHostIsLoopback()
    settings.FETCH_ALLOWED_HOSTS = []
    settings.FETCH_ALLOWED_NETWORKS = []
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(rates, "100000/minute"),
    }
    seed_reader_data(alice)
    _token, raw = account_services.token_create(user=alice, name="schemathesis")
    return raw


@pytest.mark.django_db
@schema.parametrize()
@seed(20261129)
@settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_conforms_to_its_schema_and_never_answers_5xx(case, alice_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {alice_token}"})
