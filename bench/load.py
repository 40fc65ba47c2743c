"""Reading under load while feeds refresh: ``python -m bench load`` (or ``python -m bench.load``).

Issue 10, "Load". On the million-entry data set of ``bench.reading`` (its database
``tidings_bench_reading``, seeded by it once; never re-seeded here), everything on loopback:

- gunicorn (``reader.project.wsgi``, ``--workers 4`` gthread workers of 4 threads, DEBUG off) on a
  free 127.0.0.1 port, and 2 Celery worker processes (``--pool solo``, queues
  ``interactive,feeds,default``), all on a Redis database of their own (``BENCH_LOAD_REDIS_URL``,
  default ``redis://127.0.0.1:6379/12``, emptied before and after);
- the 1,000 x 50 synthetic feeds of ``bench.pipeline`` (same generator, same files under
  var/bench/synthetic) served by ``bench.feedhost`` in another process;
- 50 load users ``bench-load-NN``, each a copy of seeded reader ``bench-reader-00NN`` (its
  200 subscriptions with their watermarks, and its read/star exception rows) plus 20 of the
  synthetic feeds (all of their entries unread), each with a personal API token.

At the start every synthetic feed is made due and one ``refresh_feed`` per feed is enqueued
(a cold ingest: 50 new entries each, stored into the million-entry tables while users read;
with ``--warm`` every feed is ingested once before the run, whose refreshes are then 304s,
the steady state of a reader whose feeds rarely change).
Then 50 threads, one per user, each with its own ``requests.Session`` (keep-alive) and
``Authorization: Bearer``, loop for ``--seconds`` (60): list the first page of 50 unread
entries, open one of them, mark it read (PATCH), star it one time in five, list one
subscription's unread entries one time in four and the subscription list (sidebar, with
unread counts) one time in twenty, with a think time drawn uniformly from 0.5-1.5 s
(``--think``, the mean) between requests.

Prints requests per second, p50/p95/p99 latency overall and per kind of request, the errors
(any status other than 200, or a failed connection; target zero, p95 under 200 ms), the
number of feeds refreshed and entries stored during the run, and the load average before,
during and after (the machine is shared: read the latency next to it).

Every process started here runs in its own process group and is stopped (SIGTERM, then
SIGKILL) on the way out, also on Ctrl-C or an exception; the load users, the synthetic feeds
(their entries, fetch log rows) and the Redis database are removed again, so the reading
data set is left as it was.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REDIS_DEFAULT = "redis://127.0.0.1:6379/12"
LOAD_USER_PREFIX = "bench-load-"
FEED_PATH = "/load/"  # URL prefix the synthetic feeds are served under (cleanup pattern)
TOKEN_NAME = "bench-load"  # noqa: S105 (the API tokens' label, not a secret)
FEEDS_PER_USER = 20  # 50 users x 20 = the 1,000 synthetic feeds, one subscriber each
P95_TARGET_MS = 200.0
LOGS = ROOT / "var" / "bench" / "load"  # output of the processes started here


# --- processes ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start ``args`` in its own session (process group), so it and its children stop together.

    Its output goes to ``log`` (var/bench/load/), read when something failed.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        return subprocess.Popen(
            args, cwd=ROOT, env=env, start_new_session=True, stdout=out, stderr=subprocess.STDOUT
        )


def _stop(proc: subprocess.Popen, timeout: float = 20.0) -> None:
    """SIGTERM the process group of ``proc``, then SIGKILL whatever is left of it."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=timeout)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # pool children that outlived their parent
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def _start_gunicorn(env: dict[str, str], port: int, workers: int, threads: int):
    args = [sys.executable, "-m", "gunicorn", "reader.project.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            "--worker-class", "gthread", "--threads", str(threads), "--backlog", "512",
            "--timeout", "60", "--graceful-timeout", "5", "--keep-alive", "5",
            "--log-level", "warning"]  # fmt: skip
    return _spawn(args, env, LOGS / "gunicorn.log")


def _start_celery(env: dict[str, str], index: int, nice: int = 0) -> subprocess.Popen:
    prefix = ["nice", "-n", str(nice)] if nice else []
    args = [*prefix, sys.executable, "-m", "celery", "-A", "reader.project", "worker",
            "-Q", "interactive,feeds,default", "--pool", "solo", "--concurrency", "1",
            "--loglevel", "WARNING",
            "-n", f"bench-load-{index}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat"]  # fmt: skip
    return _spawn(args, env, LOGS / f"celery-{index}.log")


def _wait(condition, *, timeout: float, what: str, procs: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dead = [p for p in procs if p.poll() is not None]
        if dead:
            raise RuntimeError(f"{what}: a process exited with status {dead[0].returncode}")
        if condition():
            return
        time.sleep(0.3)
    raise RuntimeError(f"{what}: not ready within {timeout:.0f} s")


# --- data --------------------------------------------------------------------------------------


def _feed_url_pattern() -> str:
    return f"http://127.0.0.1:%{FEED_PATH}feed%"


def cleanup() -> None:
    """Remove the load users and the synthetic feeds (entries, subscriptions, fetch log rows)."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from feeds.models import Feed, FetchLog

    with transaction.atomic():
        get_user_model().objects.filter(username__startswith=LOAD_USER_PREFIX).delete()
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM feeds_feed WHERE url LIKE %s", [_feed_url_pattern()])
            ids = [row[0] for row in cursor.fetchall()]
        if ids:
            FetchLog.objects.filter(feed_id__in=ids).delete()
            Feed.objects.filter(pk__in=ids).delete()


def _clone(cursor, model, *, source: int, target: int) -> None:
    """Copy ``model``'s rows of user ``source`` to user ``target`` (INSERT ... SELECT)."""
    columns = [
        f.column
        for f in model._meta.concrete_fields
        if not f.primary_key and f.column not in ("user_id", "category_id")
    ]
    names = ", ".join(columns)
    table = model._meta.db_table
    cursor.execute(
        f"INSERT INTO {table} (user_id, {names}) "  # noqa: S608 (model metadata only)
        f"SELECT %s, {names} FROM {table} WHERE user_id = %s",
        [target, source],
    )


@dataclass
class LoadUser:
    """One simulated user: its token and its subscription ids."""

    username: str
    token: str
    subscription_ids: list[int]


def prepare(*, host, files: list[Path], users: int) -> tuple[list[LoadUser], list[int]]:
    """Create the synthetic feeds and the load users; returns (users, synthetic feed ids)."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.db.models import Max

    from accounts import services as account_services
    from bench.reading import USER_PREFIX
    from feeds.models import Entry, Feed
    from reader.models import EntryState, Subscription

    User = get_user_model()
    sources = list(User.objects.filter(username__startswith=USER_PREFIX).order_by("id")[:users])
    if len(sources) < users:
        raise RuntimeError(f"the reading data set has {len(sources)} users, {users} needed")
    watermark = Entry.objects.aggregate(m=Max("id"))["m"] or 0
    with transaction.atomic():
        feeds = Feed.objects.bulk_create(
            [Feed(url=host.url(f"{FEED_PATH}{f.name}")) for f in files], batch_size=500
        )
        feed_ids = [f.pk for f in feeds]
        made: list[tuple[object, list[int]]] = []
        with connection.cursor() as cursor:
            for n, source in enumerate(sources):
                user = User.objects.create(username=f"{LOAD_USER_PREFIX}{n:02d}")
                user.set_unusable_password()
                user.save(update_fields=["password"])
                _clone(cursor, Subscription, source=source.pk, target=user.pk)
                _clone(cursor, EntryState, source=source.pk, target=user.pk)
                mine = feed_ids[n * FEEDS_PER_USER : (n + 1) * FEEDS_PER_USER]
                Subscription.objects.bulk_create(
                    [Subscription(user=user, feed_id=fid, read_max_id=watermark) for fid in mine]
                )
                made.append((user, mine))
    result = []
    for user, _ in made:
        _, raw = account_services.token_create(user=user, name=TOKEN_NAME)
        subs = list(Subscription.objects.filter(user=user).values_list("id", flat=True))
        result.append(LoadUser(user.username, raw, subs))
    leftover = len(feed_ids) - users * FEEDS_PER_USER
    if leftover > 0:  # fewer users than 50: the remaining feeds go to the first user
        Subscription.objects.bulk_create(
            [
                Subscription(user=made[0][0], feed_id=fid, read_max_id=watermark)
                for fid in feed_ids[users * FEEDS_PER_USER :]
            ]
        )
    with connection.cursor() as cursor:
        for table in ("reader_subscription", "reader_entrystate", "feeds_feed", "accounts_user"):
            cursor.execute(f"ANALYZE {table}")
    return result, feed_ids


def enqueue_all(feed_ids: list[int]) -> None:
    """Make every synthetic feed due now and send one ``refresh_feed`` each (queue ``feeds``).

    Only these ids are enqueued (not ``refresh_due_feeds``, which would also hand out any
    other due feed of the database): nothing but the loopback feed server is fetched.
    """
    from django.utils import timezone

    from feeds.models import Feed
    from feeds.tasks import refresh_feed

    Feed.objects.filter(pk__in=feed_ids).update(next_fetch_at=timezone.now(), leased_until=None)
    for feed_id in feed_ids:
        refresh_feed.apply_async((feed_id,), queue="feeds")


def ingested(feed_ids: list[int]) -> int:
    """How many of ``feed_ids`` have been fetched successfully at least once."""
    from feeds.models import Feed

    return Feed.objects.filter(pk__in=feed_ids, last_success_at__isnull=False).count()


def refreshed_between(feed_ids: list[int], start, end) -> dict:
    """Fetch log of the synthetic feeds in [start, end]: feeds refreshed (200 or 304),
    fetches, outcomes, new entries."""
    from django.db.models import Count, Sum

    from feeds.models import FetchLog

    logs = FetchLog.objects.filter(feed_id__in=feed_ids, at__gte=start, at__lte=end)
    outcomes = dict(logs.values_list("outcome").annotate(n=Count("id")).order_by())
    return {
        "feeds": logs.filter(outcome__in=["ok", "not_modified"])
        .values("feed_id")
        .distinct()
        .count(),
        "fetches": logs.count(),
        "outcomes": outcomes,
        "new": logs.aggregate(n=Sum("new"))["n"] or 0,
    }


# --- simulated users ---------------------------------------------------------------------------


@dataclass
class Recorder:
    """Latencies (ms) by kind of request, and errors (thread-safe appends)."""

    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, ms: float, error: str | None) -> None:
        with self.lock:
            self.times[kind].append(ms)
            if error is not None:
                self.errors[f"{kind}: {error.split(':', 1)[0]}"] += 1
                if len(self.samples) < 5:
                    self.samples.append(f"{kind}: {error}")


def _request(session, recorder: Recorder, kind: str, method: str, url: str, **kw):
    """One request; records its latency and, unless it answered 200, an error. Returns JSON."""
    started = time.perf_counter()
    error, data = None, None
    try:
        response = session.request(method, url, timeout=30, **kw)
        if response.status_code != 200:
            error = f"HTTP {response.status_code}: {response.text[:200]}"
        else:
            data = response.json()
    except Exception as exc:  # every failure is an error to count
        error = f"{type(exc).__name__}: {exc}"
    recorder.add(kind, (time.perf_counter() - started) * 1000, error)
    return data


def user_loop(
    base: str, user: LoadUser, *, seed: int, think: float, stop: threading.Event, rec: Recorder
) -> None:
    """One simulated reader until ``stop`` is set (see the module docstring for the mix)."""
    import requests

    rng = random.Random(seed)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {user.token}"

    def pause() -> bool:
        return not stop.wait(rng.uniform(think * 0.5, think * 1.5))

    if not pause():  # staggered start
        return
    while not stop.is_set():
        page = _request(session, rec, "list unread", "GET", f"{base}/api/v1/entries/",
                        params={"status": "unread", "limit": 50})  # fmt: skip
        results = (page or {}).get("results") or []
        if results:
            entry_id = rng.choice(results[:10])["id"]
            if not pause():
                break
            _request(session, rec, "open entry", "GET", f"{base}/api/v1/entries/{entry_id}/")
            if not pause():
                break
            _request(session, rec, "mark read", "PATCH", f"{base}/api/v1/entries/{entry_id}/",
                     json={"read": True})  # fmt: skip
            if rng.random() < 0.2:
                if not pause():
                    break
                _request(session, rec, "star", "PATCH", f"{base}/api/v1/entries/{entry_id}/",
                         json={"starred": True})  # fmt: skip
        if rng.random() < 0.25:
            if not pause():
                break
            _request(session, rec, "list subscription", "GET", f"{base}/api/v1/entries/",
                     params={"status": "unread", "limit": 50,
                             "subscription": rng.choice(user.subscription_ids)})  # fmt: skip
        if rng.random() < 0.05:
            if not pause():
                break
            _request(session, rec, "subscription list", "GET", f"{base}/api/v1/subscriptions/")
        if not pause():
            break
    session.close()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


def _load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def run_users(
    base: str, users: list[LoadUser], *, seconds: float, think: float, tick=None
) -> tuple[Recorder, float, list[float]]:
    """Run the simulated users for ``seconds``; returns (recorder, elapsed s, 1-min loads).

    ``tick()``, when given, is called about every 5 s meanwhile.
    """
    rec, stop = Recorder(), threading.Event()
    threads = [
        threading.Thread(
            target=user_loop,
            args=(base, user),
            kwargs={"seed": n, "think": think, "stop": stop, "rec": rec},
            daemon=True,
        )
        for n, user in enumerate(users)
    ]
    loads: list[float] = []
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    try:
        while time.perf_counter() - started < seconds:
            time.sleep(min(5.0, max(0.0, seconds - (time.perf_counter() - started))))
            loads.append(os.getloadavg()[0])
            if tick is not None:
                tick()
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=40)
    return rec, time.perf_counter() - started, loads


def report(rec: Recorder, elapsed: float) -> dict:
    """Print the latency table; returns the overall figures."""
    everything = [ms for values in rec.times.values() for ms in values]
    errors = sum(rec.errors.values())
    overall = {
        "requests": len(everything),
        "rps": len(everything) / elapsed,
        "p50": _percentile(everything, 0.50),
        "p95": _percentile(everything, 0.95),
        "p99": _percentile(everything, 0.99),
        "errors": errors,
    }
    print(
        f"   {'request':<20} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}"
    )
    rows = sorted(rec.times.items(), key=lambda kv: -len(kv[1]))
    for kind, values in [*rows, ("all", everything)]:
        print(
            f"   {kind:<20} {len(values):>7,} {_percentile(values, 0.5):>8.1f} "
            f"{_percentile(values, 0.95):>8.1f} {_percentile(values, 0.99):>8.1f} "
            f"{max(values):>8.1f}"
        )
    verdict = "met" if errors == 0 and overall["p95"] < P95_TARGET_MS else "MISSED"
    print(
        f"   {overall['requests']:,} requests in {elapsed:.1f} s: {overall['rps']:.1f} requests/s; "
        f"p50 {overall['p50']:.1f} ms, p95 {overall['p95']:.1f} ms, p99 {overall['p99']:.1f} ms; "
        f"{errors} errors (target: 0 errors, p95 < {P95_TARGET_MS:.0f} ms: {verdict})",
        flush=True,
    )
    if errors:
        print(f"   errors: {dict(rec.errors)}; e.g. {rec.samples}", flush=True)
    return overall


# --- CPU accounting ----------------------------------------------------------------------------

APP_NAME = "tidings-bench-load"  # PGAPPNAME of the children: finds their PostgreSQL backends
TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw.rsplit(")", 1)[1].split()  # state, ppid, pgrp, ... (after the command name)


def _cpu_of(fields: list[str]) -> float:
    """utime + stime + reaped children's cutime + cstime, in seconds."""
    return sum(int(v) for v in fields[11:15]) / TICK


def group_cpu(pgid: int) -> float:
    """CPU seconds of every live process of process group ``pgid`` (and its reaped children)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None and int(fields[2]) == pgid:
                total += _cpu_of(fields)
    return total


def postgres_cpu() -> float:
    """CPU seconds of the whole PostgreSQL server (every database): the postmaster, its live
    children, and the children it reaped (a backend's time lands in its parent's cutime)."""
    comm: dict[int, tuple[str, int, list[str]]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                raw = (entry / "stat").read_text()
            except OSError:
                continue
            name = raw[raw.index("(") + 1 : raw.rindex(")")]
            fields = raw.rsplit(")", 1)[1].split()
            comm[int(entry.name)] = (name, int(fields[1]), fields)
    roots = [
        pid
        for pid, (name, ppid, _) in comm.items()
        if name == "postgres" and comm.get(ppid, ("",))[0] != "postgres"
    ]
    total = 0.0
    for root in roots:
        total += _cpu_of(comm[root][2])
        total += sum(_cpu_of(f) for pid, (_, ppid, f) in comm.items() if ppid == root)
    return total


def machine_busy() -> float:
    """CPU seconds the whole machine spent busy since boot (all CPUs; /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / TICK  # minus idle and iowait


class CpuMeter:
    """CPU seconds of the parts of the bench over a time window (Linux /proc; else zeros).

    Parts: gunicorn and Celery (their process groups), the PostgreSQL backends of their
    connections (``application_name`` APP_NAME, sampled while they live: a backend that
    closes between two samples loses its last seconds), the feed server, this process
    (the simulated users), and the machine as a whole.
    """

    def __init__(self, *, gunicorn: int, celery: list[int], feedhost: int | None) -> None:
        self.gunicorn, self.celery, self.feedhost = gunicorn, celery, feedhost
        self.backends: dict[int, float] = {}
        self.enabled = Path("/proc/stat").exists()

    def sample_backends(self) -> None:
        """Record the CPU of the bench's PostgreSQL backends seen now."""
        if not self.enabled:
            return
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [APP_NAME]
            )
            pids = [row[0] for row in cursor.fetchall()]
        for pid in pids:
            fields = _stat_fields(pid)
            if fields is not None:
                self.backends[pid] = _cpu_of(fields)

    def snapshot(self) -> dict[str, float]:
        """Cumulative CPU seconds of each part now."""
        if not self.enabled:
            return {}
        self.sample_backends()
        feedhost = _stat_fields(self.feedhost) if self.feedhost else None
        return {
            "machine": machine_busy(),
            "gunicorn": group_cpu(self.gunicorn),
            "celery": sum(group_cpu(pid) for pid in self.celery),
            "postgres": sum(self.backends.values()),
            "postgres server": postgres_cpu(),
            "feed server": _cpu_of(feedhost) if feedhost else 0.0,
            "users": time.process_time(),
        }


def cpu_report(before: dict, after: dict, seconds: float, *, requests: int, feeds: int) -> None:
    """Print where the CPU seconds of the run went."""
    if not before or not after:
        return
    used = {k: max(0.0, after[k] - before[k]) for k in before}
    ours = sum(v for k, v in used.items() if k not in ("machine", "postgres", "postgres server"))
    others = max(0.0, used["machine"] - ours - used["postgres server"])
    available = seconds * (os.cpu_count() or 1)
    per_request = 1000 * used["gunicorn"] / max(1, requests)
    per_feed = 1000 * used["celery"] / max(1, feeds)
    print(
        f"   CPU seconds in {seconds:.0f} s ({available:.0f} available): machine busy "
        f"{used['machine']:.0f}; gunicorn {used['gunicorn']:.1f} ({per_request:.1f} ms per "
        f"request), Celery {used['celery']:.1f} ({per_feed:.0f} ms per feed), "
        f"gunicorn's PostgreSQL backends {used['postgres']:.1f} (sampled every 5 s: Celery's "
        f"short-lived connections escape it), feed server {used['feed server']:.1f}, "
        f"simulated users {used['users']:.1f}; the whole PostgreSQL server (every database) "
        f"{used['postgres server']:.1f}; other processes on the machine {others:.0f}",
        flush=True,
    )


# --- main --------------------------------------------------------------------------------------


def _redis_flush(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.flushdb()
    finally:
        client.close()


def _raise_exit(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> None:
    """Seed (via bench.reading, once), start the servers and workers, load, print, stop."""
    parser = argparse.ArgumentParser(prog="bench.load", description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="duration of the load")
    parser.add_argument("--warmup", type=float, default=10.0, help="unmeasured load first, s")
    parser.add_argument("--users", type=int, default=50, help="simulated users (at most 50)")
    parser.add_argument("--think", type=float, default=1.0, help="mean think time, seconds")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn gthread workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument(
        "--celery",
        type=int,
        default=2,
        help="Celery worker processes (0: no refreshing, a control run)",
    )
    parser.add_argument(
        "--warm",
        action="store_true",
        help="ingest every feed once before the run, so that its refreshes are 304s",
    )
    parser.add_argument(
        "--nice", type=int, default=0, help="run the Celery workers at this niceness (0-19)"
    )
    args = parser.parse_args(list(argv if argv is not None else []))
    if not 1 <= args.users <= 50:
        parser.error("--users: 1 to 50 (1,000 synthetic feeds / 20 per user)")
    from bench.reading import use_reading_database

    if not use_reading_database("bench.load", list(argv or [])):
        return
    from bench import env

    description = env.configure()
    redis_url = os.environ.get("BENCH_LOAD_REDIS_URL", REDIS_DEFAULT)
    os.environ["REDIS_URL"] = redis_url  # broker and cache of this bench's processes
    os.environ["DEBUG"] = "0"
    (env.VAR / "static").mkdir(parents=True, exist_ok=True)
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        print(f"   load bench needs PostgreSQL; database is {description}: skipped")
        return
    from bench.feedhost import FeedHost
    from bench.pipeline import SYNTHETIC_DIR, synthetic_files

    signal.signal(signal.SIGTERM, _raise_exit)
    SYNTHETIC_DIR.mkdir(parents=True, exist_ok=True)
    files = synthetic_files()
    procs: list[subprocess.Popen] = []
    _redis_flush(redis_url)
    cleanup()  # what an interrupted earlier run may have left
    print(
        f"   database: {description}; Redis {redis_url}; {os.cpu_count()} CPUs; "
        f"load average before: {_load()}",
        flush=True,
    )
    try:
        with FeedHost({FEED_PATH: SYNTHETIC_DIR}) as host:
            started = time.perf_counter()
            users, feed_ids = prepare(host=host, files=files, users=args.users)
            print(
                f"   {len(users)} load users (200 seeded subscriptions + {FEEDS_PER_USER} "
                f"synthetic feeds each), {len(feed_ids):,} synthetic feeds on "
                f"{host.url(FEED_PATH)}: prepared in {time.perf_counter() - started:.1f} s",
                flush=True,
            )
            connection.close()
            child_env = {**os.environ, "LOG_LEVEL": "WARNING", "PGAPPNAME": APP_NAME}
            port = _free_port()
            procs.append(_start_gunicorn(child_env, port, args.workers, args.threads))
            workers = [_start_celery(child_env, n, args.nice) for n in range(args.celery)]
            procs.extend(workers)
            from reader.project.celery import app as celery_app

            _wait(lambda: _port_open(port), timeout=60, what="gunicorn", procs=procs)
            _wait(
                lambda: (
                    args.celery == 0
                    or len(celery_app.control.ping(timeout=1.0) or []) >= args.celery
                ),
                timeout=90,
                what="Celery workers",
                procs=procs,
            )
            base = f"http://127.0.0.1:{port}"
            print(
                f"   gunicorn: {args.workers} gthread workers x {args.threads} threads; "
                f"{args.celery} Celery worker processes (solo pool, nice {args.nice}); "
                f"{len(users)} users, "
                f"think time {args.think * 0.5:g}-{args.think * 1.5:g} s, {args.seconds:g} s",
                flush=True,
            )
            if args.warmup > 0:  # first requests of each worker and user: not measured
                _, _, _ = run_users(base, users, seconds=args.warmup, think=args.think)
                print(f"   warm-up: {args.warmup:g} s of the same load, not counted", flush=True)
            from django.utils import timezone

            if args.warm and args.celery:  # every feed stored once: the run's refreshes are 304s
                started = time.perf_counter()
                enqueue_all(feed_ids)
                _wait(
                    lambda: ingested(feed_ids) >= len(feed_ids),
                    timeout=600,
                    what="first ingest of the synthetic feeds",
                    procs=procs,
                )
                took = time.perf_counter() - started
                print(
                    f"   --warm: every feed ingested once first ({took:.0f} s, not counted); "
                    "the run's refreshes find them unchanged (304)",
                    flush=True,
                )
            meter = CpuMeter(
                gunicorn=procs[0].pid,
                celery=[w.pid for w in workers],
                feedhost=getattr(getattr(host, "_process", None), "pid", None),
            )
            cpu_before = meter.snapshot()
            t0 = timezone.now()
            if args.celery:
                enqueue_all(feed_ids)
            rec, elapsed, loads = run_users(
                base, users, seconds=args.seconds, think=args.think, tick=meter.sample_backends
            )
            t1 = timezone.now()
            cpu_after = meter.snapshot()
            overall = report(rec, elapsed)
            done = refreshed_between(feed_ids, t0, t1)
            print(
                f"   feeds refreshed during the run: {done['feeds']:,} of {len(feed_ids):,} "
                f"({done['feeds'] / max(1e-9, (t1 - t0).total_seconds()) * 60:.0f} per minute), "
                f"{done['new']:,} entries stored; fetch outcomes {done['outcomes']}",
                flush=True,
            )
            cpu_report(
                cpu_before,
                cpu_after,
                (t1 - t0).total_seconds(),
                requests=overall["requests"],
                feeds=done["fetches"],
            )
            during = f"{statistics.mean(loads):.1f} mean, {max(loads):.1f} max" if loads else "-"
            print(f"   load average (1 min) during the run: {during}; after: {_load()}", flush=True)
    finally:
        for proc in procs:
            _stop(proc)
        with contextlib.suppress(Exception):
            _redis_flush(redis_url)
        connection.close()
        started = time.perf_counter()
        cleanup()
        print(f"   cleaned up in {time.perf_counter() - started:.1f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
