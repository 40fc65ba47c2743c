"""The production path's CPU per entry and per poll: ``python -m bench production``.

What runs is what a production installation runs (docker/compose.yml): a Celery worker
(prefork pool, 2 processes, queues ``interactive,feeds,default``) on Redis, PostgreSQL, and
the scheduler's task ``feeds.tasks.refresh_due_feeds`` enqueueing one ``refresh_feed`` per
due feed. Over the 1,000 x 50 synthetic feeds of ``bench.pipeline`` (same generator, same
files, served from loopback by ``bench.feedhost`` with conditional GET), two phases:

- cold: every feed new (50,000 entries to store);
- all-304: every feed made due again, every answer a 304.

For each phase it prints the wall time and the CPU seconds by kind of process, from
``/proc`` (``bench.backend_cpu``): the worker processes (parent and pool children), their
PostgreSQL backends (closed ones included: each worker reports a backend's CPU just before
closing its connection), a Redis server started for this bench only (so nothing else's
commands are counted), and the enqueuer (this process running ``refresh_due_feeds``, and its
backend); per 1,000 new entries and per 1,000 polls. In the same run, as the baselines the
ratios are taken against: the floor (feedparser with its sanitizer off, plus nh3 on the same
HTML: ``bench.pipeline.baseline_cpu``) and the in-process pipeline (``feed_refresh`` in this
process, as ``bench.pipeline`` runs it, plus its backend), both on the first
``--sample`` feeds (100: 5,000 entries).

Then, on the 1,000 subscriptions of the bench user with 50,000 unread entries, through
Django's whole request path in-process (test client): Google Reader ``unread-count`` and
the REST ``unread-counts`` (p50 / p95 ms), HTTP Basic per call and ``ClientLogin`` (ms
and CPU ms per call; FreshRSS's ClientLogin: 31 ms).

Targets (production path, workers + database + broker): 0.7 ms of CPU per new entry,
2 ms per unchanged (304) poll; Google Reader ``unread-count`` p95 < 50 ms.
Every line carries the load average (the machine is shared: read wall times next to it).

Database: its own, ``BENCH_DATABASE_URL``'s name + ``_production`` (``tidings_bench_production``
by default), dropped and recreated at the start. Run after other benches in ``python -m
bench``, it re-runs itself in a child process (it needs its own Redis settings before Django
starts). Every process it starts is stopped on the way out, also on Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench import backend_cpu

ROOT = Path(__file__).resolve().parent.parent
APP_NAME = "tidings-bench-production"  # PGAPPNAME of the workers: finds their backends
LOGS = ROOT / "var" / "bench" / "production"
FEED_PATH = "/synthetic/"
USERNAME = "bench-production"
CLIENT_PASSWORD = "bench-production-client-4471"  # noqa: S105 (a bench-only account)
TARGET_ENTRY_MS, TARGET_POLL_MS, TARGET_COUNT_P95_MS = 0.7, 2.0, 50.0
FRESHRSS = {"cold": (100.0, 108.0), "304": (8.0, 8.8)}  # CPU seconds incl. database


def _load() -> str:
    return "load " + ", ".join(f"{x:.1f}" for x in os.getloadavg())


def _say(message: str) -> None:
    print(f"   {message}", flush=True)


# --- processes ---------------------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start ``args`` in its own process group (stopped as a whole), output to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        return subprocess.Popen(
            args, cwd=ROOT, env=env, start_new_session=True, stdout=out, stderr=subprocess.STDOUT
        )


def _stop(proc: subprocess.Popen, timeout: float = 20.0) -> None:
    """SIGTERM the process group of ``proc``, then SIGKILL what is left of it."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=timeout)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def _start_redis(port: int) -> subprocess.Popen:
    """A Redis server of this bench only (no persistence), so its CPU is this bench's."""
    args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"]  # fmt: skip
    return _spawn(args, dict(os.environ), LOGS / "redis.log")


def _start_worker(env: dict[str, str], concurrency: int) -> subprocess.Popen:
    args = [sys.executable, "-m", "celery", "-A", "reader.project", "worker",
            "-Q", "interactive,feeds,default", "--pool", "prefork",
            "--concurrency", str(concurrency), "--loglevel", "WARNING",
            "--include", "bench.backend_cpu", "-n", "bench-production@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat"]  # fmt: skip
    return _spawn(args, env, LOGS / "worker.log")


def _wait(condition, *, timeout: float, what: str, procs: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dead = [p for p in procs if p.poll() is not None]
        if dead:
            raise RuntimeError(f"{what}: a process exited with status {dead[0].returncode}")
        if condition():
            return
        time.sleep(0.25)
    raise RuntimeError(f"{what}: not done within {timeout:.0f} s")


def _group_ns(pgid: int) -> int:
    return sum(backend_cpu.cpu_ns(pid) or 0 for pid in backend_cpu.group_pids(pgid))


def _own_backend_ns() -> int:
    """CPU ns of this process's own PostgreSQL backend (its connection is opened if needed)."""
    from django.db import connection

    connection.ensure_connection()
    return backend_cpu.cpu_ns(connection.connection.info.backend_pid) or 0


# --- data --------------------------------------------------------------------------------------


def _create_feeds(host, files: list[Path]) -> list[int]:
    """One feed per file, due now, all subscribed by the bench user (so the scheduler wants
    them); returns their ids."""
    from django.contrib.auth import get_user_model

    from feeds.models import Feed
    from reader.models import Subscription

    user, _ = get_user_model().objects.get_or_create(username=USERNAME)
    feeds = Feed.objects.bulk_create(
        [Feed(url=host.url(f"{FEED_PATH}{f.name}")) for f in files], batch_size=500
    )
    Subscription.objects.bulk_create(
        [Subscription(user=user, feed=feed) for feed in feeds], batch_size=500
    )
    return [f.pk for f in feeds]


def _fetches_since(start) -> int:
    from feeds.models import FetchLog

    return FetchLog.objects.filter(at__gte=start).count()


def _outcomes_since(start) -> tuple[dict, int]:
    from django.db.models import Count, Sum

    from feeds.models import FetchLog

    logs = FetchLog.objects.filter(at__gte=start)
    outcomes = dict(logs.values_list("outcome").annotate(n=Count("id")).order_by())
    return outcomes, logs.aggregate(n=Sum("new"))["n"] or 0


# --- baselines ---------------------------------------------------------------------------------


def baselines(host, files: list[Path]) -> dict[str, float]:
    """Floor and in-process pipeline CPU (seconds) on ``files``; entries and polls counted."""
    from bench.pipeline import baseline_cpu, refresh_counted, reset_database

    parse_cpu, nh3_cpu = baseline_cpu(files)
    reset_database()
    ids = _create_feeds(host, files)
    db0, py0 = _own_backend_ns(), time.process_time()
    cold = [refresh_counted(i) for i in ids]
    db1, py1 = _own_backend_ns(), time.process_time()
    warm = [refresh_counted(i) for i in ids]
    db2, py2 = _own_backend_ns(), time.process_time()
    reset_database()
    return {
        "entries": sum(r[1] for r in cold),
        "polls": sum(1 for r in warm if r[0] == "not_modified"),
        "parse": parse_cpu,
        "nh3": nh3_cpu,
        "cold_py": py1 - py0,
        "cold_db": (db1 - db0) / 1e9,
        "warm_py": py2 - py1,
        "warm_db": (db2 - db1) / 1e9,
    }


# --- the production path -----------------------------------------------------------------------


class Meter:
    """Cumulative CPU seconds of each kind of process of the production path."""

    def __init__(self, *, worker: subprocess.Popen, redis: subprocess.Popen, log: Path) -> None:
        self.worker, self.redis = worker, redis
        self.backends = backend_cpu.BackendMeter(application_name=APP_NAME, log=log)

    def snapshot(self) -> dict[str, float]:
        return {
            "workers": _group_ns(self.worker.pid) / 1e9,
            "database": self.backends.total_ns() / 1e9,
            "redis": (backend_cpu.cpu_ns(self.redis.pid) or 0) / 1e9,
            "connections": float(self.backends.backends()),
        }


def phase(name: str, meter: Meter, procs: list[subprocess.Popen], expected: int) -> dict:
    """Enqueue with ``refresh_due_feeds`` and wait for ``expected`` fetches; returns figures."""
    from django.utils import timezone

    from feeds.tasks import refresh_due_feeds

    before = meter.snapshot()
    start_at, started = timezone.now(), time.perf_counter()
    db0, py0 = _own_backend_ns(), time.process_time()
    enqueued = refresh_due_feeds()
    enqueue = (time.process_time() - py0) + (_own_backend_ns() - db0) / 1e9
    _wait(
        lambda: _fetches_since(start_at) >= expected,
        timeout=1800,
        what=f"{name}: {expected} refreshes",
        procs=procs,
    )
    wall = time.perf_counter() - started
    time.sleep(1.0)  # the last task's connection close and acknowledgement
    after = meter.snapshot()
    outcomes, new = _outcomes_since(start_at)
    used = {k: after[k] - before[k] for k in before}
    used["enqueuer"] = enqueue
    return {"wall": wall, "enqueued": enqueued, "outcomes": outcomes, "new": new, **used}


def _print_phase(name: str, r: dict, base: dict, *, per: str, count: int) -> None:
    total = r["workers"] + r["database"] + r["redis"] + r["enqueuer"]
    unit = max(1, count) / 1000
    target = TARGET_ENTRY_MS if per == "entries" else TARGET_POLL_MS
    verdict = "met" if total / max(1, count) * 1000 <= target else "MISSED"
    lo, hi = FRESHRSS[name]
    _say(
        f"{name}: {r['enqueued']:,} enqueued, outcomes {r['outcomes']}, {r['new']:,} new "
        f"entries; {r['wall']:.1f} s wall; {int(r['connections'])} new database connections; "
        f"{_load()}"
    )
    _say(
        f"  CPU s: total {total:.2f} = workers {r['workers']:.2f} + PostgreSQL backends "
        f"{r['database']:.2f} + Redis {r['redis']:.2f} + enqueuer {r['enqueuer']:.2f} "
        f"(FreshRSS {lo:g}-{hi:g} s)"
    )
    _say(
        f"  per 1,000 {per}: total {total / unit:.2f} s (target {target * 1000 / 1000:g} s: "
        f"{verdict}), workers {r['workers'] / unit:.2f}, PostgreSQL {r['database'] / unit:.2f}, "
        f"Redis {r['redis'] / unit:.3f}, enqueuer {r['enqueuer'] / unit:.3f}"
    )
    if per == "entries" and base["entries"]:
        floor = (base["parse"] + base["nh3"]) / base["entries"]
        inproc = (base["cold_py"] + base["cold_db"]) / base["entries"]
        mine = total / max(1, count)
        _say(
            f"  per entry: production {mine * 1000:.3f} ms; in-process pipeline "
            f"{inproc * 1000:.3f} ms (Python {base['cold_py'] / base['entries'] * 1000:.3f} + "
            f"PostgreSQL {base['cold_db'] / base['entries'] * 1000:.3f}); feedparser + nh3 "
            f"floor {floor * 1000:.3f} ms. Production / floor {mine / floor:.2f}x, "
            f"production / in-process {mine / inproc:.2f}x; in-process Python / floor "
            f"{base['cold_py'] / base['entries'] / floor:.2f}x (target <= 1.25x)"
        )
    if per == "polls" and base["polls"]:
        inproc = (base["warm_py"] + base["warm_db"]) / base["polls"]
        mine = total / max(1, count)
        _say(
            f"  per poll: production {mine * 1000:.3f} ms; in-process pipeline "
            f"{inproc * 1000:.3f} ms (Python {base['warm_py'] / base['polls'] * 1000:.3f} + "
            f"PostgreSQL {base['warm_db'] / base['polls'] * 1000:.3f}); production / "
            f"in-process {mine / inproc:.2f}x"
        )


# --- reading figures at 1,000 subscriptions ----------------------------------------------------


def _percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[max(0, int(len(ordered) * 0.95 + 0.5) - 1)]
    return f"p50 {statistics.median(ordered):.1f} ms, p95 {p95:.1f} ms"


def reading_figures(samples: int) -> None:
    """Unread counts (Google Reader and REST), HTTP Basic and ClientLogin, in-process."""
    import base64

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from accounts import services
    from reader import selectors

    with connection.cursor() as cursor:  # as autovacuum would have by now (bench.reading does too)
        for table in ("feeds_entry", "reader_subscription", "reader_entrystate"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    user = get_user_model().objects.get(username=USERNAME)
    services.client_password_set(user=user, password=CLIENT_PASSWORD)
    unread = selectors.unread_counts(user=user)["total"]
    client = Client(HTTP_HOST="localhost")

    def timed(call) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        response = call()
        if response.status_code != 200:
            raise RuntimeError(f"answered {response.status_code}: {response.content[:300]!r}")
        return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000

    login = lambda: client.post(  # noqa: E731
        "/api/greader/accounts/ClientLogin", {"Email": USERNAME, "Passwd": CLIENT_PASSWORD}
    )
    first = login()
    auth = next(
        line.split("=", 1)[1] for line in first.content.decode().splitlines() if "Auth=" in line
    )
    logins = [timed(login) for _ in range(max(5, samples // 6))]
    greader = {"HTTP_AUTHORIZATION": f"GoogleLogin auth={auth}"}
    basic_header = base64.b64encode(f"{USERNAME}:{CLIENT_PASSWORD}".encode()).decode()
    basic = {"HTTP_AUTHORIZATION": f"Basic {basic_header}"}
    timed(lambda: client.get("/api/v1/me/", **basic))  # first call checks the hash
    basics = [timed(lambda: client.get("/api/v1/me/", **basic)) for _ in range(samples)]
    gr = [
        timed(lambda: client.get("/api/greader/reader/api/0/unread-count?output=json", **greader))
        for _ in range(samples)
    ]
    rest = [timed(lambda: client.get("/api/v1/unread-counts/", **basic)) for _ in range(samples)]
    _say(f"reading figures in-process (test client, whole request path); {_load()}")
    _say(f"  the bench user: 1,000 subscriptions, {unread:,} unread entries")
    _say(
        f"  Google Reader unread-count: {_percentiles([w for w, _ in gr])} "
        f"(target p95 < {TARGET_COUNT_P95_MS:g} ms), "
        f"CPU {statistics.median([c for _, c in gr]):.1f} ms per call (median)"
    )
    _say(
        f"  REST unread-counts (HTTP Basic): {_percentiles([w for w, _ in rest])}, "
        f"CPU {statistics.median([c for _, c in rest]):.1f} ms per call"
    )
    _say(
        f"  HTTP Basic GET /api/v1/me/ after the first call: {_percentiles([w for w, _ in basics])}"
        f", CPU {statistics.median([c for _, c in basics]):.1f} ms per call"
    )
    _say(
        f"  Google Reader ClientLogin: {_percentiles([w for w, _ in logins])}, CPU "
        f"{statistics.median([c for _, c in logins]):.1f} ms per call (FreshRSS 31 ms)"
    )


# --- main --------------------------------------------------------------------------------------


def _database_url() -> str:
    base = (
        os.environ.get("BENCH_DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/tidings_bench"
    )
    parts = urlsplit(base)
    name = parts.path.lstrip("/")
    if not name.endswith("_production"):
        name += "_production"
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))


def _raise_exit(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> None:
    """Start Redis, the feed server and the worker; run the phases; print; stop."""
    parser = argparse.ArgumentParser(prog="bench.production", description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=1000, help="synthetic feeds (at most 1,000)")
    parser.add_argument("--sample", type=int, default=100, help="feeds of the baselines")
    parser.add_argument("--concurrency", type=int, default=2, help="worker pool processes")
    parser.add_argument("--samples", type=int, default=60, help="calls per reading figure")
    parser.add_argument("--no-reading", action="store_true", help="skip the reading figures")
    args = parser.parse_args(list(argv if argv is not None else []))
    from django.apps import apps

    if apps.ready:  # run from python -m bench after another bench configured this process
        child = {**os.environ}
        child.pop("TIDINGS_BENCH_DATABASE", None)
        child["DATABASE_URL"] = os.environ.get("TIDINGS_BENCH_OUTER_DATABASE_URL", "")
        child["BENCH_DATABASE_URL"] = _database_url()
        subprocess.run([sys.executable, "-m", "bench.production", *(argv or [])], env=child,
                       cwd=ROOT, check=True)  # fmt: skip
        return
    if not shutil.which("redis-server") or not Path("/proc/self/schedstat").exists():
        _say("needs redis-server and Linux /proc (schedstat): skipped")
        return
    os.environ["BENCH_DATABASE_URL"] = _database_url()
    from bench import env

    description = env.configure(fresh=True)
    if not description.startswith("postgres"):
        _say(f"needs PostgreSQL; database is {description}: skipped")
        return
    redis_port = _free_port()
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    os.environ["REDIS_URL"] = redis_url
    os.environ["DEBUG"] = "0"
    signal.signal(signal.SIGTERM, _raise_exit)
    procs: list[subprocess.Popen] = []
    LOGS.mkdir(parents=True, exist_ok=True)
    cpu_log = LOGS / "backends.log"
    cpu_log.unlink(missing_ok=True)
    try:
        procs.append(_start_redis(redis_port))
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0, interactive=False)
        from django.db import connection
        from django.utils import timezone

        from bench.feedhost import FeedHost
        from bench.pipeline import SYNTHETIC_DIR, reset_database, synthetic_files
        from feeds.models import Feed
        from reader.project.celery import app as celery_app

        files = synthetic_files()[: args.feeds]
        _say(
            f"database: {description}; private Redis on port {redis_port}; {os.cpu_count()} "
            f"CPUs; {_load()}"
        )
        with FeedHost({FEED_PATH: SYNTHETIC_DIR}) as host:
            base = baselines(host, files[: args.sample])
            _say(
                f"baselines on {args.sample} feeds ({base['entries']:,} entries), this process: "
                f"feedparser {base['parse']:.2f} s + nh3 {base['nh3']:.2f} s; in-process "
                f"pipeline cold {base['cold_py']:.2f} s + its backend {base['cold_db']:.2f} s, "
                f"304 {base['warm_py']:.2f} s + {base['warm_db']:.2f} s; {_load()}"
            )
            reset_database()
            ids = _create_feeds(host, files)
            connection.close()
            child_env = {
                **os.environ,
                "PGAPPNAME": APP_NAME,
                backend_cpu.LOG_ENV: str(cpu_log),
                "LOG_LEVEL": "WARNING",
            }
            worker = _start_worker(child_env, args.concurrency)
            procs.append(worker)
            _wait(
                lambda: len(celery_app.control.ping(timeout=1.0) or []) >= 1,
                timeout=120,
                what="Celery worker",
                procs=procs,
            )
            _say(
                f"worker: prefork pool of {args.concurrency} processes, queues "
                "interactive,feeds,default; enqueued by feeds.tasks.refresh_due_feeds"
            )
            meter = Meter(worker=worker, redis=procs[0], log=cpu_log)
            cold = phase("cold", meter, procs, len(ids))
            _print_phase("cold", cold, base, per="entries", count=cold["new"])
            Feed.objects.filter(pk__in=ids).update(next_fetch_at=timezone.now(), leased_until=None)
            warm = phase("304", meter, procs, len(ids))
            polls = warm["outcomes"].get("not_modified", 0)
            _print_phase("304", warm, base, per="polls", count=polls)
            _stop(worker)
            if not args.no_reading:
                reading_figures(args.samples)
    finally:
        for proc in reversed(procs):
            _stop(proc)
        with contextlib.suppress(Exception):
            from django.db import connection as conn

            conn.close()


if __name__ == "__main__":
    main(sys.argv[1:])
