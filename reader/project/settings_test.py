"""Settings for the test suite.

Backends, in order:

- ``TIDINGS_TEST_BACKEND=sqlite``: SQLite and the filesystem broker, even when PostgreSQL
  and Redis answer (a ``DATABASE_URL``/``REDIS_URL`` naming a server is ignored);
- ``DATABASE_URL`` / ``REDIS_URL`` when given; set but empty (``REDIS_URL=``) means "no
  server": SQLite, or the filesystem broker;
- otherwise PostgreSQL and Redis on their default local ports when reachable, with names
  unique to this checkout (``checkout_id``: a hash of its path): database
  ``tidings_<id>`` (pytest-django's test database ``test_tidings_<id>``) and Redis db 15
  with every key under ``REDIS_KEY_PREFIX=test-<id>:``, so two checkouts on one machine
  never touch each other's data;
- else SQLite and the filesystem broker in a temporary folder.

With CI=true a missing PostgreSQL or Redis is an error, never a fallback, unless
``TIDINGS_TEST_BACKEND=sqlite`` asks for it. Child processes (worker, live server) inherit
the chosen values through the environment. ``tests/conftest.py`` prints which backend ran.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import socket
import tempfile
from pathlib import Path

#: The checkout these settings belong to (reader/project/settings_test.py -> the checkout).
CHECKOUT_DIR = Path(__file__).resolve().parents[2]


def checkout_id(path: Path | str) -> str:
    """Eight hex digits naming the checkout at ``path`` (SHA-256 of its resolved path)."""
    return hashlib.sha256(str(Path(path).resolve()).encode()).hexdigest()[:8]


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


TEST_BACKEND = os.environ.get("TIDINGS_TEST_BACKEND", "").strip().lower()
if TEST_BACKEND not in ("", "sqlite"):
    raise RuntimeError(f"TIDINGS_TEST_BACKEND={TEST_BACKEND!r}: use sqlite or leave it unset")
_id = checkout_id(CHECKOUT_DIR)
if TEST_BACKEND == "sqlite":
    # Child processes get the test database as a sqlite:/// URL: keep that one.
    if not os.environ.get("DATABASE_URL", "").startswith("sqlite"):
        os.environ["DATABASE_URL"] = ""
    os.environ["REDIS_URL"] = ""
else:
    if "DATABASE_URL" not in os.environ and _reachable("127.0.0.1", 5432):
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/tidings_{_id}"
    if "REDIS_URL" not in os.environ and _reachable("127.0.0.1", 6379):
        os.environ["REDIS_URL"] = "redis://127.0.0.1:6379/15"
        os.environ.setdefault("REDIS_KEY_PREFIX", f"test-{_id}:")
    if os.environ.get("CI", "").lower() == "true":
        missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
        if missing:
            raise RuntimeError(
                f"CI must run on PostgreSQL and Redis; unset: {', '.join(missing)} "
                "(TIDINGS_TEST_BACKEND=sqlite forces the embedded backend)"
            )
os.environ.setdefault("TIDINGS_DEV", "1")
if not os.environ.get("TIDINGS_VAR_DIR"):
    # Child processes (worker, live server) inherit the variable and share the folder;
    # only the process that made it removes it.
    os.environ["TIDINGS_VAR_DIR"] = tempfile.mkdtemp(prefix="tidings-test-")
    atexit.register(shutil.rmtree, os.environ["TIDINGS_VAR_DIR"], ignore_errors=True)

from reader.project.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WHITENOISE_USE_FINDERS = True

if DATABASES["default"]["ENGINE"] == "reader.project.sqlite_backend":  # noqa: F405
    # Tests hold a transaction open while a live server's threads write: no process lock.
    DATABASES["default"]["ENGINE"] = "django.db.backends.sqlite3"  # noqa: F405
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file, not :memory:, so that child processes (worker, live server) share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
