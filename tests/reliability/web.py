"""HTTP clients of a live Tidings server (gunicorn child) for the fault tests."""

from __future__ import annotations

import re

import requests


class Browser:
    """A signed-in session (cookie + CSRF token), as the web UI uses the site and the API."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.http = requests.Session()

    def login(self, username: str, password: str) -> requests.Response:
        """Sign in through the login form; raises when the form does not redirect."""
        page = self.http.get(f"{self.base}/accounts/login/", timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        response = self.http.post(
            f"{self.base}/accounts/login/",
            data={"csrfmiddlewaretoken": token, "username": username, "password": password},
            headers={"Referer": f"{self.base}/accounts/login/"},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 302, response.text[:2000]
        return response

    @property
    def csrf(self) -> str:
        return self.http.cookies.get("csrftoken", "")

    def get(self, path: str, **kw) -> requests.Response:
        return self.http.get(self.base + path, timeout=kw.pop("timeout", 15), **kw)

    def post_form(self, path: str, data: dict, **kw) -> requests.Response:
        """POST a page form with the CSRF token, as the browser would."""
        return self.http.post(
            self.base + path,
            data={"csrfmiddlewaretoken": self.csrf, **data},
            headers={"Referer": self.base + path},
            allow_redirects=False,
            timeout=kw.pop("timeout", 15),
            **kw,
        )

    def post_json(self, path: str, body: dict, **kw) -> requests.Response:
        """POST JSON to the API with the session cookie and X-CSRFToken (as the UI's script)."""
        return self.http.post(
            self.base + path,
            json=body,
            headers={"X-CSRFToken": self.csrf, "Referer": self.base + "/reader/"},
            timeout=kw.pop("timeout", 15),
            **kw,
        )


class TokenClient:
    """A third-party client of /api/v1/ with a bearer token."""

    def __init__(self, base: str, token: str) -> None:
        self.base = base.rstrip("/")
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **kw) -> requests.Response:
        return self.http.get(self.base + path, timeout=kw.pop("timeout", 15), **kw)

    def post(self, path: str, body: dict, **kw) -> requests.Response:
        return self.http.post(self.base + path, json=body, timeout=kw.pop("timeout", 15), **kw)
