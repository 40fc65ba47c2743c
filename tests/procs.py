"""Real processes for fault tests: Celery workers, gunicorn, a private Redis and PostgreSQL.

Every process is started in its own session (process group) so that a test can SIGKILL the whole
tree, as a crashed machine would, and so that teardown never leaves children behind. Nothing here
touches the shared Redis (6379) or PostgreSQL (5432) servers: :class:`RedisServer` and
:class:`PostgresCluster` run throwaway servers on spare loopback ports.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from tests.conftest import ROOT

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate: Callable[[], object], timeout: float = 60.0, every: float = 0.1) -> bool:
    """Poll ``predicate`` until it returns a truthy value (True) or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if predicate():
                return True
        time.sleep(every)
    return False


def port_open(port: int) -> bool:
    """True when something accepts TCP connections on 127.0.0.1:``port``."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _spawn(args: list[str], env: dict[str, str], log: Path | None = None) -> subprocess.Popen:
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )


def kill_tree(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    """Send ``sig`` to the whole process group of ``proc`` (it was started in its own session)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


def stop(proc: subprocess.Popen, timeout: float = 20.0) -> None:
    """SIGTERM the process group, then SIGKILL it if it has not exited within ``timeout``."""
    if proc.poll() is None:
        kill_tree(proc, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=timeout)
    kill_tree(proc, signal.SIGKILL)  # pool children that outlived their parent
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def start_worker(
    env: dict[str, str],
    *,
    pool: str = "prefork",
    concurrency: int = 1,
    queues: str = "interactive,feeds,default",
    log: Path | None = None,
) -> subprocess.Popen:
    """A Celery worker of the ``reader`` app in its own process group."""
    name = f"h9-{uuid.uuid4().hex[:8]}@%h"
    args = [sys.executable, "-m", "celery", "-A", "reader.project", "worker", "-Q", queues,
            "--pool", pool, "--concurrency", str(concurrency), "--loglevel", "INFO",
            "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", name]  # fmt: skip
    return _spawn(args, env, log)


def start_gunicorn(
    env: dict[str, str], port: int, *, threads: int = 4, workers: int = 1, log: Path | None = None
) -> subprocess.Popen:
    """gunicorn serving ``reader.project.wsgi`` on 127.0.0.1:``port``, once it accepts
    connections."""
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    args = [gunicorn, "reader.project.wsgi:application", "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers), "--threads", str(threads), "--timeout", "30",
            "--graceful-timeout", "5", "--log-level", "warning"]  # fmt: skip
    proc = _spawn(args, env, log)
    if not wait_for(lambda: port_open(port) or proc.poll() is not None, timeout=30):
        stop(proc)
        raise RuntimeError("gunicorn did not start")
    if proc.poll() is not None:
        raise RuntimeError(f"gunicorn exited with {proc.returncode}")
    return proc


def manage(env: dict[str, str], *args: str, timeout: float = 180) -> str:
    """Run ``manage.py args`` in a child with ``env``; returns stdout, raises on failure."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


class RedisServer:
    """A private ``redis-server`` on a spare loopback port that a test may stop and start again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        args = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
                "--appendonly", "no", "--protected-mode", "no"]  # fmt: skip
        self.proc = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        if not wait_for(lambda: port_open(self.port), timeout=15):
            raise RuntimeError("redis-server did not start")
        return self

    def stop(self) -> None:
        """Stop the server (SIGTERM; it keeps nothing on disk: --save "" and no AOF)."""
        if self.proc is not None:
            stop(self.proc, timeout=10)
            self.proc = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class PostgresCluster:
    """A throwaway PostgreSQL 15 cluster (initdb in a temp dir) on a spare loopback port.

    Runs as the ``postgres`` OS user when the test runs as root (PostgreSQL refuses root).
    ``restart()`` stops it (fast mode: sessions are terminated) and starts it again.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="tidings-h9-pg-"))
        self.data = self.root / "data"
        self.as_postgres = os.geteuid() == 0

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/tidings"

    def _run(self, *args: str, timeout: float = 60) -> None:
        command = list(args)
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=timeout)

    @staticmethod
    def available() -> bool:
        return (PG_BIN / "initdb").exists() and (PG_BIN / "pg_ctl").exists()

    def init(self) -> PostgresCluster:
        if self.as_postgres:
            shutil.chown(self.root, user="postgres", group="postgres")
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                  "--auth=trust", "--no-sync", "-E", "UTF8")  # fmt: skip
        return self

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"),
                  "-o", options, "-w", "-t", "30", "start")  # fmt: skip

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def create_database(self, name: str = "tidings") -> None:
        import psycopg

        admin = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def pytest_child(
    test_file: str, *, env: dict[str, str], deselect: str, timeout: float = 600
) -> subprocess.CompletedProcess:
    """Run ``test_file`` again in a child pytest with ``env`` added to this environment.

    Used to run a module once more on the embedded default (SQLite) from a PostgreSQL run.
    ``deselect`` is a ``-k`` expression that keeps the child from starting itself again.
    The child gets its own var folder (its own SQLite file). Returns the finished process
    (stdout and stderr captured as text); never raises on a failing child.
    """
    child_env = {**os.environ, **env}
    child_env.pop("TIDINGS_VAR_DIR", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", test_file, "-p", "no:cacheprovider",
         "-k", f"not {deselect}"],
        cwd=ROOT, env=child_env, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
