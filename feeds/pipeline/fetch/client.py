"""fetch(): one guarded GET with redirects, caps, conditional headers and readable errors.

Cookies live for one fetch only: a redirect that sets a cookie (RFC 6265 section 5.3, kept in
the requests session's ``http.cookiejar`` jar with its domain and path rules, so never sent to
another site) may lead back to a URL already visited, and that request carries the cookie.
A redirect loop is a revisit of a URL with the same cookies; every hop counts against
:data:`MAX_REDIRECTS`. The jar is dropped with the session when the fetch ends.

Each host name is resolved once per connection, when the connection is made, and every address
is checked by the guard there (``transport``); ``check_url`` here only cleans the address and
refuses IP literals and schemes, so a fetch costs no extra DNS lookup.
"""

from __future__ import annotations

import contextlib
import email.utils
import errno
import http.cookiejar
import socket
import ssl
import time
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.client import HTTPException, LineTooLong
from urllib.parse import urljoin, urlsplit

import brotli
import requests
import urllib3
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from feeds.pipeline.fetch.decode import ACCEPT_ENCODING, decode_stream, decoders_for
from feeds.pipeline.fetch.errors import FetchError, FetchResult
from feeds.pipeline.fetch.guard import (
    BlockedAddress,
    blocked_message,
    check_url,
    unresolved_message,
)
from feeds.pipeline.fetch.transport import Budget, guarded_session, seconds_text

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECT_STATUSES = frozenset({301, 308})
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.8, application/json;q=0.8, text/html;q=0.5, */*;q=0.3"
)
ERROR_BODY_BYTES = 64 * 1024  # how much of a 4xx/5xx body is read to recognise a challenge page
# http.client's limits on a response's headers (its _MAXLINE and _MAXHEADERS).
_MAX_HEADER_LINE = 65536
_MAX_HEADERS = 100
_READ_CHUNK = 64 * 1024


def fetch(
    url: str,
    *,
    etag: str = "",
    last_modified: str = "",
    extra_headers: dict[str, str] | None = None,
    user_agent: str | None = None,
    max_bytes: int | None = None,
) -> FetchResult:
    """GET ``url`` through the SSRF guard, following up to 5 redirects; return a FetchResult.

    ``etag``/``last_modified`` are sent verbatim as If-None-Match / If-Modified-Since
    (RFC 9110 sections 13.1.2 and 13.1.3); a 304 is a success with empty content.
    ``extra_headers`` are added last (e.g. an icon's Accept); ``user_agent`` replaces
    ``settings.USER_AGENT``; ``max_bytes`` replaces ``settings.FETCH_MAX_BYTES`` (bytes after
    decompression).
    The whole call, redirects included, ends within ``settings.FETCH_TIMEOUT_TOTAL`` seconds.

    Raises FetchError (see its kinds). 410 → ``gone``; 429 and 503 → ``rate_limited`` with
    ``retry_after`` from Retry-After (RFC 9110 section 10.2.3); other 4xx/5xx → ``http``.
    """
    started = time.monotonic()
    cap = max_bytes or settings.FETCH_MAX_BYTES
    # The host is resolved (once) and its addresses checked when the connection is made.
    current = first = check_url(url, resolve=False)
    headers = _request_headers(etag, last_modified, extra_headers, user_agent)
    all_permanent = True
    with Budget(float(settings.FETCH_TIMEOUT_TOTAL)) as budget, guarded_session() as session:
        seen = {visit_key(current, session.cookies)}
        for hop in range(MAX_REDIRECTS + 1):
            response = _send(session, current, headers, budget, redirected=hop > 0)
            with contextlib.closing(response):
                status = response.status_code
                if status in REDIRECT_STATUSES:
                    target = redirect_target(current, response, hop, seen, session.cookies)
                    all_permanent = all_permanent and status in PERMANENT_REDIRECT_STATUSES
                    headers = _headers_for_hop(headers, current, target)
                    current = target
                    continue
                if not (200 <= status < 300 or status == 304):
                    raise http_error(response, budget)
                content = b"" if status == 304 else read_body(response, cap, budget)
                return fetch_result(first, current, response, content, hop, all_permanent, started)
    raise AssertionError("unreachable")  # pragma: no cover


def _request_headers(
    etag: str, last_modified: str, extra: dict[str, str] | None, user_agent: str | None
) -> dict[str, str]:
    headers = {
        "User-Agent": user_agent or settings.USER_AGENT,
        "Accept": FEED_ACCEPT,
        "Accept-Encoding": ACCEPT_ENCODING,
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    headers.update(extra or {})
    return headers


def _headers_for_hop(headers: dict[str, str], current: str, target: str) -> dict[str, str]:
    """Credentials never follow a redirect to another origin."""
    if urlsplit(current)[:2] == urlsplit(target)[:2]:
        return headers
    return {k: v for k, v in headers.items() if k.lower() not in ("authorization", "cookie")}


def _send(
    session: requests.Session,
    url: str,
    headers: dict[str, str],
    budget: Budget,
    *,
    redirected: bool = False,
) -> requests.Response:
    budget.check()
    connect = max(0.01, min(float(settings.FETCH_TIMEOUT_CONNECT), budget.remaining()))
    verify = getattr(settings, "FETCH_CA_BUNDLE", None) or True
    with translated_errors(url, budget, redirect=redirected):
        return session.get(
            url,
            headers=headers,
            allow_redirects=False,
            stream=True,
            timeout=(connect, max(0.01, budget.remaining())),
            verify=verify,
        )


@contextlib.contextmanager
def translated_errors(url: str, budget: Budget, *, redirect: bool = False) -> Iterator[None]:
    """Turn requests/urllib3/socket exceptions into FetchError kinds with readable messages.

    ``redirect``: ``url`` was reached through a redirect (changes the wording of a refusal).
    """
    host = urlsplit(url).hostname or url
    try:
        yield
    except BlockedAddress as exc:
        raise FetchError("blocked", blocked_message(exc.host, redirect=redirect)) from exc
    except (requests.RequestException, urllib3.exceptions.HTTPError, HTTPException, OSError) as exc:
        if budget.expired:
            raise budget.timeout_error() from exc
        raise _classify(exc, host, redirect=redirect) from exc


def _classify(exc: Exception, host: str, *, redirect: bool = False) -> FetchError:
    chain = _exception_chain(exc)
    if any(isinstance(e, BlockedAddress) for e in chain):
        return FetchError("blocked", blocked_message(host, redirect=redirect))
    if any(isinstance(e, LineTooLong) for e in chain) or any(
        isinstance(e, HTTPException) and "got more than" in str(e) for e in chain
    ):
        message = _(
            "The server %(host)s sent response headers that are too long "
            "(a header line over %(kib)s KiB or more than %(count)s header lines)."
        )
        return FetchError(
            "too_large",
            message % {"host": host, "kib": _MAX_HEADER_LINE // 1024, "count": _MAX_HEADERS},
        )
    if any(isinstance(e, NameResolutionError | socket.gaierror) for e in chain):
        return FetchError("dns", unresolved_message(host))
    # urllib3's NewConnectionError subclasses its timeout errors: a refusal is no timeout.
    if any(isinstance(e, NewConnectionError) for e in chain):
        message = _("Could not connect to %(host)s: %(reason)s.")
        return FetchError("connect", message % {"host": host, "reason": _reason(chain)})
    if isinstance(exc, requests.exceptions.ConnectTimeout) or any(
        isinstance(e, ConnectTimeoutError) for e in chain
    ):
        seconds = seconds_text(settings.FETCH_TIMEOUT_CONNECT)
        message = _("The server %(host)s did not accept a connection within %(seconds)s s.")
        return FetchError("timeout", message % {"host": host, "seconds": seconds})
    if isinstance(exc, requests.exceptions.SSLError) or any(
        isinstance(e, urllib3.exceptions.SSLError | ssl.SSLError) for e in chain
    ):
        message = _("The secure connection to %(host)s failed: %(reason)s.")
        return FetchError("tls", message % {"host": host, "reason": _reason(chain)})
    if isinstance(exc, requests.exceptions.Timeout) or any(
        isinstance(e, TimeoutError | urllib3.exceptions.TimeoutError) for e in chain
    ):
        seconds = seconds_text(settings.FETCH_TIMEOUT_TOTAL)
        message = _("The server took longer than %(seconds)s s to answer.")
        return FetchError("timeout", message % {"seconds": seconds})
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.InvalidSchema):
        return FetchError(
            "invalid_url", _("The address is not valid: %(reason)s.") % {"reason": exc}
        )
    message = _("The connection to %(host)s failed before the response was complete.")
    return FetchError("connect", message % {"host": host})


def _exception_chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        linked = [current.__cause__, current.__context__, getattr(current, "reason", None)]
        linked.extend(getattr(current, "args", ()))
        todo.extend(e for e in linked if isinstance(e, BaseException))
    return seen


#: The socket errors a connection commonly fails with, in words of the active language (the
#: C library's ``strerror`` is English whatever the reader's language).
_SOCKET_REASONS = {
    errno.ECONNREFUSED: gettext_lazy("connection refused"),
    errno.ECONNRESET: gettext_lazy("connection reset by the server"),
    errno.ECONNABORTED: gettext_lazy("connection aborted"),
    errno.EHOSTUNREACH: gettext_lazy("no route to the server"),
    errno.ENETUNREACH: gettext_lazy("network unreachable"),
    errno.ETIMEDOUT: gettext_lazy("connection timed out"),
}


def _reason(chain: list[BaseException]) -> str:
    """Why a connection failed, from the innermost ``OSError`` of ``chain``: a common
    socket error in words of the active language (``_SOCKET_REASONS``), else the system's
    lower-cased message, else the last exception's text."""
    for exc in reversed(chain):
        if isinstance(exc, OSError) and exc.errno in _SOCKET_REASONS:
            return str(_SOCKET_REASONS[exc.errno])
        if isinstance(exc, OSError) and exc.strerror:
            return exc.strerror.lower()
    return str(chain[-1]).split(": ")[-1] or type(chain[-1]).__name__


def visit_key(url: str, cookies: http.cookiejar.CookieJar) -> tuple[str, frozenset]:
    """What makes a request a revisit: its ``url`` and the cookies held for this fetch.

    The cookie state is the set of (domain, path, name, value) of every cookie in ``cookies``
    (the fetch's own jar), so a redirect that sets or changes a cookie may lead back to a URL
    already visited without that being a loop.
    """
    return url, frozenset((c.domain, c.path, c.name, c.value) for c in cookies)


def redirect_target(
    current: str,
    response: requests.Response,
    hop: int,
    seen: set[tuple[str, frozenset]],
    cookies: http.cookiejar.CookieJar,
) -> str:
    """The absolute URL a redirect ``response`` points to, cleaned and checked by the guard.

    ``hop``: redirects followed so far; ``seen``: ``visit_key`` of every request made so far;
    ``cookies``: the fetch's jar, already holding the cookies ``response`` set. Revisiting a
    URL with the same cookies is a loop and refused. The target's host is resolved and checked
    when it is connected to. Raises ``FetchError`` (no Location, too many redirects, a loop, a
    refused URL).
    """
    location = response.headers.get("location", "").strip()
    if not location:
        message = _("The server answered %(status)s without a Location to redirect to.")
        raise FetchError(
            "http", message % {"status": response.status_code}, status=response.status_code
        )
    if hop >= MAX_REDIRECTS:
        message = _("Too many redirects (more than %(count)s).") % {"count": MAX_REDIRECTS}
        raise FetchError("too_many_redirects", message)
    target = check_url(urljoin(current, location), redirect=True, resolve=False)
    key = visit_key(target, cookies)
    if key in seen:
        raise FetchError(
            "too_many_redirects", _("Too many redirects: the server redirects in a loop.")
        )
    seen.add(key)
    return target


def read_body(response: requests.Response, cap: int, budget: Budget) -> bytes:
    """Stream the body, decompressing in bounded pieces; too_large past ``cap`` decoded bytes."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and not response.headers.get("content-encoding") and int(declared) > cap:
        raise _too_large(cap)
    decoders = decoders_for(response.headers.get("content-encoding", ""), response.status_code)
    raw = response.raw
    body = bytearray()
    received = 0

    def chunks() -> Iterator[bytes]:
        nonlocal received
        while True:
            budget.check()
            chunk = raw.read1(_READ_CHUNK, decode_content=False)
            if not chunk:
                return
            received += len(chunk)
            if received > cap:
                raise _too_large(cap)
            yield chunk

    with translated_errors(response.url, budget):
        try:
            for piece in decode_stream(chunks(), decoders, final=True):
                body += piece
                if len(body) > cap:
                    raise _too_large(cap)
        except (zlib.error, brotli.error) as exc:
            coding = ", ".join(d.coding for d in decoders)
            raise FetchError(
                "http",
                _("The response could not be decompressed (%(coding)s).") % {"coding": coding},
                status=response.status_code,
            ) from exc
    if budget.expired:
        raise budget.timeout_error()
    return bytes(body)


def _too_large(cap: int) -> FetchError:
    message = _("The response is too large (more than %(size)s MiB).")
    return FetchError("too_large", message % {"size": f"{cap / 1048576:g}"})


def http_error(response: requests.Response, budget: Budget) -> FetchError:
    """The ``FetchError`` (kind and readable message) for a non-2xx ``response``."""
    status = response.status_code
    if status == 410:
        return FetchError(
            "gone",
            _("The feed is gone (HTTP 410): the server says it was removed for good."),
            status=status,
        )
    if status in (429, 503):
        retry_after = parse_retry_after(response.headers.get("retry-after", ""))
        return FetchError(
            "rate_limited",
            wait_message(status, retry_after),
            status=status,
            retry_after=retry_after,
        )
    body = b""
    with contextlib.suppress(FetchError):
        body = read_body(response, ERROR_BODY_BYTES, budget)
    if status in (401, 403) and looks_like_challenge(body):
        message = _(
            "HTTP %(status)s: the site's bot protection answered with a challenge page "
            "instead of the feed."
        ) % {"status": status}
    elif status == 403:
        message = _(
            "HTTP 403 Forbidden: the server refused access "
            "(it may block automated readers or need a login)."
        )
    else:
        message = _("%(status)s: the server answered with an error.") % {
            "status": f"HTTP {status} {response.reason or ''}".rstrip()
        }
    return FetchError("http", message, status=status)


def wait_message(status: int, retry_after: datetime | None) -> str:
    """The sentence for a 429 or 503 answer (``retry_after``: aware UTC datetime or None),
    in the active language: "HTTP 429 Too many requests: the server asks to wait until ...".
    """
    if status == 429:
        reason = _("HTTP 429 Too many requests")
    else:
        reason = _("HTTP %(status)s Service unavailable") % {"status": status}
    if retry_after is None:
        return _("%(reason)s: the server asks to wait.") % {"reason": reason}
    return _("%(reason)s: the server asks to wait until %(time)s UTC.") % {
        "reason": reason,
        "time": f"{retry_after:%Y-%m-%d %H:%M}",
    }


_CHALLENGE_MARKERS = (
    b"cf-chl",
    b"cf_chl",
    b"challenge-platform",
    b"checking your browser",
    b"just a moment",
    b"attention required",
    b"ddos protection",
    b"enable javascript and cookies",
    b"captcha",
    b"_incapsula_",
    b"please verify you are a human",
)


def looks_like_challenge(content: bytes) -> bool:
    """True when ``content`` (the first KiB of an HTML page) looks like a bot-challenge page.

    Heuristic markers of Cloudflare, Incapsula, DDoS-Guard and generic CAPTCHA interstitials.
    """
    head = content[:ERROR_BODY_BYTES].lower()
    return b"<html" in head and any(marker in head for marker in _CHALLENGE_MARKERS)


def parse_retry_after(value: str, *, now: datetime | None = None) -> datetime | None:
    """Retry-After (RFC 9110 section 10.2.3) as an aware UTC datetime, or None when absent/invalid.

    ``value`` is delay-seconds (``"3600"``) or an HTTP-date (``"Sun, 01 Mar 2026 13:15:00 GMT"``);
    ``now`` defaults to ``django.utils.timezone.now()``.
    """
    value = (value or "").strip()
    if not value:
        return None
    now = now or timezone.now()
    if value.isdigit():
        return now + timedelta(seconds=min(int(value), 10 * 365 * 86400))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def fetch_result(
    url: str,
    final_url: str,
    response: requests.Response,
    content: bytes,
    hops: int,
    all_permanent: bool,
    started: float,
) -> FetchResult:
    """The ``FetchResult`` of a successful fetch of ``url`` (``started``: time.monotonic())."""
    headers = {k.lower(): v for k, v in response.headers.items()}
    return FetchResult(
        url=url,
        final_url=final_url,
        status=response.status_code,
        content=content,
        headers=headers,
        content_type=headers.get("content-type", ""),
        etag=headers.get("etag", ""),
        last_modified=headers.get("last-modified", ""),
        permanent_redirect=final_url if hops and all_permanent else None,
        elapsed=time.monotonic() - started,
    )
