"""Server cost of the reader tab's live poll: ``GET /api/v1/unread-counts/`` for a user with
200 subscriptions, answered in full (200) and unchanged (304 with ``If-None-Match``).

The web UI polls it about once a minute per visible tab (``LIVE_POLL_SECONDS``), every
2 s while a fetch the user started runs (``?watch=``), never while the tab is hidden.
Runs Django's full request path in-process (test client, session authentication) on the
million-entry database of ``bench.reading`` and prints p50/p95 in ms, queries and bytes.
Run alone with ``python -m bench poll``.
"""

from __future__ import annotations

import os
import random
import sys


def measure(samples: int = 30) -> None:
    """Print p50/p95 server time, queries and body size of each kind of poll."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from bench.reading import USER_PREFIX, _measure
    from reader.models import Subscription

    rng = random.Random(17)
    users = list(get_user_model().objects.filter(username__startswith=USER_PREFIX)[:1000])
    picked = [rng.choice(users) for _ in range(samples)]
    clients = []
    for user in picked:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        sub_id = Subscription.objects.filter(user=user).values_list("id", flat=True).first()
        etag = client.get("/api/v1/unread-counts/")["ETag"]
        clients.append((client, etag, sub_id))
    sizes: dict[str, int] = {}

    def call(label: str, client: Client, path: str, status: int, **headers: str):
        def run() -> None:
            response = client.get(path, headers=headers)
            assert response.status_code == status, (path, response.status_code)
            sizes[label] = len(response.content)

        return run

    kinds = [
        ("poll, changed (200)", lambda c, e, s: call("200", c, "/api/v1/unread-counts/", 200)),
        (
            "poll, unchanged (304)",
            lambda c, e, s: call("304", c, "/api/v1/unread-counts/", 304, If_None_Match=e),
        ),
        (
            "poll while a fetch runs (?watch=, 200)",
            lambda c, e, s: call("watch", c, f"/api/v1/unread-counts/?watch={s}", 200),
        ),
    ]
    for label, make in kinds:
        _measure(label, [make(c, e, s) for c, e, s in clients])
    print(
        f"   body bytes: 200 {sizes.get('200')}, 304 {sizes.get('304')}, "
        f"watch {sizes.get('watch')}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> None:
    """Measure the poll on the reading data set (seeding it first if needed)."""
    from bench.reading import use_reading_database

    if not use_reading_database("bench.poll", list(argv or [])):
        return
    from bench import env

    description = env.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        print(f"   poll bench needs PostgreSQL; database is {description}: skipped")
        return
    print(f"   database: {description}; load average {os.getloadavg()[0]:.1f}", flush=True)
    measure()


if __name__ == "__main__":
    main(sys.argv[1:])
