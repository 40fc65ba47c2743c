"""Server time of the web pages for a user with 200 subscriptions, on the reading data set.

Issue 8 asks that pages render in under 100 ms server time for such a user.
Runs Django's full request path (middleware, views, templates) in-process
with the test client on the million-entry database of ``bench.reading``
(seeded by it when missing) and prints p50/p95 in ms and queries per page.
Run alone with ``python -m bench pages``.
"""

from __future__ import annotations

import os
import random
import sys


def _pages(user, entry_id: int, sub_id: int) -> list[tuple[str, str]]:
    return [
        ("reader, unread (default view)", "/reader/"),
        ("reader, all entries", "/reader/?show=all"),
        ("reader, one subscription", f"/reader/?sub={sub_id}"),
        ("reader, entry open", f"/reader/?show=all&entry={entry_id}"),
        ("reader, starred", "/reader/?show=starred"),
        ("subscriptions page", "/subscriptions/"),
        ("search page, one word", "/search/?q=river"),
    ]


def measure(samples: int = 30) -> None:
    """Print p50/p95 server time and query count of each page over ``samples`` users."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from bench.reading import USER_PREFIX, _measure
    from reader.models import Subscription

    rng = random.Random(11)
    users = list(get_user_model().objects.filter(username__startswith=USER_PREFIX)[:1000])
    picked = [rng.choice(users) for _ in range(samples)]
    client = Client(HTTP_HOST="127.0.0.1")
    plans = []
    for user in picked:
        sub = Subscription.objects.filter(user=user).select_related("feed").first()
        entry_id = sub.feed.entries.order_by("-id").values_list("id", flat=True).first()
        plans.append((user, _pages(user, entry_id, sub.pk)))
    for index, (label, _) in enumerate(plans[0][1]):

        def call_for(user, url):
            def call():
                client.force_login(user)
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)

            return call

        _measure(label, [call_for(user, pages[index][1]) for user, pages in plans])
    print("   (force_login is inside each timed call: one session write, ~1 ms)", flush=True)


def main(argv: list[str] | None = None) -> None:
    """Measure the pages on the reading data set (seeding it first if needed)."""
    from bench.reading import use_reading_database

    if not use_reading_database("bench.pages", list(argv or [])):
        return
    from bench import env

    description = env.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        print(f"   pages bench needs PostgreSQL; database is {description}: skipped")
        return
    print(f"   database: {description}; load average {os.getloadavg()[0]:.1f}", flush=True)
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)  # hashed names, as deployed
    measure()


if __name__ == "__main__":
    main(sys.argv[1:])
