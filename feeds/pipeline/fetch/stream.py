"""open_stream(): one guarded GET whose body is passed on in pieces, never held whole.

The media proxy (``feeds.media_proxy``) needs what :func:`~feeds.pipeline.fetch.fetch` refuses
to do: hand a response of up to hundreds of MiB to a browser as it arrives, with ``Range``
requests answered by ``206 Partial Content`` (RFC 9110 sections 14.2 and 15.3.7). The rules are
the fetch package's, with the same guard: the host is resolved and every address checked at
connect time (``transport``), every redirect hop is checked again (``redirect_target``), the
operator allowlists apply, and no proxy or ``.netrc`` from the environment is used.

What differs from ``fetch``: the body is not decoded (``Accept-Encoding: identity`` is asked,
and a coded body is passed on with its ``Content-Encoding``), the size cap counts the bytes as
they arrive, and the time cap (``total_seconds``) covers the whole stream, not just the call:
a watchdog shuts the socket at the deadline, and each read waits at most
``settings.FETCH_TIMEOUT_TOTAL`` seconds.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import requests
from django.conf import settings
from django.utils.translation import gettext as _

from feeds.pipeline.fetch.client import (
    MAX_REDIRECTS,
    REDIRECT_STATUSES,
    http_error,
    redirect_target,
    translated_errors,
    visit_key,
)
from feeds.pipeline.fetch.errors import FetchError
from feeds.pipeline.fetch.guard import check_url
from feeds.pipeline.fetch.transport import Budget, guarded_session

__all__ = ["STREAM_STATUSES", "StreamedResponse", "open_stream"]

#: Statuses handed to the caller: the body (200), a part of it (206), "not modified" (304) and
#: "range not satisfiable" (416). Redirects are followed; anything else raises FetchError.
STREAM_STATUSES = frozenset({200, 206, 304, 416})
STREAM_CHUNK = 64 * 1024  # bytes per read: the most a stream holds in memory at once


@dataclass
class StreamedResponse:
    """An open response: status, headers (lower-case names) and the body still on the socket.

    ``url`` is the requested URL as cleaned by ``check_url``, ``final_url`` the one after
    redirects. Iterate :meth:`chunks` once, then :meth:`close` (also safe to call early).
    """

    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    max_bytes: int
    _response: requests.Response = field(repr=False)
    _budget: Budget = field(repr=False)
    _closer: contextlib.ExitStack = field(repr=False)
    received: int = 0

    @property
    def content_type(self) -> str:
        """The media type of the Content-Type header, lower-case, without parameters ("")."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    def chunks(self) -> Iterator[bytes]:
        """The body as it arrives, in pieces of at most 64 KiB, undecoded.

        Raises FetchError ``too_large`` once more than ``max_bytes`` arrived, ``timeout`` at the
        stream's deadline, ``connect`` when the connection breaks.
        """
        raw = self._response.raw
        while True:
            self._budget.check()
            with translated_errors(self.final_url, self._budget):
                chunk = raw.read1(STREAM_CHUNK, decode_content=False)
            if not chunk:
                if self._budget.expired:
                    raise self._budget.timeout_error()
                return
            self.received += len(chunk)
            if self.received > self.max_bytes:
                raise too_large(self.max_bytes)
            yield chunk

    def close(self) -> None:
        """Close the connection and stop the stream's clock (idempotent)."""
        self._budget.finish()
        self._closer.close()


def too_large(cap: int) -> FetchError:
    """The ``too_large`` FetchError for a body over ``cap`` bytes, in the active language."""
    message = _("The response is too large (more than %(size)s MiB).")
    return FetchError("too_large", message % {"size": f"{cap / 1048576:g}"})


def open_stream(
    url: str,
    *,
    max_bytes: int,
    total_seconds: float,
    accept: str = "*/*",
    extra_headers: dict[str, str] | None = None,
) -> StreamedResponse:
    """GET ``url`` through the SSRF guard (following up to 5 redirects) and return it open.

    ``max_bytes``: cap on the body's bytes as received; a declared ``Content-Length`` above it
    is refused before any byte is read. ``total_seconds``: the whole call and stream, wall
    clock. ``extra_headers`` (e.g. ``Range``, ``If-None-Match``) are sent on every hop (no
    cookie or credential is ever sent). The caller must ``close()`` the result.

    Raises FetchError with the kinds of ``fetch`` (``invalid_url``, ``blocked``, ``dns``,
    ``connect``, ``timeout``, ``tls``, ``too_large``, ``too_many_redirects``, ``http``,
    ``gone``, ``rate_limited``) for a status outside :data:`STREAM_STATUSES`.
    """
    current = first = check_url(url, resolve=False)
    headers = {
        "User-Agent": settings.USER_AGENT,
        "Accept": accept,
        "Accept-Encoding": "identity",
        **(extra_headers or {}),
    }
    closer = contextlib.ExitStack()
    budget = Budget(float(total_seconds)).start()
    closer.callback(budget.finish)
    try:
        session = closer.enter_context(guarded_session())
        seen = {visit_key(current, session.cookies)}
        for hop in range(MAX_REDIRECTS + 1):
            response = _get(session, current, headers, budget, redirected=hop > 0)
            closer.callback(response.close)
            if response.status_code in REDIRECT_STATUSES:
                current = redirect_target(current, response, hop, seen, session.cookies)
                continue
            if response.status_code not in STREAM_STATUSES:
                raise http_error(response, budget)
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise too_large(max_bytes)
            return StreamedResponse(
                url=first,
                final_url=current,
                status=response.status_code,
                headers={k.lower(): v for k, v in response.headers.items()},
                max_bytes=max_bytes,
                _response=response,
                _budget=budget,
                _closer=closer,
            )
    except BaseException:
        closer.close()
        raise
    raise AssertionError("unreachable")  # pragma: no cover


def _get(
    session: requests.Session,
    url: str,
    headers: dict[str, str],
    budget: Budget,
    *,
    redirected: bool,
) -> requests.Response:
    budget.check()
    connect = max(0.01, min(float(settings.FETCH_TIMEOUT_CONNECT), budget.remaining()))
    read = max(0.01, min(float(settings.FETCH_TIMEOUT_TOTAL), budget.remaining()))
    verify = getattr(settings, "FETCH_CA_BUNDLE", None) or True
    with budget.registering(), translated_errors(url, budget, redirect=redirected):
        return session.get(
            url,
            headers=headers,
            allow_redirects=False,
            stream=True,
            timeout=(connect, read),
            verify=verify,
        )
