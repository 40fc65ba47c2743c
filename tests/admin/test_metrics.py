"""/metrics: token protection, Prometheus text parsed by the client's own parser, fetch logging."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from feeds.fetch_log import fetchlog_rollup, record_fetch
from feeds.models import FetchLog, FetchRollup
from reader.project.log_format import JsonFormatter
from tests.admin.conftest import make_entries, make_feed, subscribe
from tests.conftest import requires_redis

pytestmark = pytest.mark.django_db

TOKEN = "s3cret-metrics-token"


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client) -> dict[str, dict[tuple, float]]:
    """GET /metrics with the token; ``{sample name: {sorted label items: value}}``."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            key = tuple(sorted(sample.labels.items()))
            samples.setdefault(sample.name, {})[key] = sample.value
    return samples


def test_metrics_is_a_404_without_a_configured_token(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_metrics_is_a_404_with_a_wrong_or_missing_token(client, metrics_token):
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def test_metrics_exposes_fetches_durations_entries_and_feeds(client, metrics_token, alice, now):
    feed = make_feed("http://a.example.org/feed", next_fetch_at=now - timedelta(minutes=5))
    subscribe(alice, feed)
    make_entries(feed, [now, now - timedelta(hours=1), now - timedelta(hours=2)])
    make_feed("http://b.example.org/feed", error_count=2)
    make_feed("http://c.example.org/feed", disabled=True)
    record_fetch(feed_id=feed.pk, outcome="ok", status=200, duration=0.05, bytes_=500, new=3)
    record_fetch(feed_id=feed.pk, outcome="ok", status=200, duration=0.7, bytes_=700, updated=1)
    record_fetch(feed_id=feed.pk, outcome="not_modified", status=304, duration=0.2)
    record_fetch(feed_id=feed.pk, outcome="timeout", duration=31.0, error="timed out")

    metrics = scrape(client)

    assert metrics["tidings_fetches_total"] == {
        (("outcome", "not_modified"),): 1.0,
        (("outcome", "ok"),): 2.0,
        (("outcome", "timeout"),): 1.0,
    }
    buckets = {
        dict(k)["le"]: v for k, v in metrics["tidings_fetch_duration_seconds_bucket"].items()
    }
    assert buckets["0.1"] == 1.0
    assert buckets["0.25"] == 2.0
    assert buckets["1.0"] == 3.0
    assert buckets["30.0"] == 3.0
    assert buckets["60.0"] == 4.0
    assert buckets["+Inf"] == 4.0
    assert metrics["tidings_fetch_duration_seconds_count"][()] == 4.0
    assert metrics["tidings_fetch_duration_seconds_sum"][()] == pytest.approx(31.95)
    assert metrics["tidings_fetch_bytes_total"][()] == 1200.0
    assert metrics["tidings_fetch_entries_total"] == {
        (("kind", "new"),): 3.0,
        (("kind", "updated"),): 1.0,
    }
    assert metrics["tidings_entries"][()] == 3.0
    assert metrics["tidings_feeds_due"][()] == 1.0
    feeds = {dict(k)["state"]: v for k, v in metrics["tidings_feeds"].items()}
    assert feeds == {"total": 3.0, "failing": 1.0, "disabled": 1.0, "unsubscribed": 2.0}


@requires_redis
def test_metrics_exposes_the_queue_lengths_from_redis(client, metrics_token, settings):
    import redis

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("feeds", "default", "feeds\x06\x163")
    broker.rpush("feeds", b"a", b"b")
    broker.rpush("feeds\x06\x163", b"c")  # kombu's list for priority 3
    broker.rpush("default", b"d")
    try:
        metrics = scrape(client)
    finally:
        broker.delete("feeds", "default", "feeds\x06\x163")
    assert metrics["tidings_queue_length"] == {
        (("queue", "interactive"),): 0.0,
        (("queue", "feeds"),): 3.0,
        (("queue", "default"),): 1.0,
    }


def test_metrics_counts_http_responses_by_status(client, metrics_token):
    before = scrape(client)["tidings_http_requests_total"]
    client.get("/no-such-page-for-metrics/")
    client.get("/healthz")
    after = scrape(client)["tidings_http_requests_total"]
    status_404 = (("status", "404"),)
    assert after[status_404] >= before.get(status_404, 0) + 1
    # Our own scrape was answered with a 200 and counted.
    assert after[(("status", "200"),)] >= 1


def test_folding_old_fetches_keeps_the_counters_monotonic(client, metrics_token, now):
    for outcome, duration in (("ok", 0.3), ("ok", 3.0), ("dns", 0.01)):
        row = record_fetch(feed_id=1, outcome=outcome, duration=duration, new=2)
        FetchLog.objects.filter(pk=row.pk).update(at=now - timedelta(days=2))
    record_fetch(feed_id=1, outcome="ok", duration=0.4, new=1)
    before = scrape(client)

    assert fetchlog_rollup() == 3
    assert fetchlog_rollup() == 0
    assert FetchLog.objects.count() == 1
    assert FetchRollup.objects.get(outcome="ok").count == 2

    after = scrape(client)
    for name in (
        "tidings_fetches_total",
        "tidings_fetch_duration_seconds_bucket",
        "tidings_fetch_duration_seconds_count",
        "tidings_fetch_entries_total",
    ):
        assert after[name] == before[name], name
    assert after["tidings_fetch_duration_seconds_sum"][()] == pytest.approx(
        before["tidings_fetch_duration_seconds_sum"][()]
    )
    assert after["tidings_fetches_total"][(("outcome", "ok"),)] == 3.0


def test_each_fetch_is_one_structured_info_line(caplog):
    with caplog.at_level(logging.INFO, logger="tidings.fetch"):
        record_fetch(
            feed_id=7, outcome="ok", status=200, duration=0.25, bytes_=1234, new=2, updated=1
        )
    (record,) = [r for r in caplog.records if r.name == "tidings.fetch"]
    assert record.levelno == logging.INFO
    assert record.getMessage() == (
        "fetch feed=7 outcome=ok status=200 duration=0.250 bytes=1234 new=2 updated=1"
    )
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "INFO"
    assert line["logger"] == "tidings.fetch"
    assert (line["feed_id"], line["status"], line["bytes"]) == (7, 200, 1234)
    assert (line["new"], line["updated"], line["duration"]) == (2, 1, 0.25)


def test_the_json_formatter_keeps_the_traceback_of_an_error():
    logger = logging.getLogger("tidings.test")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logger.makeRecord(
            "tidings.test", logging.ERROR, __file__, 1, "it broke", (), exc_info=True
        )
        import sys

        record.exc_info = sys.exc_info()
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "ERROR"
    assert "RuntimeError: boom" in line["exc"]
    assert "Traceback" in line["exc"]


def test_recording_a_fetch_never_breaks_the_callers_transaction(caplog):
    with caplog.at_level(logging.ERROR, logger="tidings.fetch"):
        assert record_fetch(feed_id="not a number", outcome="ok") is None
    assert "could not record the fetch" in caplog.text
    assert FetchLog.objects.count() == 0  # the transaction is still usable
