"""What each API credential costs per request: ``python -m bench credentials``.

Starts a real server process (gunicorn, ``reader.project.wsgi``, sync workers, DEBUG off) on a free
loopback port, on the bench database of ``bench.env`` (a user is created there, no data set
needed), and times ``GET /api/v1/me/`` with a Bearer token and with HTTP Basic (username and
client password): the first call, then p50 / p95 over sequential requests (each on a new
connection). Basic is checked once by the client password's hash (PBKDF2, ~0.3 s by design)
and then remembered (accounts.authentication), so after the first call it should cost what a
token costs. Target: Basic p95 under 10 ms after the first call. ``--samples``
(default 200) sizes the runs.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import statistics
import sys
import time

PATH = "/api/v1/me/"
USERNAME = "bench-credentials"
CLIENT_PASSWORD = "bench-client-password-4471"  # noqa: S105 (a bench-only account)


def _get(port: int, authorization: str) -> float:
    """One GET of PATH on a new connection; returns milliseconds. RuntimeError unless 200."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", PATH, headers={"Authorization": authorization})
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    if response.status != 200:
        raise RuntimeError(f"GET {PATH} answered {response.status}: {body[:300]!r}")
    return (time.perf_counter() - started) * 1000


def _credentials() -> dict[str, str]:
    """Authorization headers for the bench user: {"Bearer": ..., "Basic": ...}."""
    from django.contrib.auth import get_user_model

    from accounts import services
    from accounts.models import ApiToken

    user, _ = get_user_model().objects.get_or_create(
        username=USERNAME, defaults={"email": "bench-credentials@example.com"}
    )
    services.client_password_set(user=user, password=CLIENT_PASSWORD)
    ApiToken.objects.filter(user=user).delete()
    _, raw = services.token_create(user=user, name="bench-credentials")
    basic = base64.b64encode(f"{USERNAME}:{CLIENT_PASSWORD}".encode()).decode()
    return {"Bearer": f"Bearer {raw}", "Basic": f"Basic {basic}"}


def measure(port: int, headers: dict[str, str], samples: int) -> None:
    """Print first-call ms and p50 / p95 / max of ``samples`` sequential calls per scheme."""
    for scheme, authorization in headers.items():
        first = _get(port, authorization)
        times = sorted(_get(port, authorization) for _ in range(samples))
        p95 = times[max(0, int(len(times) * 0.95) - 1)]
        print(
            f"   GET {PATH} {scheme:<6}: first {first:7.1f} ms, then p50 "
            f"{statistics.median(times):5.1f} ms, p95 {p95:5.1f} ms, max {times[-1]:6.1f} ms "
            f"({samples} sequential requests)",
            flush=True,
        )


def main(argv: list[str] | None = None) -> None:
    """Set up the bench database, start gunicorn, measure, print, stop."""
    parser = argparse.ArgumentParser(prog="bench.credentials", description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=200, help="sequential requests")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args(list(argv if argv is not None else []))
    from bench import env

    description = env.setup()
    from django.db import connection

    from bench.api import _free_port, _start_server, _stop

    headers = _credentials()
    connection.close()
    port = _free_port()
    print(f"   database: {description}; gunicorn: {args.workers} sync workers", flush=True)
    server = _start_server(port, args.workers)
    try:
        measure(port, headers, args.samples)
    finally:
        _stop(server)


if __name__ == "__main__":
    main(sys.argv[1:])
