"""``python -m bench [NAME ...]``: run every benchmark module (or the named ones) in turn.

Each module of ``MODULES`` exposes ``main() -> None`` and prints its own
figures. Add a module by appending its name here. A module that does not
exist yet is reported and skipped, so the list can name work in progress.
"""

from __future__ import annotations

import importlib
import sys
import time

MODULES = [
    "bench.pipeline",  # feed pipeline, corpus and 1,000 x 50 synthetic feeds
    "bench.reading",  # reading at a million entries
    "bench.api",  # the entries-list endpoint over HTTP (gunicorn), on the reading data set
    "bench.compat",  # Google Reader / Fever id sets at 10,000 ids
    "bench.credentials",  # Bearer and HTTP Basic on /api/v1/me/: first call, then p50/p95
    "bench.pages",  # web pages: server time for a user with 200 subscriptions
    "bench.poll",  # the reader tab's live poll of unread counts: 200 and 304
    "bench.load",  # 50 users over HTTP while 2 workers refresh 1,000 loopback feeds
    "bench.embedded",  # make run and compose's web+worker+beat: memory, OPML ingest, re-poll
    "bench.production",  # Celery workers on Redis + PostgreSQL: CPU per entry and per 304 poll
    "bench.media",  # the media proxy: images per second against direct static serving
]


def run(names: list[str]) -> int:
    """Run the benchmark modules ``names`` (module paths); returns the number that failed."""
    failures = 0
    for name in names:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            print(f"== {name}: not written yet, skipped\n", flush=True)
            continue
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        try:
            module.main()
        except Exception as exc:  # one broken bench must not hide the others' figures
            failures += 1
            print(f"!! {name} failed: {type(exc).__name__}: {exc}", flush=True)
        print(f"== {name} done in {time.perf_counter() - started:.1f} s\n", flush=True)
    return failures


if __name__ == "__main__":
    wanted = sys.argv[1:]
    names = [m for m in MODULES if not wanted or m.rsplit(".", 1)[-1] in wanted]
    sys.exit(1 if run(names) else 0)
