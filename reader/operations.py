"""Operations: ``/metrics`` (Prometheus text format) and the HTTP request counter.

``/metrics`` is served only with ``Authorization: Bearer <METRICS_TOKEN>``; without
the setting, or with another token, it answers 404 so that it does not reveal
itself. Figures about feeds, fetches and queues come from the database and the
broker at scrape time (``feeds.metrics.TidingsCollector``), so they are right
whichever web process answers. HTTP request counts are per process; under
gunicorn with several workers set ``PROMETHEUS_MULTIPROC_DIR`` to an empty
writable folder and prometheus-client aggregates the processes' files
(https://prometheus.github.io/client_python/multiprocess/).
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import CollectorRegistry, Counter
from prometheus_client.exposition import choose_encoder

from feeds.metrics import TidingsCollector

MULTIPROC = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

#: Requests answered by this process, by HTTP status code.
HTTP_REQUESTS = Counter(
    "tidings_http_requests",
    "HTTP requests answered, by status code.",
    ["status"],
    registry=None,
)


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(TidingsCollector())
    if MULTIPROC:
        from prometheus_client import multiprocess

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
