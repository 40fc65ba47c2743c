"""CPU accounting of PostgreSQL backends and of processes, for the production-path bench.

A PostgreSQL backend is a process of its own, forked by the postmaster for each new
connection. Its CPU time is not in the client's figures, and once it exits its time only
survives, mixed with every other backend's, in the postmaster's reaped-children total. So
the CPU of a benchmark's backends is read from ``/proc`` while they live:

- ``cpu_ns(pid)``: CPU time in nanoseconds of a process (all its threads) from
  ``/proc/<pid>/task/*/schedstat`` (the scheduler's exact run time; ``/proc/<pid>/stat``
  counts clock ticks of 10 ms, which loses up to 20 ms per short-lived backend);
- ``install()`` (imported into each Celery worker with ``celery worker --include
  bench.backend_cpu``; it installs itself when ``BENCH_BACKEND_CPU_LOG`` is set): every
  PostgreSQL connection Django opens in that process gets its ``close()`` wrapped, so that
  just before the connection closes its backend's CPU is appended to the log file as
  ``"<pid> <ns>"``. Celery's Django fix-up closes the connection around every task, so
  without this the backend of each task would be gone before anyone read it;
- ``BackendMeter``: the bench's view: the last reading of every backend it knows (from the
  log, and by sampling the live backends of its ``application_name``); the sum over all of
  them at two moments gives the backends' CPU in between, closed ones included.

Linux only (``/proc``); elsewhere every figure is 0.
"""

from __future__ import annotations

import os
from pathlib import Path

LOG_ENV = "BENCH_BACKEND_CPU_LOG"
TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_ns(pid: int) -> int | None:
    """CPU nanoseconds of process ``pid`` (every thread), or None when it is gone."""
    total, found = 0, False
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return None
    for task in tasks:
        try:
            total += int((task / "schedstat").read_text().split()[0])
            found = True
        except (OSError, ValueError, IndexError):
            continue
    return total if found else None


def stat_fields(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (state, ppid, pgrp, ...)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw.rsplit(")", 1)[1].split()


def group_pids(pgid: int) -> list[int]:
    """Pids of the live processes of process group ``pgid``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = stat_fields(int(entry.name))
            if fields is not None and int(fields[2]) == pgid:
                pids.append(int(entry.name))
    return pids


def reaped_children_seconds(pid: int) -> float:
    """CPU seconds of the children ``pid`` has reaped (cutime + cstime of /proc/<pid>/stat)."""
    fields = stat_fields(pid)
    return sum(int(v) for v in fields[13:15]) / TICK if fields else 0.0


# --- inside a worker ----------------------------------------------------------------------


def _record(path: str, pid: int) -> None:
    ns = cpu_ns(pid)
    if ns is None:
        return
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{pid} {ns}\n".encode())  # one write under O_APPEND: lines never mix
    finally:
        os.close(fd)


def _watch(sender, connection, **kwargs) -> None:
    path = os.environ.get(LOG_ENV)
    if not path or connection.vendor != "postgresql":
        return
    raw = connection.connection
    pid = raw.info.backend_pid
    original = raw.close

    def close() -> None:
        _record(path, pid)
        original()

    raw.close = close


def install() -> None:
    """Wrap the close of every PostgreSQL connection Django opens from now on (see above)."""
    from django.db.backends.signals import connection_created

    connection_created.connect(_watch, dispatch_uid="bench.backend_cpu")


if os.environ.get(LOG_ENV):
    install()


# --- in the bench ---------------------------------------------------------------------------


class BackendMeter:
    """CPU of the PostgreSQL backends of connections named ``application_name``.

    ``total_ns()``: the sum of the last reading of every backend seen so far: from the
    log the workers append to when a connection closes, and from sampling the live ones
    (``pg_stat_activity``). A difference of two totals is the backends' CPU in between.
    """

    def __init__(self, *, application_name: str, log: Path) -> None:
        self.application_name = application_name
        self.log = log
        self.last: dict[int, int] = {}
        self.closed: set[int] = set()
        self._offset = 0

    def _read_log(self) -> None:
        if not self.log.exists():
            return
        with self.log.open("rb") as handle:
            handle.seek(self._offset)
            data = handle.read()
        complete = data[: data.rfind(b"\n") + 1]
        self._offset += len(complete)
        for line in complete.decode().splitlines():
            pid, ns = (int(v) for v in line.split())
            self.last[pid] = max(ns, self.last.get(pid, 0))
            self.closed.add(pid)

    def live_pids(self) -> list[int]:
        """Pids of the live backends of ``application_name`` (one query on the bench's own
        connection)."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = %s",
                [self.application_name],
            )
            return [row[0] for row in cursor.fetchall()]

    def total_ns(self) -> int:
        """Sum of the last reading of every backend seen (see the class docstring)."""
        self._read_log()
        for pid in self.live_pids():
            if pid in self.closed:
                continue
            ns = cpu_ns(pid)
            if ns is not None:
                self.last[pid] = max(ns, self.last.get(pid, 0))
        self._read_log()  # a backend that closed meanwhile: its final reading wins
        return sum(self.last.values())

    def backends(self) -> int:
        """How many distinct backends have been seen (connections opened)."""
        return len(self.last)
