"""A small Tiny Tiny RSS API client for the tests: JSON bodies over real HTTP."""

from __future__ import annotations

from dataclasses import dataclass

import requests

from tests.compat.conftest import PASSWORD


@dataclass
class Ttrss:
    """Calls ``<base><path>`` as apps do: POST, a JSON object with ``op`` (and ``sid``)."""

    base: str
    path: str = "/api/"
    sid: str | None = None

    def post(self, body: object, expect_status: int = 200) -> dict:
        """POST ``body`` as JSON; returns the decoded reply after checking its envelope."""
        response = requests.post(f"{self.base}{self.path}", json=body, timeout=20)
        assert response.status_code == expect_status, (response.status_code, response.text)
        data = response.json()
        assert set(data) == {"seq", "status", "content"}, data
        return data

    def call(self, op: str, **params) -> dict:
        """Call ``op`` with this client's session; returns the whole reply."""
        body = {"op": op, **params}
        if self.sid is not None:
            body.setdefault("sid", self.sid)
        return self.post(body)

    def ok(self, op: str, **params):
        """Call ``op`` and return its content, failing the test on an API error."""
        data = self.call(op, **params)
        assert data["status"] == 0, (op, params, data)
        return data["content"]

    def error(self, op: str, **params) -> str:
        """Call ``op`` expecting an API error; returns its code."""
        data = self.call(op, **params)
        assert data["status"] == 1, (op, params, data)
        return data["content"]["error"]

    def login(self, username: str, password: str | None = None) -> str:
        """Sign in with the client password; keeps and returns the session id."""
        content = self.ok("login", user=username, password=password or PASSWORD[username])
        self.sid = content["session_id"]
        return self.sid
