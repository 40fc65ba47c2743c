"""A real Celery worker process, on the configured broker, runs a task end to end."""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings

from reader.models import Heartbeat
from tests.conftest import requires_redis
from tests.procs import start_worker, stop, wait_for


@requires_redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_task_through_redis(project_env):
    from reader.project.tasks import ping

    assert settings.CELERY_BROKER_URL.startswith("redis://")
    worker = start_worker(project_env)
    try:
        token = uuid.uuid4().hex[:12]
        ping.delay(token)
        assert wait_for(lambda: Heartbeat.objects.filter(name=f"ping:{token}").exists())
        # The worker's own heartbeat bootstep wrote its row too.
        assert Heartbeat.objects.filter(name="worker").exists()
    finally:
        stop(worker)
