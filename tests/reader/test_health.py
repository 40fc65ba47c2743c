from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from reader.models import Heartbeat
from reader.project.health import heartbeat_record

pytestmark = pytest.mark.django_db


def test_it_reports_503_when_no_worker_was_ever_seen(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    assert body["checks"]["worker"] == {"ok": False, "detail": "never seen"}


def test_it_reports_200_when_every_part_is_alive(client):
    heartbeat_record(name="worker")
    heartbeat_record(name="beat")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_it_fails_on_a_stale_worker_heartbeat(client):
    heartbeat_record(name="beat")
    Heartbeat.objects.create(name="worker", seen_at=timezone.now() - timedelta(minutes=5))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["ok"] is False
    assert response.json()["checks"]["beat"]["ok"] is True


def test_favicon_ico_leads_to_the_logo(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith(".svg")
    assert "tidings" in response["Location"]
