"""Celery tasks of the project layer: heartbeats (found by the Celery app's autodiscovery).

The task names keep their ``reader.tasks.`` prefix: they are what beat's schedule and
queued messages name, so they stay valid across this module's moves.
"""

from __future__ import annotations

from celery import shared_task

from reader.project.health import heartbeat_record


@shared_task(name="reader.tasks.record_beat_heartbeat")
def record_beat_heartbeat() -> None:
    """Scheduled by beat every 30 s and run by a worker: proves beat is alive."""
    heartbeat_record(name="beat")


@shared_task(name="reader.tasks.ping")
def ping(token: str) -> str:
    """Write ``token`` as a heartbeat name; used by tests to prove a worker runs tasks."""
    heartbeat_record(name=f"ping:{token}"[:64])
    return token
