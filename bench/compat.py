"""Google Reader and Fever id sets on the reading data set (a million entries).

Apps call these on every sync (NetNewsWire asks ``stream/items/ids`` with
``n=10000``; Fever clients fetch every unread id). Prints p50/p95 ms through
``reader.api.compat.queries`` for 20 seeded users with 8,000-18,000 unread
entries each. Run alone with ``python -m bench compat``.
"""

from __future__ import annotations

import os
import statistics
import sys
import time


def _time(label: str, call, users) -> None:
    times, size = [], 0
    for user in users:
        started = time.perf_counter()
        size = len(call(user))
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    p50 = statistics.median(times)
    print(f"   {label:<46} {size:>6} ids   p50 {p50:6.1f} ms   p95 {p95:6.1f} ms", flush=True)


def measure() -> None:
    """Time the id-set reads for 20 seeded users."""
    from django.contrib.auth import get_user_model

    from bench.reading import USER_PREFIX
    from reader.api.compat import queries

    users = list(get_user_model().objects.filter(username__startswith=USER_PREFIX)[:20])
    for status in ("unread", "starred", "all"):
        _time(
            f"GReader stream/items/ids {status}, n=10000",
            lambda u, s=status: queries.entry_id_page(user=u, filters={"status": s}, limit=10000)[
                0
            ],
            users,
        )
    _time("Fever unread_item_ids (every unread id)", lambda u: queries.entry_ids(
        user=u, status="unread"), users)  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    """Measure on the reading data set (seeding it first if needed)."""
    from bench.reading import use_reading_database

    if not use_reading_database("bench.compat", list(argv or [])):
        return
    from bench import env

    description = env.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        print(f"   compat bench needs PostgreSQL; database is {description}: skipped")
        return
    print(f"   database: {description}; load average {os.getloadavg()[0]:.1f}", flush=True)
    measure()


if __name__ == "__main__":
    main(sys.argv[1:])
