"""/healthz: database, broker, and worker and beat heartbeats that name their process."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from reader.models import Heartbeat
from reader.project.health import heartbeat_record, heartbeat_stopped

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


def test_a_heartbeat_names_its_process_and_start_time(client):
    started = timezone.now() - timedelta(seconds=5)
    heartbeat_record(name="beat")
    heartbeat_record(name="worker", identity="host-a:123", started_at=started)
    row = Heartbeat.objects.get(name="worker")
    assert (row.identity, row.started_at, row.stopped_at) == ("host-a:123", started, None)
    detail = client.get("/healthz").json()["checks"]["worker"]["detail"]
    assert detail.startswith("host-a:123, last seen")


def test_a_worker_marked_stopped_is_not_alive(client):
    heartbeat_record(name="beat")
    heartbeat_record(name="worker", identity="host-a:123", started_at=timezone.now())
    assert heartbeat_stopped("worker", "host-b:456") == 0  # another worker's stop: no change
    assert client.get("/healthz").status_code == 200
    assert heartbeat_stopped("worker", "host-a:123") == 1
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["ok"] is False
    assert "stopped" in response.json()["checks"]["worker"]["detail"]


def test_a_heartbeat_from_before_the_current_run_is_not_alive(client):
    earlier = timezone.now() - timedelta(seconds=30)
    heartbeat_record(name="worker", identity="host-a:1", started_at=earlier)
    heartbeat_record(name="beat", identity="host-a:2", started_at=earlier)
    assert client.get("/healthz").status_code == 200
    now = timezone.now()
    Heartbeat.objects.create(name=Heartbeat.RUN, seen_at=now, started_at=now, identity="x:3")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["detail"].endswith("before the current run")
    heartbeat_record(name="worker", identity="host-a:4", started_at=timezone.now())
    heartbeat_record(name="beat", identity="host-a:5", started_at=timezone.now())
    assert client.get("/healthz").status_code == 200


def test_an_expected_503_is_logged_at_info_not_error(client, caplog):
    with caplog.at_level(logging.INFO, logger="django.request"):
        assert client.get("/healthz").status_code == 503
    levels = [r.levelno for r in caplog.records if r.name == "django.request"]
    assert levels == [logging.INFO]


@override_settings(ALLOWED_HOSTS=["reader.example.org"], SECURE_SSL_REDIRECT=True)
def test_the_containers_own_health_check_is_answered_with_a_production_host_list(client):
    # docker/compose.yml's health check: plain HTTP to 127.0.0.1 from inside the container.
    response = client.get("/healthz", HTTP_HOST="127.0.0.1:8000", REMOTE_ADDR="127.0.0.1")
    assert response.status_code in (200, 503)
    assert set(response.json()["checks"]) >= {"database", "broker"}


@override_settings(ALLOWED_HOSTS=["reader.example.org"], SECURE_SSL_REDIRECT=True)
def test_a_health_check_from_elsewhere_still_meets_the_host_check(client):
    response = client.get("/healthz", HTTP_HOST="127.0.0.1:8000", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 400
    redirected = client.get("/healthz", HTTP_HOST="reader.example.org", REMOTE_ADDR="203.0.113.9")
    assert redirected.status_code == 301
