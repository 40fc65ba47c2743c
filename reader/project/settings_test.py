"""Settings for the test suite.

Tests use DATABASE_URL and REDIS_URL when set. When unset they use PostgreSQL
and Redis on their default local ports if reachable, and otherwise fall back
to SQLite and the filesystem broker. With CI=true a missing PostgreSQL or Redis
is an error, never a fallback. `tests/conftest.py` prints which backend ran.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import tempfile


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


if not os.environ.get("DATABASE_URL") and _reachable("127.0.0.1", 5432):
    os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/tidings"
if not os.environ.get("REDIS_URL") and _reachable("127.0.0.1", 6379):
    os.environ["REDIS_URL"] = "redis://127.0.0.1:6379/15"
if os.environ.get("CI", "").lower() == "true":
    missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
    if missing:
        raise RuntimeError(f"CI must run on PostgreSQL and Redis; unset: {', '.join(missing)}")
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

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file, not :memory:, so that child processes (worker, live server) share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
