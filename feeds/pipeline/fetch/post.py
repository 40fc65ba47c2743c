"""post_form(): one guarded form POST (WebSub subscription requests).

Same guard, caps and error kinds as :func:`feeds.pipeline.fetch.fetch`: the SSRF guard checks
the resolved address of every hop, the whole call ends within ``FETCH_TIMEOUT_TOTAL`` seconds,
and the body read is capped. Only 307/308 redirects are followed (they keep the method and
body, RFC 9110 section 15.4.8/15.4.9; WebSub section 5.1.2 lets a hub redirect so); 301/302/303
would turn the POST into a GET, so they are errors here.
"""

from __future__ import annotations

import contextlib
import time
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.utils.translation import gettext as _

from feeds.pipeline.fetch.client import (
    ERROR_BODY_BYTES,
    MAX_REDIRECTS,
    fetch_result,
    http_error,
    read_body,
    redirect_target,
    translated_errors,
)
from feeds.pipeline.fetch.errors import FetchError, FetchResult
from feeds.pipeline.fetch.guard import check_url
from feeds.pipeline.fetch.transport import Budget, guarded_session

__all__ = ["post_form"]

_METHOD_KEEPING_REDIRECTS = frozenset({307, 308})


def post_form(
    url: str,
    data: dict[str, str],
    *,
    extra_headers: dict[str, str] | None = None,
    user_agent: str | None = None,
    max_bytes: int = ERROR_BODY_BYTES,
) -> FetchResult:
    """POST ``data`` as ``application/x-www-form-urlencoded`` to ``url`` through the SSRF guard.

    Returns a FetchResult for any 2xx answer (``status`` e.g. 202; ``content`` the body, at
    most ``max_bytes`` bytes, 64 KiB by default). Follows up to 5 redirects of kind 307/308
    (re-POSTing the same body, every hop re-checked by the guard). Raises FetchError with the
    kinds of ``fetch`` (``blocked``, ``dns``, ``connect``, ``timeout``, ``tls``, ``http`` for
    4xx/5xx and for 301/302/303, ``gone``, ``rate_limited``, ``too_many_redirects``...).
    """
    started = time.monotonic()
    current = first = check_url(url)
    body = urlencode(data).encode("ascii")
    headers = {
        "User-Agent": user_agent or settings.USER_AGENT,
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "*/*",
        "Accept-Encoding": "identity",
    }
    headers.update(extra_headers or {})
    seen = {current}
    with Budget(float(settings.FETCH_TIMEOUT_TOTAL)) as budget, guarded_session() as session:
        for hop in range(MAX_REDIRECTS + 1):
            response = _post(session, current, headers, body, budget)
            with contextlib.closing(response):
                status = response.status_code
                if status in _METHOD_KEEPING_REDIRECTS:
                    current = redirect_target(current, response, hop, seen)
                    continue
                if not 200 <= status < 300:
                    if 300 <= status < 400:
                        message = _(
                            "HTTP %(status)s: the server redirected a POST in a way that drops "
                            "its body (only 307 and 308 are followed)."
                        )
                        raise FetchError("http", message % {"status": status}, status=status)

                    raise http_error(response, budget)
                content = read_body(response, max_bytes, budget)
                return fetch_result(first, current, response, content, hop, False, started)
    raise AssertionError("unreachable")  # pragma: no cover


def _post(
    session: requests.Session, url: str, headers: dict[str, str], body: bytes, budget: Budget
) -> requests.Response:
    budget.check()
    connect = max(0.01, min(float(settings.FETCH_TIMEOUT_CONNECT), budget.remaining()))
    verify = getattr(settings, "FETCH_CA_BUNDLE", None) or True
    with translated_errors(url, budget):
        return session.post(
            url,
            data=body,
            headers=headers,
            allow_redirects=False,
            stream=True,
            timeout=(connect, max(0.01, budget.remaining())),
            verify=verify,
        )
