"""The entries-list endpoint over HTTP: ``python -m bench api`` (or ``python -m bench.api``).

On the million-entry data set of ``bench.reading`` (seeded by it, once, in its own
database), starts a real server process (gunicorn, ``reader.project.wsgi``, sync workers,
DEBUG off) on a free loopback port and measures ``GET /api/v1/entries/?status=unread&limit=50``
with a bearer token of a seeded user:

- latency: p50 / p95 over sequential requests (after a warm-up), users drawn at random;
- throughput: requests per second with 8 concurrent clients for a fixed duration.

Each request is a new HTTP/1.1 connection (gunicorn's sync workers close after each
response), authenticated like a third-party client. ``--samples`` (default 200) and
``--seconds`` (default 10) size the runs; ``--workers`` sets gunicorn's workers
(default: 2 per CPU, at most 8). Target: p95 well under 100 ms.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PATH = "/api/v1/entries/?status=unread&limit=50"
LABEL = "bench-api"  # name of the API tokens this bench creates
CLIENTS = 8


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tokens(count: int) -> list[str]:
    """Bearer tokens of ``count`` seeded readers (a fresh token each, the old ones revoked)."""
    from django.contrib.auth import get_user_model

    from accounts import services as account_services
    from accounts.models import ApiToken
    from bench.reading import USER_PREFIX

    users = list(get_user_model().objects.filter(username__startswith=USER_PREFIX).order_by("id"))
    if not users:
        raise RuntimeError("the reading data set has no users: seed it with bench.reading")
    ApiToken.objects.filter(name=LABEL, user__in=users).delete()
    picked = random.Random(7).sample(users, min(count, len(users)))
    return [account_services.token_create(user=u, name=LABEL)[1] for u in picked]


def _start_server(port: int, workers: int) -> subprocess.Popen:
    """gunicorn on 127.0.0.1:port with the bench environment; waits until it answers."""
    env = {**os.environ, "DEBUG": "0", "LOG_LEVEL": "WARNING"}
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "reader.project.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {server.returncode}")
        try:
            _get(port, "/healthz", "")
            return server
        except OSError:
            time.sleep(0.2)
    _stop(server)
    raise RuntimeError("gunicorn did not answer within 60 s")


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _get(port: int, path: str, token: str) -> tuple[int, bytes]:
    """One GET on a new connection; returns (status, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _checked_get(port: int, token: str) -> int:
    """GET the entries page; returns the body size. RuntimeError unless 200."""
    status, body = _get(port, PATH, token)
    if status != 200:
        raise RuntimeError(f"GET {PATH} answered {status}: {body[:300]!r}")
    return len(body)


def latency(port: int, tokens: list[str], samples: int) -> dict:
    """Sequential requests: p50 / p95 / max in milliseconds, mean body size."""
    rng = random.Random(11)
    for token in tokens[:10]:  # warm-up: connections, caches, each worker's first request
        _checked_get(port, token)
    times, sizes = [], []
    for _ in range(samples):
        token = rng.choice(tokens)
        started = time.perf_counter()
        sizes.append(_checked_get(port, token))
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "p50": statistics.median(times),
        "p95": times[max(0, int(len(times) * 0.95) - 1)],
        "max": times[-1],
        "bytes": int(statistics.mean(sizes)),
    }


def throughput(port: int, tokens: list[str], seconds: float, clients: int = CLIENTS) -> dict:
    """``clients`` threads requesting in a loop for ``seconds``: requests/s and errors."""
    stop_at = time.monotonic() + seconds
    counts = [0] * clients
    errors = [0] * clients

    def loop(index: int) -> None:
        rng = random.Random(index)
        while time.monotonic() < stop_at:
            try:
                _checked_get(port, rng.choice(tokens))
                counts[index] += 1
            except (OSError, RuntimeError):
                errors[index] += 1

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {"rps": sum(counts) / elapsed, "requests": sum(counts), "errors": sum(errors)}


def main(argv: list[str] | None = None) -> None:
    """Seed (via bench.reading, once), start gunicorn, measure, print, stop."""
    parser = argparse.ArgumentParser(prog="bench.api", description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=200, help="sequential requests")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of the 8-client run")
    default_workers = min(8, 2 * (os.cpu_count() or 1))
    parser.add_argument("--workers", type=int, default=default_workers, help="gunicorn workers")
    args = parser.parse_args(list(argv if argv is not None else []))
    from bench.reading import use_reading_database

    if not use_reading_database("bench.api", list(argv or [])):
        return
    from bench import env

    description = env.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        print(f"   api bench needs PostgreSQL; database is {description}: skipped")
        return
    tokens = _tokens(50)
    connection.close()
    port = _free_port()
    print(f"   database: {description}; gunicorn: {args.workers} sync workers", flush=True)
    server = _start_server(port, args.workers)
    try:
        lat = latency(port, tokens, args.samples)
        print(
            f"   GET {PATH} (50 unread, bearer token, {args.samples} sequential requests): "
            f"p50 {lat['p50']:.1f} ms, p95 {lat['p95']:.1f} ms, max {lat['max']:.1f} ms, "
            f"{lat['bytes']:,} bytes",
            flush=True,
        )
        run = throughput(port, tokens, args.seconds)
        print(
            f"   {CLIENTS} concurrent clients for {args.seconds:g} s: {run['rps']:.0f} requests/s "
            f"({run['requests']:,} requests, {run['errors']} errors)",
            flush=True,
        )
    finally:
        _stop(server)


if __name__ == "__main__":
    main(sys.argv[1:])
