"""Two checkouts on one machine run their tests without touching each other's data.

Unless DATABASE_URL/REDIS_URL are given, the test settings derive the PostgreSQL database
and the Redis key prefix from the checkout's path (``reader.project.settings_test``). Here a
copy of the code is a second checkout: both load the test settings in child processes, get
different names, and a cache value written by one is not seen (nor cleared) by the other.
``TIDINGS_TEST_BACKEND=sqlite`` forces the embedded backend whatever servers answer, and the
migrations check of ``make test`` is quiet when its database does not exist.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from reader.project.settings_test import checkout_id
from tests.conftest import ROOT

PROBE = r"""
import json, sys, django
django.setup()
from django.conf import settings
from django.core.cache import cache
db = settings.DATABASES["default"]
before = cache.get("checkout-mark")
if sys.argv[1] == "clear":
    cache.clear()
else:
    cache.set("checkout-mark", sys.argv[1], 120)
print(json.dumps({
    "engine": db["ENGINE"],
    "database": str(db["NAME"]),
    "test_database": str((db.get("TEST") or {}).get("NAME") or "test_" + str(db["NAME"])),
    "redis": settings.REDIS_URL,
    "prefix": settings.REDIS_KEY_PREFIX,
    "broker_prefix": settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("global_keyprefix", ""),
    "before": before,
}))
"""

#: Variables that would name the backend: left out, so that the settings choose.
CHOSEN = ("DATABASE_URL", "REDIS_URL", "REDIS_KEY_PREFIX", "TIDINGS_VAR_DIR", "CI")


def _env(checkout: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CHOSEN and k != "TIDINGS_TEST_BACKEND"}
    env.update(DJANGO_SETTINGS_MODULE="reader.project.settings_test", PYTHONPATH=str(checkout))
    env.update(extra)
    return env


def _probe(checkout: Path, mark: str, **extra: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, mark],
        cwd=checkout, env=_env(checkout, **extra), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def other_checkout(tmp_path_factory) -> Path:
    """A second checkout: a copy of the code in another folder."""
    copy = tmp_path_factory.mktemp("other") / "tidings"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for part in ("reader", "feeds", "accounts", "templates", "static", "locale"):
        shutil.copytree(ROOT / part, copy / part, ignore=ignore)
    shutil.copy(ROOT / "manage.py", copy / "manage.py")
    return copy


def test_the_checkout_id_is_stable_and_differs_between_paths(tmp_path):
    assert checkout_id(ROOT) == checkout_id(str(ROOT) + "/")
    assert re.fullmatch(r"[0-9a-f]{8}", checkout_id(ROOT))
    assert checkout_id(ROOT) != checkout_id(tmp_path)


@pytest.mark.slow
def test_two_checkouts_get_their_own_database_and_redis_keys(other_checkout):
    mark = uuid.uuid4().hex
    one = _probe(ROOT, f"one-{mark}")
    other = _probe(other_checkout, f"other-{mark}")
    assert other["before"] != f"one-{mark}"
    assert one["test_database"] != other["test_database"]
    if one["engine"].endswith("postgresql"):
        assert one["database"] == f"tidings_{checkout_id(ROOT)}"
        assert other["database"] == f"tidings_{checkout_id(other_checkout)}"
    if one["redis"]:
        assert one["prefix"] == one["broker_prefix"] == f"test-{checkout_id(ROOT)}:"
        assert other["prefix"] == f"test-{checkout_id(other_checkout)}:"
        # Clearing the other checkout's cache leaves this one's value.
        _probe(other_checkout, "clear")
        assert _probe(ROOT, f"one-{mark}")["before"] == f"one-{mark}"


@pytest.mark.slow
def test_sqlite_can_be_forced_even_when_servers_answer():
    forced = _probe(ROOT, "forced", TIDINGS_TEST_BACKEND="sqlite", CI="true")
    assert forced["engine"] == "django.db.backends.sqlite3"
    assert forced["redis"] == ""
    empty = _probe(ROOT, "empty", REDIS_URL="")
    assert empty["redis"] == ""  # REDIS_URL= (empty): the filesystem broker


def test_an_unknown_test_backend_is_refused():
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "x"],
        cwd=ROOT, env=_env(ROOT, TIDINGS_TEST_BACKEND="mysql"),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0 and "TIDINGS_TEST_BACKEND" in done.stderr


@pytest.mark.slow
def test_the_migrations_check_of_make_test_is_quiet_without_its_database():
    recipe = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    line = next(x for x in recipe.splitlines() if "makemigrations --check" in x)
    command = line.strip().replace("$(PY)", sys.executable)
    env = _env(ROOT, TIDINGS_DEV="1")
    env["DATABASE_URL"] = (
        f"postgres://postgres@127.0.0.1:5432/tidings_absent_{uuid.uuid4().hex[:8]}"
    )
    done = subprocess.run(
        ["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stderr and "consistent migration history" not in done.stderr
