"""Liveness of the service's parts: database, broker, worker and beat heartbeats.

``/healthz`` answers JSON ``{"status": "ok"|"failing", "checks": {name: {"ok": bool,
"detail": str}}}`` with HTTP 200 when every check passes and 503 otherwise.

A heartbeat row (``reader.models.Heartbeat``) carries the identity ("hostname:pid") and
start time of the process that wrote it. It is not "ok" when it is older than
``HEARTBEAT_MAX_AGE``, when its process marked it stopped (the worker does on its shutdown
signal), or when it started before the current ``make run`` (the row ``run`` that
``run_all`` writes): a worker killed in an earlier run does not count as alive. With several
workers the row names the last one to beat; when that one stops, /healthz fails until another
beats again (within ``reader.project.celery.HEARTBEAT_SECONDS``, 15 s). A 503 is
expected while the service starts, so it is logged at INFO (logger ``django.request``), not
as Django's ERROR for a 5xx.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.log import log_response

from reader.models import Heartbeat
from reader.project.celery import app

#: A heartbeat older than this (seconds) counts as a dead process.
HEARTBEAT_MAX_AGE = 90


#: Heartbeat row that ``run_all`` (``make run``) writes when it starts its processes.
RUN_HEARTBEAT = Heartbeat.RUN


def process_identity() -> str:
    """This process as "hostname:pid" (the identity a heartbeat carries)."""
    return f"{socket.gethostname()}:{os.getpid()}"[:128]


def heartbeat_record(
    name: str, *, identity: str | None = None, started_at: datetime | None = None
) -> None:
    """Upsert the heartbeat row ``name`` with the current time.

    With ``identity`` and ``started_at`` (a process's own heartbeat) the row names that
    process and is no longer marked stopped; without them only ``seen_at`` changes.
    """
    defaults: dict = {"seen_at": timezone.now()}
    if identity is not None:
        defaults.update(identity=identity, started_at=started_at, stopped_at=None)
    Heartbeat.objects.update_or_create(name=name, defaults=defaults)


def heartbeat_stopped(name: str, identity: str) -> int:
    """Mark heartbeat ``name`` stopped if ``identity`` wrote it last; returns rows changed (0/1)."""
    return Heartbeat.objects.filter(name=name, identity=identity).update(stopped_at=timezone.now())


def heartbeat_age(name: str) -> float | None:
    """Seconds since heartbeat ``name`` was last recorded, or None if never."""
    row = Heartbeat.objects.filter(name=name).first()
    if row is None:
        return None
    return (timezone.now() - row.seen_at).total_seconds()


def heartbeat_ages() -> dict[str, float | None]:
    """``{"worker": seconds, "beat": seconds}`` since each heartbeat, None if never seen."""
    return {name: heartbeat_age(name) for name in ("worker", "beat")}


def _check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True, connection.vendor
    except Exception as exc:  # any driver error means "down"
        return False, f"{type(exc).__name__}: {exc}"


def _check_broker() -> tuple[bool, str]:
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            return True, conn.transport_cls if isinstance(conn.transport_cls, str) else "ok"
    except Exception as exc:
        return False, f"{type(exc).__name__}: {exc}"


def _check_heartbeat(name: str) -> tuple[bool, str]:
    try:
        rows = {r.name: r for r in Heartbeat.objects.filter(name__in=[name, RUN_HEARTBEAT])}
    except Exception as exc:
        return False, f"{type(exc).__name__}: {exc}"
    row, run = rows.get(name), rows.get(RUN_HEARTBEAT)
    if row is None:
        return False, "never seen"
    now = timezone.now()
    who = f"{row.identity}, " if row.identity else ""
    if row.stopped_at is not None:
        return False, f"{who}stopped {(now - row.stopped_at).total_seconds():.0f} s ago"
    if (
        run is not None
        and run.started_at is not None
        and (row.started_at is None or row.started_at < run.started_at)
    ):
        return False, f"{who}started before the current run"
    age = (now - row.seen_at).total_seconds()
    return age <= HEARTBEAT_MAX_AGE, f"{who}last seen {age:.0f} s ago"


def health_report() -> dict:
    """Run every check; returns ``{"status": ..., "checks": {...}}``."""
    checks = {}
    for name, check in (
        ("database", _check_database),
        ("broker", _check_broker),
        ("worker", lambda: _check_heartbeat("worker")),
        ("beat", lambda: _check_heartbeat("beat")),
    ):
        ok, detail = check()
        checks[name] = {"ok": ok, "detail": detail}
    status = "ok" if all(c["ok"] for c in checks.values()) else "failing"
    return {"status": status, "checks": checks, "time": timezone.now().isoformat()}


def healthz(request: HttpRequest) -> JsonResponse:
    """GET /healthz: the health report as JSON, 200 when all ok, else 503."""
    report = health_report()
    response = JsonResponse(report, status=200 if report["status"] == "ok" else 503)
    if response.status_code != 200:
        # Expected while the service starts: INFO, and Django does not log it again as ERROR.
        failing = ", ".join(name for name, check in report["checks"].items() if not check["ok"])
        log_response(
            "Health check failing (%s): %s",
            failing,
            request.path,
            response=response,
            request=request,
            level="info",
        )
    return response


__all__ = [
    "HEARTBEAT_MAX_AGE",
    "RUN_HEARTBEAT",
    "health_report",
    "healthz",
    "heartbeat_age",
    "heartbeat_ages",
    "heartbeat_record",
    "heartbeat_stopped",
    "process_identity",
]
