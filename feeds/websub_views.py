"""The WebSub callback: ``/websub/<feed id>/<token>/`` (hubs only; no session, no CSRF).

GET is the hub's verification of intent (WebSub 5.2/5.3): the body echoes ``hub.challenge``
(text/plain) or the answer is 404. POST is content distribution (WebSub 7): the raw body (at
most FETCH_MAX_BYTES, else 413) with its Content-Type and X-Hub-Signature goes to
``feeds.websub.websub_receive``; the answer is 202, 404 or 410 and carries no content.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from feeds import websub


@csrf_exempt  # hubs are servers: the capability URL and the HMAC signature authenticate them
@never_cache
@require_http_methods(["GET", "POST"])
def websub_callback(request: HttpRequest, feed_id: int, token: str) -> HttpResponse:
    """Verification GET or content POST from a WebSub hub (see the module docstring)."""
    if request.method == "GET":
        echo = websub.websub_verify(
            feed_id=feed_id,
            token=token,
            mode=request.GET.get("hub.mode", ""),
            topic=request.GET.get("hub.topic", ""),
            challenge=request.GET.get("hub.challenge", ""),
            lease_seconds=request.GET.get("hub.lease_seconds", ""),
            reason=request.GET.get("hub.reason", ""),
        )
        if echo is None:
            return HttpResponse("Unknown subscription.", status=404, content_type="text/plain")
        return HttpResponse(echo, content_type="text/plain; charset=utf-8")
    cap = settings.FETCH_MAX_BYTES
    # request.read() and not request.body: body is capped at DATA_UPLOAD_MAX_MEMORY_SIZE.
    body = request.read(cap + 1)
    if len(body) > cap:
        return HttpResponse(status=413)
    outcome = websub.websub_receive(
        feed_id=feed_id,
        token=token,
        body=body,
        content_type=request.headers.get("Content-Type", ""),
        signature=request.headers.get("X-Hub-Signature", ""),
    )
    return HttpResponse(status=outcome.status)
