"""Liveness of the service's parts: database, broker, worker and beat heartbeats.

``/healthz`` answers JSON ``{"status": "ok"|"failing", "checks": {name: {"ok": bool,
"detail": str}}}`` with HTTP 200 when every check passes and 503 otherwise.
"""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from reader.models import Heartbeat
from reader.project.celery import app

#: A heartbeat older than this (seconds) counts as a dead process.
HEARTBEAT_MAX_AGE = 90


def heartbeat_record(name: str) -> None:
    """Upsert the heartbeat row ``name`` with the current time."""
    Heartbeat.objects.update_or_create(name=name, defaults={"seen_at": timezone.now()})


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
        age = heartbeat_age(name)
    except Exception as exc:
        return False, f"{type(exc).__name__}: {exc}"
    if age is None:
        return False, "never seen"
    return age <= HEARTBEAT_MAX_AGE, f"last seen {age:.0f} s ago"


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
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


__all__ = [
    "HEARTBEAT_MAX_AGE",
    "health_report",
    "healthz",
    "heartbeat_age",
    "heartbeat_ages",
    "heartbeat_record",
]
