"""Operations: ``/metrics`` (Prometheus text format) and the HTTP request counter.

``/metrics`` is served only with ``Authorization: Bearer <METRICS_TOKEN>``; without
the setting, or with another token, it answers 404 so that it does not reveal
itself. Figures about feeds, fetches and queues come from the database and the
broker at scrape time (``TidingsCollector``), so they are right
whichever web process answers. HTTP request counts are per process; under
gunicorn with several workers set ``PROMETHEUS_MULTIPROC_DIR`` to an empty
writable folder and prometheus-client aggregates the processes' files
(https://prometheus.github.io/client_python/multiprocess/).
"""

from __future__ import annotations

import hmac
import math
import os
from collections.abc import Callable, Iterator

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import CollectorRegistry, Counter, multiprocess
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.exposition import choose_encoder

from feeds.fetch_log import DURATION_BUCKETS, bucket_label, fetch_totals
from reader.project.health import heartbeat_ages
from reader.project.site_figures import entries_stored, feed_counts, queue_lengths

MULTIPROC = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

#: Requests answered by this process, by HTTP status code.
HTTP_REQUESTS = Counter(
    "tidings_http_requests",
    "HTTP requests answered, by status code.",
    ["status"],
    registry=None,
)


class TidingsCollector:
    """A prometheus_client collector that computes every figure at scrape time.

    Exposes ``tidings_fetches_total{outcome}``, ``tidings_fetch_duration_seconds``
    (histogram over every recorded fetch), ``tidings_fetch_bytes_total``,
    ``tidings_fetch_entries_total{kind=new|updated}``, ``tidings_entries``,
    ``tidings_feeds{state}``, ``tidings_feeds_due``, ``tidings_queue_length{queue}``
    and ``tidings_heartbeat_age_seconds{process}``.
    """

    def collect(self) -> Iterator:
        """Yield the metric families (queries the database and the broker)."""
        yield from self._fetch_families()
        counts = feed_counts()
        feeds = GaugeMetricFamily("tidings_feeds", "Feeds by state.", labels=["state"])
        for state in ("total", "failing", "disabled", "unsubscribed"):
            feeds.add_metric([state], counts[state])
        yield feeds
        yield GaugeMetricFamily("tidings_feeds_due", "Feeds due for a fetch now.", counts["due"])
        yield GaugeMetricFamily("tidings_entries", "Entries stored.", entries_stored())
        queues = GaugeMetricFamily(
            "tidings_queue_length", "Messages waiting in a Celery queue.", labels=["queue"]
        )
        for queue, length in (queue_lengths() or {}).items():
            queues.add_metric([queue], length)
        yield queues
        ages = GaugeMetricFamily(
            "tidings_heartbeat_age_seconds",
            "Seconds since a background process was last seen.",
            labels=["process"],
        )
        for name, age in heartbeat_ages().items():
            if age is not None:
                ages.add_metric([name], age)
        yield ages

    def _fetch_families(self) -> Iterator:
        totals = fetch_totals()
        fetches = CounterMetricFamily(
            "tidings_fetches", "Feed fetches by outcome.", labels=["outcome"]
        )
        size = CounterMetricFamily("tidings_fetch_bytes", "Bytes fetched (decompressed).")
        entries = CounterMetricFamily(
            "tidings_fetch_entries", "Entries stored by fetches.", labels=["kind"]
        )
        duration = HistogramMetricFamily(
            "tidings_fetch_duration_seconds", "Duration of feed refreshes."
        )
        for outcome, t in sorted(totals.items()):
            fetches.add_metric([outcome], t["count"])
        size.add_metric([], sum(t["bytes"] for t in totals.values()))
        entries.add_metric(["new"], sum(t["new"] for t in totals.values()))
        entries.add_metric(["updated"], sum(t["updated"] for t in totals.values()))
        bounds = [*DURATION_BUCKETS, math.inf]
        cumulative = [0] * len(bounds)
        for t in totals.values():
            cumulative = [a + b for a, b in zip(cumulative, t["buckets"], strict=True)]
        duration.add_metric(
            [],
            buckets=[(bucket_label(b), c) for b, c in zip(bounds, cumulative, strict=True)],
            sum_value=sum(t["dur"] for t in totals.values()),
        )
        yield from (fetches, size, entries, duration)


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(TidingsCollector())
    if MULTIPROC:
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(HTTP_REQUESTS)
    return registry


def _authorized(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if not token or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


def metrics_view(request: HttpRequest) -> HttpResponse:
    """GET /metrics: every Tidings metric in the Prometheus text exposition format.

    The format follows the Accept header as prometheus-client negotiates it: text
    0.0.4 by default (``text/plain; version=0.0.4``), OpenMetrics when asked.
    Requires ``Authorization: Bearer <METRICS_TOKEN>``; raises Http404 when the
    setting is empty or the token differs.
    """
    if not _authorized(request):
        raise Http404("not found")
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return HttpResponse(encoder(_registry()), content_type=content_type)


class RequestMetricsMiddleware:
    """Counts every response by status code in ``tidings_http_requests_total``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        HTTP_REQUESTS.labels(status=str(response.status_code)).inc()
        return response
