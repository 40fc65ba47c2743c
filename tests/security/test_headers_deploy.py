"""Production settings: ``check --deploy`` is clean and responses carry the security headers.

Runs in child processes on ``reader.project.settings`` (not the test settings) with a
production-like environment: a real SECRET_KEY, DEBUG=0, TIDINGS_DEV=0 and the HSTS/SSL
variables an operator sets behind TLS (README, configuration). Headers checked:
Strict-Transport-Security, X-Content-Type-Options, Referrer-Policy, X-Frame-Options and CSP
frame-ancestors, the CSP of the web UI, Cross-Origin-Opener-Policy; cookies: session Secure +
HttpOnly + SameSite=Lax, CSRF Secure; plain HTTP is redirected to HTTPS.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.django_db(transaction=True)

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "reader.project.settings",
    "DEBUG": "0",
    "TIDINGS_DEV": "0",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "SECURE_SSL_REDIRECT": "1",
    "ALLOWED_HOSTS": "tidings.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://tidings.example.org",
}

PROBE = r"""
import json, django
django.setup()
from django.test import Client
c = Client(HTTP_HOST="tidings.example.org", REMOTE_ADDR="203.0.113.5")  # a visitor
plain = c.get("/healthz")
r = c.get("/healthz", secure=True)
from django.contrib.auth import authenticate
assert authenticate(username="alice", password="alice-pass-123"), "bad credentials"
login = c.post("/accounts/login/", {"username": "alice", "password": "alice-pass-123"},
               secure=True)
morsel = lambda name: {k: v for k, v in login.cookies[name].items() if v} | {"set": True} \
    if name in login.cookies else {}
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location", "")],
    "headers": {k.lower(): v for k, v in r.headers.items()},
    "login": login.status_code,
    "session": morsel("sessionid"),
    "csrf": morsel("csrftoken"),
}))
"""


@pytest.fixture
def production_env(project_env):
    env = {**project_env, **PRODUCTION, "SECRET_KEY": secrets.token_urlsafe(50)}
    return env


def test_manage_check_deploy_passes_at_warning_level(production_env):
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=production_env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_production_refuses_the_development_secret_key(project_env):
    env = {**project_env, **PRODUCTION}
    env.pop("SECRET_KEY", None)
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0 and "SECRET_KEY" in done.stderr


def test_production_responses_carry_the_security_headers_and_secure_cookies(production_env, alice):
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    hasher = PBKDF2PasswordHasher()  # the production hasher (the tests use a fast one)
    alice.password = hasher.encode("alice-pass-123", hasher.salt())
    alice.save(update_fields=["password"])
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT, env=production_env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    status, location = seen["plain"]
    assert status == 301 and location.startswith("https://tidings.example.org/")
    headers = seen["headers"]
    hsts = headers["strict-transport-security"]
    assert "max-age=31536000" in hsts and "includeSubDomains" in hsts and "preload" in hsts
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] in (
        "same-origin",
        "strict-origin-when-cross-origin",
        "no-referrer",
    )
    assert headers["x-frame-options"] == "DENY"
    csp = headers["content-security-policy"]
    for directive in ("frame-ancestors 'none'", "object-src 'none'", "script-src 'self'",
                      "base-uri 'self'", "form-action 'self'"):  # fmt: skip
        assert directive in csp, (directive, csp)
    assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert headers.get("cross-origin-opener-policy") == "same-origin"
    assert seen["login"] == 302
    session = seen["session"]
    assert session.get("secure") and session.get("httponly"), session
    assert session.get("samesite", "").lower() in ("lax", "strict"), session
    assert seen["csrf"].get("secure"), seen["csrf"]


def readme_production_variables() -> dict[str, str]:
    """The variables of the README's production ``docker/.env`` recipe (``printf '...'``),
    with a fresh SECRET_KEY for its ``%s``."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"printf '((?:[A-Z_]+=[^'\\]*\\n)+)'", readme)
    assert match, "the README has no production .env recipe"
    pairs = (line.split("=", 1) for line in match.group(1).split("\\n") if line)
    return {name: value.replace("%s", secrets.token_urlsafe(50)) for name, value in pairs}


@pytest.fixture
def readme_env(project_env):
    """The environment of the README's Docker deployment: its .env and compose's DEBUG=0."""
    env = {
        k: v
        for k, v in project_env.items()
        if not k.startswith(("SECURE_", "SESSION_", "CSRF_", "USE_X_"))
        and k not in ("DEBUG", "TIDINGS_DEV", "ALLOWED_HOSTS", "SITE_URL")
    }
    variables = readme_production_variables()
    assert set(variables) == {"SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "SITE_URL"}
    assert variables["SITE_URL"].startswith("https://")
    return {**env, **variables, "DJANGO_SETTINGS_MODULE": "reader.project.settings", "DEBUG": "0"}


def test_check_deploy_passes_with_only_the_readme_production_variables(readme_env):
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=readme_env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_an_https_site_url_turns_the_secure_defaults_on_and_each_can_be_turned_off(
    readme_env, alice
):
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    hasher = PBKDF2PasswordHasher()  # the production hasher (the tests use a fast one)
    alice.password = hasher.encode("alice-pass-123", hasher.salt())
    alice.save(update_fields=["password"])
    host = readme_env["ALLOWED_HOSTS"]
    probe = PROBE.replace("tidings.example.org", host)
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT, env=readme_env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["plain"][0] == 301 and seen["plain"][1].startswith(f"https://{host}/")
    hsts = seen["headers"]["strict-transport-security"]
    assert "max-age=31536000" in hsts and "includeSubDomains" in hsts and "preload" in hsts
    assert seen["login"] == 302
    assert seen["session"].get("secure") and seen["csrf"].get("secure")

    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
        "s.SECURE_HSTS_PRELOAD, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_PROXY_SSL_HEADER]))"
    )

    def values(**overrides: str) -> list:
        env = {**readme_env, **overrides}
        out = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        return json.loads(out.stdout.strip().splitlines()[-1])

    assert values() == [True, 31536000, True, True, True, ["HTTP_X_FORWARDED_PROTO", "https"]]
    off = values(
        SECURE_SSL_REDIRECT="0", SECURE_HSTS_SECONDS="0", SECURE_HSTS_PRELOAD="0",
        SESSION_COOKIE_SECURE="0", CSRF_COOKIE_SECURE="0", USE_X_FORWARDED_PROTO="0",
    )  # fmt: skip
    assert off == [False, 0, False, False, False, None]
    plain_http = values(SITE_URL="http://reader.example.org")
    assert plain_http[:3] == [False, 0, False]
