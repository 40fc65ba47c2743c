"""A real Celery worker process, on the configured broker, runs a task end to end."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import pytest
from django.conf import settings

from reader.models import Heartbeat
from tests.conftest import ROOT, requires_redis


def _start_worker(env):
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "reader", "worker", "-Q", "feeds,default",
         "--concurrency", "1", "--pool", "solo", "--loglevel", "WARNING", "--without-gossip",
         "--without-mingle", "-n", f"test-{uuid.uuid4().hex[:8]}@%h"],
        cwd=ROOT, env=env,
    )  # fmt: skip


def _wait_for(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


@requires_redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_task_through_redis(project_env):
    from reader.tasks import ping

    assert settings.CELERY_BROKER_URL.startswith("redis://")
    worker = _start_worker(project_env)
    try:
        token = uuid.uuid4().hex[:12]
        ping.delay(token)
        assert _wait_for(lambda: Heartbeat.objects.filter(name=f"ping:{token}").exists())
        # The worker's own heartbeat bootstep wrote its row too.
        assert Heartbeat.objects.filter(name="worker").exists()
    finally:
        worker.terminate()
        worker.wait(timeout=20)
