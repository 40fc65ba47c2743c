"""The embedded default and a small stack: ``python -m bench embedded``.

Two stacks, each started the way its users start it, each in a child process of this one (Django
is configured once per process):

- ``embedded``: ``make run`` -- ``manage.py prepare_run`` then ``manage.py run_all`` (web, Celery
  worker, beat) on SQLite and the filesystem broker, in a folder of its own
  (``var/bench/embedded/``, ``TIDINGS_VAR_DIR``), database and broker emptied first;
- ``production``: the commands of ``docker/compose.yml``'s ``web``, ``worker`` and ``beat``
  services (``production_commands``), run without docker on PostgreSQL
  (``tidings_bench_embedded`` or ``BENCH_EMBEDDED_DATABASE_URL``, created fresh) and Redis
  (``BENCH_EMBEDDED_REDIS_URL``, default ``redis://127.0.0.1:6379/8``, emptied before and
  after), DEBUG off.

For each stack: the processes start and sit idle ``--idle`` seconds (60); their memory is read
(RSS and PSS from ``/proc/<pid>/smaps_rollup``, by part: web, worker, beat, and ``run_all``'s
supervisor). Then a newcomer imports the 1,000 synthetic feeds x 50 entries of
``../shared/bench/synthetic_feeds.py`` (the files of ``bench.pipeline``, served by
``bench.feedhost`` on loopback in another process) as one OPML file over the REST API
(``POST /api/v1/opml/import/``, a bearer token): the **cold ingest** lasts until every feed has
been fetched successfully and its 50 entries stored. Then every feed is made due and the
scheduler's task (``feeds.tasks.refresh_due_feeds``, what beat sends every minute) is sent once:
the **re-poll** (every answer a 304) lasts until every feed has been fetched again. Memory is
read again after the ingest.

Printed for each phase: wall seconds; CPU seconds (utime + stime from ``/proc/<pid>/stat``, of
every process of the stack, reaped children included) split by part, per 1,000 entries (cold)
and per 1,000 polls (re-poll); the feed server's CPU; refresh deliveries (tasks' feed ids the
worker received) against feeds (a feed delivered twice is a duplicate refresh: target none);
"database is locked" lines in the stack's log (target none); the load average before and
after, and, as the baseline of the same run, the CPU seconds the whole machine spent busy (the
machine is shared: read every figure next to it).

``--stack`` runs one stack in this process; ``--memory-only`` stops after the memory at rest;
``--worker-args`` adds options to the production worker's command (to try a pool).

Targets (embedded): cold ingest <= 150 s wall, re-poll <= 12 s, no duplicate refresh, no
"database is locked"; memory at rest under 200 MB PSS (embedded) and under 300 MB PSS (web +
worker + beat of the production stack).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench" / "embedded"
PG_URL = os.environ.get(
    "BENCH_EMBEDDED_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tidings_bench_embedded"
)
REDIS_DEFAULT = "redis://127.0.0.1:6379/8"
FEED_PATH = "/embedded/"
TICK = os.sysconf("SC_CLK_TCK")
COLD_TARGET, WARM_TARGET = 150.0, 12.0
MEMORY_TARGETS = {"embedded": 200.0, "production": 300.0}  # MB PSS at rest
USERNAME = "bench-newcomer"

COMPOSE = ROOT / "docker" / "compose.yml"
_DEFAULTED = re.compile(r"\$\{([A-Z_]+):-([^}]*)\}")


def production_commands(port: int, schedule: Path) -> tuple[dict[str, list[str]], dict[str, str]]:
    """docker/compose.yml's web, worker and beat commands, and the app environment's defaults.

    Read from the compose file, so the bench runs what compose runs: ``${VAR:-default}``
    becomes its default, the web binds 127.0.0.1:``port`` (without its migrate and
    load_directory prelude: prepare_run does that here), beat keeps its schedule in
    ``schedule``. The environment part holds the app variables compose sets with a default
    (``CELERY_WORKER_CONCURRENCY``).
    """
    import shlex

    import yaml

    services = yaml.safe_load(COMPOSE.read_text())["services"]
    web = _DEFAULTED.sub(r"\2", services["web"]["command"])
    web = web[web.index("gunicorn") :].rstrip().rstrip('"')
    web = web.replace("0.0.0.0:8000", f"127.0.0.1:{port}")
    beat = [
        a.replace("/data/celerybeat-schedule", str(schedule)) for a in services["beat"]["command"]
    ]
    env = {}
    for name, value in services["web"]["environment"].items():
        match = _DEFAULTED.fullmatch(str(value))
        if name.startswith("CELERY_") and match:
            env[name] = match.group(2)
    worker = [_DEFAULTED.sub(r"\2", a) for a in services["worker"]["command"]]
    beat = [_DEFAULTED.sub(r"\2", a) for a in beat]
    commands = {"web": shlex.split(web), "worker": worker, "beat": beat}
    return commands, env


# --- /proc -------------------------------------------------------------------------------------


def _proc_table() -> dict[int, tuple[int, list[str], str]]:
    """pid -> (parent pid, /proc/<pid>/stat fields after the name, command line)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = raw.rsplit(")", 1)[1].split()
        table[int(entry.name)] = (int(fields[1]), fields, cmdline)
    return table


def _descendants(root: int, table: dict) -> list[int]:
    found, frontier = [root], [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, (ppid, _, _) in table.items() if ppid == parent]
        found += children
        frontier += children
    return [pid for pid in found if pid in table]


def _cpu(fields: list[str]) -> float:
    """utime + stime + reaped children's cutime + cstime, in seconds."""
    return sum(int(v) for v in fields[11:15]) / TICK


def _memory(pid: int) -> tuple[float, float]:
    """(RSS, PSS) of ``pid`` in MB, from /proc/<pid>/smaps_rollup; zeros if it is gone."""
    values = {"Rss": 0.0, "Pss": 0.0}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in values:
                values[name] = int(rest.split()[0]) / 1024
    return values["Rss"], values["Pss"]


def machine_busy() -> float:
    """CPU seconds the whole machine spent busy since boot (every CPU; /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / TICK


def _classify(cmdline: str) -> str:
    if "runserver" in cmdline or "gunicorn" in cmdline:
        return "web"
    if " beat" in cmdline:
        return "beat"
    if " worker" in cmdline:
        return "worker"
    if "run_all" in cmdline:
        return "run_all"
    return "other"


def parts(roots: list[int]) -> dict[str, list[int]]:
    """Part name (web, worker, beat, run_all) -> pids.

    Each root and each direct child of a ``run_all`` root is classified by its command line;
    deeper descendants (pool processes) count with their ancestor's part, except the child
    of a worker started with ``-B`` and a thread pool, which can only be its embedded beat.
    A ``run_all`` that serves the web itself (no web child) is the part "web (run_all)".
    """
    table = _proc_table()
    found: dict[str, list[int]] = {}
    for root in roots:
        if root not in table:
            continue
        kind = _classify(table[root][2])
        heads = [(root, kind)]
        if kind == "run_all":
            heads = [(pid, _classify(cmd)) for pid, (pp, _, cmd) in table.items() if pp == root]
            serves = any(head_kind == "web" for _, head_kind in heads)
            found.setdefault("run_all" if serves else "web (run_all)", []).append(root)
        for head, head_kind in heads:
            command = table[head][2]
            if head_kind == "worker" and " -B" in command and "--pool threads" in command:
                found.setdefault("worker", []).append(head)
                found.setdefault("beat (in worker)", []).extend(
                    pid for pid in _descendants(head, table) if pid != head
                )
            else:
                found.setdefault(head_kind, []).extend(_descendants(head, table))
    return found


def cpu_by_part(roots: list[int]) -> dict[str, float]:
    """Cumulative CPU seconds of each part now (see ``parts``)."""
    table = _proc_table()
    return {
        name: sum(_cpu(table[pid][1]) for pid in pids if pid in table)
        for name, pids in parts(roots).items()
    }


def memory_by_part(roots: list[int]) -> dict[str, tuple[int, float, float]]:
    """Part -> (processes, RSS MB, PSS MB)."""
    result = {}
    for name, pids in parts(roots).items():
        sizes = [_memory(pid) for pid in pids]
        result[name] = (len(pids), sum(s[0] for s in sizes), sum(s[1] for s in sizes))
    return result


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def print_memory(stack: str, when: str, roots: list[int]) -> float:
    """Print the memory of the stack's parts; returns the total PSS in MB."""
    memory = memory_by_part(roots)
    total_rss = sum(v[1] for v in memory.values())
    total_pss = sum(v[2] for v in memory.values())
    detail = "; ".join(
        f"{name} {n} process{'es' if n > 1 else ''} RSS {rss:.0f} PSS {pss:.0f}"
        for name, (n, rss, pss) in sorted(memory.items())
    )
    target = MEMORY_TARGETS[stack]
    verdict = "met" if total_pss < target else "MISSED"
    print(
        f"   memory {when}: PSS {total_pss:.0f} MB, RSS {total_rss:.0f} MB "
        f"(target < {target:.0f} MB PSS: {verdict}) -- {detail}",
        flush=True,
    )
    return total_pss


# --- the stack ---------------------------------------------------------------------------------


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
    with log.open("ab") as out:
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
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def _wait(condition, *, timeout: float, what: str, procs: list[subprocess.Popen]) -> float:
    """Poll ``condition`` every 0.25 s; returns the seconds it took. Raises on timeout."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        dead = [p for p in procs if p.poll() is not None]
        if dead:
            raise RuntimeError(f"{what}: a process exited with status {dead[0].returncode}")
        if condition():
            return time.perf_counter() - started
        time.sleep(0.25)
    raise RuntimeError(f"{what}: not done within {timeout:.0f} s")


@dataclass
class Phase:
    """What one phase (cold ingest, re-poll) cost."""

    name: str
    wall: float
    cpu: dict[str, float]
    machine: float
    feedhost: float
    fetches: int
    entries: int
    deliveries: int
    feeds: int


def _stack_env(stack: str, var: Path, redis_url: str) -> dict[str, str]:
    env = {
        **os.environ,
        "TIDINGS_VAR_DIR": str(var),
        "FETCH_ALLOWED_NETWORKS": "127.0.0.0/8",
        "LOG_LEVEL": "INFO",
        "DJANGO_SETTINGS_MODULE": "reader.project.settings",
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("TIDINGS_BENCH_DATABASE", "BENCH_DATABASE_URL"):
        env.pop(name, None)
    if stack == "embedded":
        env.update(DATABASE_URL="", REDIS_URL="", TIDINGS_DEV="1")
    else:
        env.update(
            DATABASE_URL=PG_URL,
            REDIS_URL=redis_url,
            TIDINGS_DEV="0",
            DEBUG="0",
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SESSION_COOKIE_SECURE="0",
            CSRF_COOKIE_SECURE="0",
        )
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    return env


def _fresh_storage(stack: str, var: Path, redis_url: str) -> None:
    """Empty the stack's database and broker (its static files and run stamps are kept)."""
    for name in ("broker", "cache", "celerybeat-schedule"):
        path = var / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    for path in var.glob("tidings.sqlite3*"):
        path.unlink()
    if stack == "production":
        import psycopg
        import redis

        with psycopg.connect(
            "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True
        ) as conn:
            name = PG_URL.rsplit("/", 1)[1]
            if not name.startswith("tidings_bench"):
                raise RuntimeError(
                    f"the bench database's name must start with tidings_bench: {name}"
                )
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        redis.Redis.from_url(redis_url).flushdb()


def _opml(urls: list[str]) -> bytes:
    lines = "".join(
        f'<outline type="rss" text="Synthetic {n}" xmlUrl="{url}"/>' for n, url in enumerate(urls)
    )
    return (
        '<?xml version="1.0"?><opml version="2.0"><head><title>bench</title></head>'
        f'<body><outline text="Synthetic">{lines}</outline></body></opml>'
    ).encode()


def _post_opml(port: int, token: str, body: bytes) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/opml/import/",
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/x-opml"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return response.status


_RECEIVED = re.compile(r"Task feeds\.tasks\.refresh_feed\[")
_BATCH = re.compile(r"refresh batch feeds=(\d+)")


def deliveries(log: Path, start: int) -> int:
    """Feed ids handed to refresh tasks in the log after byte ``start`` (single or batch)."""
    with log.open("rb") as handle:
        handle.seek(start)
        text = handle.read().decode(errors="replace")
    single = sum(1 for line in text.splitlines() if _RECEIVED.search(line) and "received" in line)
    return single + sum(int(m.group(1)) for m in _BATCH.finditer(text))


def run_stack(
    stack: str,
    *,
    idle: float,
    timeout: float,
    memory_only: bool = False,
    worker_args: list[str] | None = None,
) -> None:
    """Start ``stack``, measure memory at rest, the cold ingest, the re-poll, memory after."""
    from bench.feedhost import FeedHost
    from bench.pipeline import SYNTHETIC_DIR, synthetic_files

    var = VAR / stack
    var.mkdir(parents=True, exist_ok=True)
    redis_url = os.environ.get("BENCH_EMBEDDED_REDIS_URL", REDIS_DEFAULT)
    _fresh_storage(stack, var, redis_url)
    env = _stack_env(stack, var, redis_url)
    os.environ.update({k: v for k, v in env.items() if k != "PATH"})
    log = var / "stack.log"
    log.write_bytes(b"")
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", "prepare_run"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"   {stack}: prepare_run {time.perf_counter() - started:.0f} s", flush=True)

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from accounts.services import token_create
    from feeds.models import Entry, Feed, FetchLog

    user = get_user_model().objects.create(username=USERNAME)
    _, token = token_create(user=user, name="bench")
    connection.close()

    files = synthetic_files()
    port = _free_port()
    procs: list[subprocess.Popen] = []
    with FeedHost({FEED_PATH: SYNTHETIC_DIR}) as host:
        try:
            if stack == "embedded":
                procs.append(
                    _spawn(
                        [sys.executable, "manage.py", "run_all", "--addr", f"127.0.0.1:{port}"],
                        env,
                        log,
                    )
                )
            else:
                commands, compose_env = production_commands(port, var / "celerybeat-schedule")
                commands["worker"] += worker_args or []
                for args in commands.values():
                    procs.append(_spawn(args, {**env, **compose_env}, log))
                print(f"   production commands: {commands}; {compose_env}", flush=True)
            _wait(lambda: _port_open(port), timeout=120, what="web", procs=procs)
            roots = [p.pid for p in procs]
            time.sleep(idle)
            print_memory(stack, f"after {idle:.0f} s idle", roots)
            if memory_only:
                return

            urls = [host.url(f"{FEED_PATH}{f.name}") for f in files]
            feedhost_pid = host._process.pid
            phases = []

            def snapshot():
                table = _proc_table()
                fh = _cpu(table[feedhost_pid][1]) if feedhost_pid in table else 0.0
                return cpu_by_part(roots), machine_busy(), fh, log.stat().st_size, timezone.now()

            def finish(name: str, before, wall: float, feeds: int) -> Phase:
                cpu, machine, fh, offset, since = before
                cpu_after, machine_after, fh_after, _, _ = snapshot()
                logs = FetchLog.objects.filter(at__gte=since)
                entries = Entry.objects.filter(feed__url__in=urls).count()
                connection.close()
                return Phase(
                    name=name,
                    wall=wall,
                    cpu={k: cpu_after.get(k, 0.0) - cpu.get(k, 0.0) for k in cpu_after},
                    machine=machine_after - machine,
                    feedhost=fh_after - fh,
                    fetches=logs.count(),
                    entries=entries,
                    deliveries=deliveries(log, offset),
                    feeds=feeds,
                )

            # Cold: the newcomer's OPML import, until every feed is stored.
            load_before = _load()
            before = snapshot()
            t0 = time.perf_counter()
            status = _post_opml(port, token, _opml(urls))
            if status not in (200, 201, 202):
                raise RuntimeError(f"OPML import answered {status}")

            def cold_done() -> bool:
                done = Feed.objects.filter(url__in=urls, last_success_at__isnull=False).count()
                connection.close()
                return done >= len(urls)

            _wait(cold_done, timeout=timeout, what="cold ingest", procs=procs)
            phases.append(finish("cold ingest", before, time.perf_counter() - t0, len(urls)))
            print(f"   load average before the cold ingest: {load_before}; after: {_load()}")

            # Re-poll: every feed due, one scheduler tick, until every feed was fetched again.
            time.sleep(5)  # let the last stores' follow-up tasks drain
            before = snapshot()
            t0 = time.perf_counter()
            marker = timezone.now()
            Feed.objects.filter(url__in=urls).update(next_fetch_at=marker, leased_until=None)
            from feeds.tasks import refresh_due_feeds

            refresh_due_feeds.delay()
            connection.close()

            def warm_done() -> bool:
                done = Feed.objects.filter(url__in=urls, last_fetched_at__gte=marker).count()
                connection.close()
                return done >= len(urls)

            _wait(warm_done, timeout=timeout, what="re-poll", procs=procs)
            phases.append(finish("re-poll (304)", before, time.perf_counter() - t0, len(urls)))
            outcomes = dict(
                FetchLog.objects.filter(at__gte=marker)
                .values_list("outcome")
                .annotate(n=Count("id"))
                .order_by()
            )
            connection.close()
            for phase in phases:
                report(stack, phase)
            print(f"   re-poll fetch outcomes: {outcomes}; load average now: {_load()}")
            time.sleep(min(idle, 30))
            print_memory(stack, "after the ingest", roots)
        finally:
            running = log.stat().st_size  # what the stack logged before it was told to stop
            for proc in procs:
                _stop(proc)
    text = log.read_bytes()[:running].decode(errors="replace")
    locked = text.count("database is locked")
    errors = len(re.findall(r"\bERROR\b", text))
    print(
        f'   log: {locked} "database is locked" (target 0), {errors} ERROR lines before the '
        f"stop ({log})",
        flush=True,
    )
    if stack == "production":
        with contextlib.suppress(Exception):
            import redis

            redis.Redis.from_url(redis_url).flushdb()


def report(stack: str, phase: Phase) -> None:
    """Print one phase's figures."""
    total = sum(phase.cpu.values())
    split = ", ".join(f"{k} {v:.1f}" for k, v in sorted(phase.cpu.items()))
    target = COLD_TARGET if phase.name.startswith("cold") else WARM_TARGET
    verdict = "met" if phase.wall <= target else "MISSED"
    duplicates = max(0, phase.deliveries - phase.feeds)
    if phase.name.startswith("cold"):
        per = f"{1000 * total / max(1, phase.entries):.2f} s per 1,000 entries"
    else:
        per = f"{1000 * total / max(1, phase.fetches):.2f} s per 1,000 polls"
    print(
        f"   {stack} {phase.name}: {phase.wall:.1f} s wall (target <= {target:.0f} s: {verdict}); "
        f"CPU {total:.1f} s ({split}; {per}); feed server {phase.feedhost:.1f} s; "
        f"machine busy {phase.machine:.0f} CPU s; {phase.fetches:,} fetches, "
        f"{phase.entries:,} entries; refresh deliveries {phase.deliveries:,} for "
        f"{phase.feeds:,} feeds ({duplicates:,} duplicates, target 0)",
        flush=True,
    )


def main(argv: list[str] | None = None) -> None:
    """Run each stack in a child process (``--stack``: one, in this process)."""
    parser = argparse.ArgumentParser(prog="bench.embedded", description=__doc__.split("\n")[0])
    parser.add_argument("--stack", choices=("embedded", "production"))
    parser.add_argument("--idle", type=float, default=60.0, help="seconds idle before measuring")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per phase at most")
    parser.add_argument("--memory-only", action="store_true", help="memory at rest, no ingest")
    parser.add_argument(
        "--worker-args",
        default="",
        help="production: more worker options to try, e.g. '--pool threads'",
    )
    args = parser.parse_args(list(argv if argv is not None else []))
    if args.stack:
        print(
            f"   {args.stack}: {os.cpu_count()} CPUs, load average {_load()}",
            flush=True,
        )
        run_stack(
            args.stack,
            idle=args.idle,
            timeout=args.timeout,
            memory_only=args.memory_only,
            worker_args=args.worker_args.split(),
        )
        return
    for stack in ("embedded", "production"):
        child = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_BENCH")}
        child["DATABASE_URL"] = os.environ.get("TIDINGS_BENCH_OUTER_DATABASE_URL", "")
        subprocess.run(
            [sys.executable, "-m", "bench.embedded", "--stack", stack,
             "--idle", str(args.idle), "--timeout", str(args.timeout)],
            cwd=ROOT, env=child, check=True,
        )  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1:])
