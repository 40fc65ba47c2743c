"""Fixtures of the REST API tests: clients for each way of authenticating.

``api`` is parametrised over the two ways the API is used: ``token`` (an
``Authorization: Bearer`` header, as third-party clients do) and ``session``
(the web UI: a session cookie, with CSRF checks enforced and the token sent in
``X-CSRFToken``). Tests that take ``api`` run once with each.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client

from accounts import services as account_services


@pytest.fixture(autouse=True)
def _fresh_throttles(settings):
    """Throttle history lives in the cache: start every test with none."""
    cache.clear()
    yield
    cache.clear()


class ApiClient:
    """A JSON client for /api/v1/ acting as ``user`` with ``mode`` = "token" or "session"."""

    def __init__(self, user: Any, mode: str) -> None:
        self.user = user
        self.mode = mode
        self.client = Client(enforce_csrf_checks=True)
        self.headers: dict[str, str] = {}
        if mode == "token":
            _token, raw = account_services.token_create(user=user, name="tests")
            self.headers["Authorization"] = f"Bearer {raw}"
        elif mode == "session":
            self.client.force_login(user)
            secret = _get_new_csrf_string()
            self.client.cookies["csrftoken"] = secret
            self.headers["X-CSRFToken"] = secret
        else:  # pragma: no cover
            raise ValueError(mode)

    def request(self, method: str, path: str, data: Any = None, **extra: Any):
        """Send ``data`` as JSON (or nothing); GET data becomes the query string."""
        method = method.lower()
        headers = {**self.headers, **extra.pop("headers", {})}
        if method == "get":
            return self.client.get(path, data or {}, headers=headers, **extra)
        body = json.dumps(data) if data is not None else ""
        fn = getattr(self.client, method)
        return fn(path, body, content_type="application/json", headers=headers, **extra)

    def get(self, path: str, data: Any = None, **extra: Any):
        """GET with ``data`` as query parameters."""
        return self.request("get", path, data, **extra)

    def post(self, path: str, data: Any = None, **extra: Any):
        """POST a JSON body."""
        return self.request("post", path, data, **extra)

    def patch(self, path: str, data: Any = None, **extra: Any):
        """PATCH a JSON body."""
        return self.request("patch", path, data, **extra)

    def delete(self, path: str, **extra: Any):
        """DELETE."""
        return self.request("delete", path, None, **extra)


@pytest.fixture(params=["token", "session"])
def api(request, alice) -> ApiClient:
    """Alice's API client, once with a bearer token and once with a CSRF-checked session."""
    return ApiClient(alice, request.param)


@pytest.fixture
def alice_api(alice) -> ApiClient:
    """Alice's bearer-token client."""
    return ApiClient(alice, "token")


@pytest.fixture
def bob_api(bob) -> ApiClient:
    """Bob's bearer-token client (Bob must never see Alice's objects)."""
    return ApiClient(bob, "token")


def assert_error(response, status: int, *fields: str) -> dict:
    """Assert ``response`` has the error ``status`` and shape; returns the body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str)
    assert isinstance(body["errors"], dict)
    for field in fields:
        assert field in body["errors"], body
    return body


NOT_FOUND = {"detail": "Not found.", "code": "not_found", "errors": {}}
