"""Shared fixtures: the standing cast of users, paths to ../shared, backend report."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def pytest_report_header(config):
    db = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    broker = "redis" if settings.REDIS_URL else "filesystem (serverless)"
    skipped = []
    if db != "postgresql":
        skipped.append("PostgreSQL-only tests")
    if not settings.REDIS_URL:
        skipped.append("Redis-only tests")
    if not SHARED.is_dir():
        skipped.append("../shared corpus and cases")
    line = f"tidings backend: database={db}, broker={broker}"
    line += (
        f"; skipped: {', '.join(skipped)}" if skipped else "; nothing skipped for lack of a backend"
    )
    return line


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """Each test starts in the default language: a request served in-process by the test
    client activates the user's language in this thread (as every request does), and a
    later test calling code directly must not inherit it."""
    yield
    translation.deactivate()


def shared_path(*parts: str) -> Path:
    """Path under ../shared; skips the calling test with a clear reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared is absent ({path} not found): shared corpus/cases tests skipped")
    return path


requires_postgres = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="needs PostgreSQL (none given or on 127.0.0.1:5432, or TIDINGS_TEST_BACKEND=sqlite)",
)
requires_redis = pytest.mark.skipif(
    not settings.REDIS_URL,
    reason="needs Redis (none given or on 127.0.0.1:6379, or REDIS_URL= or a forced SQLite)",
)


@pytest.fixture
def alice(db):
    """Alice owns things in most tests (password ``alice-pass-123``)."""
    return UserFactory(username="alice", password="alice-pass-123")


@pytest.fixture
def bob(db):
    """Bob must never see Alice's objects (password ``bob-pass-123``)."""
    return UserFactory(username="bob", password="bob-pass-123")


@pytest.fixture
def charlie(db):
    """Charlie has an account and nothing else: no access to anything of Alice's or Bob's
    (password ``charlie-pass-123``)."""
    return UserFactory(username="charlie", password="charlie-pass-123")


def child_database_url() -> str:
    """DATABASE_URL of the test database, for child processes (worker, server)."""
    from django.db import connection

    params = connection.settings_dict
    if connection.vendor == "postgresql":
        user = params.get("USER") or "postgres"
        host = params.get("HOST") or "127.0.0.1"
        port = params.get("PORT") or 5432
        return f"postgres://{user}@{host}:{port}/{params['NAME']}"
    return f"sqlite:///{params['NAME']}"


@pytest.fixture
def project_env():
    """Environment for child processes (worker, beat, server) on the test database.

    Use with ``django_db(transaction=True)`` so that children see committed rows.
    """
    env = dict(os.environ)
    # The browser tests relax Django's async guard in this process only; children are
    # real deployments of the app and keep it (check --deploy refuses the variable).
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env["DJANGO_SETTINGS_MODULE"] = "reader.project.settings_test"
    env["PYTHONPATH"] = str(ROOT)
    env["DATABASE_URL"] = child_database_url()
    return env


@pytest.fixture
def feed_server(settings):
    """The loopback feed server (tests/feedserver.py), started for one test.

    The fetch guard's test resolver maps the example host names (``feeds.example.org``...) to it
    and allows them by name only, so ``fetch(feed_server.url("/x.xml"))`` works while IP literals
    and ``internal-alias.example.net`` stay blocked (cases/README.md "Hosts").
    """
    from tests.feedserver import FeedServer

    with FeedServer() as server:
        server.configure(settings)
        yield server
