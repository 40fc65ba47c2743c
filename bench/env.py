"""The benchmark environment: its own database, its own var/ folder, loopback fetching allowed.

``configure()`` must run before Django is set up. The database is, in order:
``BENCH_DATABASE_URL``; else ``tidings_bench`` on the PostgreSQL at
127.0.0.1:5432 when it answers (created if missing); else a SQLite file in
``var/bench/``. It refuses to run on the database named by ``DATABASE_URL``
(the development or production one) or on any PostgreSQL database whose name
does not start with ``tidings_bench``, and never reads or writes ``var/tidings.sqlite3``.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/tidings_bench"

_configured: str | None = None


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _same_database(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.hostname, pa.port or 5432, pa.path) == (pb.hostname, pb.port or 5432, pb.path)


def _ensure_postgres_database(url: str, *, fresh: bool) -> None:
    """CREATE DATABASE for ``url`` if missing; with ``fresh``, drop it first.

    Connects to the server's ``postgres`` database. Only a database whose name
    starts with ``tidings_bench`` is ever dropped.
    """
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
    with psycopg.connect(admin, autocommit=True) as conn:
        if fresh and name.startswith("tidings_bench"):
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def configure(*, fresh: bool = False) -> str:
    """Set the environment for the bench database; returns a one-line description of it.

    ``fresh`` drops and recreates the bench database first (a cold start that
    no earlier run, or another benchmark, can have altered). Raises
    RuntimeError when the chosen database is the one ``DATABASE_URL`` names.
    """
    global _configured
    if _configured is not None:
        return _configured
    if os.environ.get("TIDINGS_BENCH_DATABASE"):  # a child process of a configured bench
        _configured = os.environ["TIDINGS_BENCH_DATABASE"]
        return _configured
    dev_url = os.environ.get("DATABASE_URL", "")
    url = os.environ.get("BENCH_DATABASE_URL", "")
    if not url and _reachable("127.0.0.1", 5432):
        url = PG_DEFAULT
    if url and dev_url and _same_database(url, dev_url):
        raise RuntimeError(f"refusing to benchmark on the DATABASE_URL database ({dev_url})")
    if url and not urlsplit(url).path.lstrip("/").startswith("tidings_bench"):
        # Benchmarks truncate feeds: only a database named for them is ever used.
        raise RuntimeError(f"the bench database's name must start with tidings_bench: {url}")
    VAR.mkdir(parents=True, exist_ok=True)
    if url.startswith("postgres"):
        _ensure_postgres_database(url, fresh=fresh)
    elif fresh:
        (VAR / "tidings.sqlite3").unlink(missing_ok=True)
    # Children started for another bench (bench.reading.use_reading_database) get this back.
    os.environ.setdefault("TIDINGS_BENCH_OUTER_DATABASE_URL", dev_url)
    os.environ["DATABASE_URL"] = url  # "" = SQLite under TIDINGS_VAR_DIR (var/bench/)
    os.environ["TIDINGS_VAR_DIR"] = str(VAR)
    os.environ["DJANGO_SETTINGS_MODULE"] = "reader.project.settings"
    os.environ.setdefault("TIDINGS_DEV", "1")
    os.environ["REDIS_URL"] = ""  # file cache and filesystem broker under var/bench/
    os.environ["FETCH_ALLOWED_NETWORKS"] = "127.0.0.0/8"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    _configured = url or f"sqlite:///{VAR / 'tidings.sqlite3'}"
    os.environ["TIDINGS_BENCH_DATABASE"] = _configured
    return _configured


def setup(*, fresh: bool = False) -> str:
    """``configure()``, ``django.setup()``, migrate the bench database; returns its description."""
    description = configure(fresh=fresh)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    return description
