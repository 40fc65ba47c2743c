"""/healthz follows a real worker: 503 for a stopped one within the heartbeat interval, 200
once a new one is up (its heartbeat names the new process)."""

from __future__ import annotations

import socket
import time

import pytest

from reader.models import Heartbeat
from reader.project.celery import HEARTBEAT_SECONDS
from reader.project.health import heartbeat_record
from tests.procs import start_worker, stop, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_healthz_follows_a_worker_that_stops_and_a_new_one(client, project_env):
    def status() -> int:
        heartbeat_record(name="beat")  # beat is not under test here
        return client.get("/healthz").status_code

    worker = start_worker(project_env)
    try:
        assert wait_for(lambda: status() == 200, timeout=120)
        row = Heartbeat.objects.get(name="worker")
        assert row.identity == f"{socket.gethostname()}:{worker.pid}"
        assert row.started_at is not None and row.stopped_at is None

        stop(worker)  # SIGTERM: a warm shutdown
        stopped = time.monotonic()
        assert wait_for(lambda: status() == 503, timeout=HEARTBEAT_SECONDS)
        assert time.monotonic() - stopped <= HEARTBEAT_SECONDS
        assert "stopped" in client.get("/healthz").json()["checks"]["worker"]["detail"]

        worker = start_worker(project_env)
        assert wait_for(lambda: status() == 200, timeout=120)
        assert Heartbeat.objects.get(name="worker").identity == (
            f"{socket.gethostname()}:{worker.pid}"
        )
    finally:
        stop(worker)
