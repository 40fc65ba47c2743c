"""The only outbound HTTP of Tidings: SSRF guard, time and size caps, conditional GET, redirects.

Every server-side request (feeds, discovery, icons, anything later) goes through :func:`fetch`.

- **SSRF guard** (cases/README.md rule 8): http/https only; the host is resolved once, *every*
  address is checked against :data:`BLOCKED_NETWORKS` (IPv6 forms embedding IPv4 are checked as that
  IPv4), and the socket connects to exactly the checked address (:class:`_GuardedHTTPConnection`),
  so DNS rebinding between check and connect is impossible. TLS still uses the host name (SNI and
  certificate verification). Every redirect hop is checked again. Non-canonical numeric hosts
  (``http://2130706433/``, ``http://0x7f.1/``, ``http://127.1/``) are refused outright.
  Operator allowlists: ``settings.FETCH_ALLOWED_NETWORKS`` (CIDRs) and
  ``settings.FETCH_ALLOWED_HOSTS`` (host names, exempted by name only: IP literals and other
  names resolving to the same address stay blocked).
- **Caps**: connect timeout ``FETCH_TIMEOUT_CONNECT`` s; a wall-clock cap ``FETCH_TIMEOUT_TOTAL`` s
  for the whole fetch including redirects, enforced by a watchdog that shuts the socket down, so a
  server dripping one byte a second (even in its headers) ends in time; a body cap
  ``FETCH_MAX_BYTES`` counted *after* decompression while streaming (gzip, deflate, brotli are
  decoded here, in bounded pieces), so a compression bomb ends with kind ``too_large``.
- **HTTP semantics** (RFC 9110, RFC 9111): validators sent back verbatim (``If-None-Match``,
  ``If-Modified-Since``), 304 is a success, redirects followed by hand (at most
  :data:`MAX_REDIRECTS` hops), ``Retry-After`` parsed as seconds or HTTP-date.

Test-only hook: ``settings.FETCH_TEST_HOST_MAP`` maps host names to IP addresses (or to a callable
returning one) inside the guard's resolver, so tests can serve ``feeds.example.org`` from loopback.
It is never read from the environment and is empty in production.
"""

from __future__ import annotations

import contextlib
import contextvars
import email.utils
import ipaddress
import re
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from http.client import HTTPException
from urllib.parse import urljoin, urlsplit, urlunsplit

import brotli
import requests
import urllib3
from django.conf import settings
from django.utils import timezone
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECT_STATUSES = frozenset({301, 308})
ACCEPT_ENCODING = "gzip, deflate, br"  # exactly the codings _decoder() can decode
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.8, application/json;q=0.8, text/html;q=0.5, */*;q=0.3"
)
ERROR_BODY_BYTES = 64 * 1024  # how much of a 4xx/5xx body is read to recognise a challenge page
_READ_CHUNK = 64 * 1024
_DECODE_CHUNK = 256 * 1024

BLOCKED_NETWORKS: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = tuple(
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/128",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
        "ff00::/8",
    )
)
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+))*\.?$")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchError(Exception):
    """A fetch that did not produce a usable response.

    ``kind`` is one of: ``invalid_url``, ``blocked`` (SSRF guard or scheme), ``dns``, ``connect``
    (refused, reset, closed early), ``timeout`` (connect or total time cap), ``tls``, ``too_large``,
    ``too_many_redirects`` (more than 5 hops or a loop), ``http`` (4xx/5xx; ``status`` set),
    ``gone`` (410), ``rate_limited`` (429/503; ``retry_after`` is an aware UTC datetime or None).
    ``message`` is a readable sentence for users and admins.
    """

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        status: int | None = None,
        retry_after: datetime | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"FetchError({self.kind!r}, {self.message!r}, status={self.status!r})"


@dataclass
class FetchResult:
    """A successful fetch.

    ``url`` is the requested URL as cleaned by :func:`check_url`, ``final_url`` the URL after
    redirects. ``status`` is the final 2xx status or 304 (then ``content`` is ``b""``);
    ``content`` is the decompressed body (at most ``max_bytes``); ``headers`` has lower-case keys;
    ``content_type`` is the raw Content-Type header ("" when absent); ``etag`` and
    ``last_modified`` are the validators of the final response, verbatim ("" when absent);
    ``permanent_redirect`` is the final URL when every hop was 301/308, else None; ``elapsed`` is
    wall-clock seconds for the whole fetch.
    """

    url: str
    final_url: str
    status: int
    content: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = ""
    etag: str = ""
    last_modified: str = ""
    permanent_redirect: str | None = None
    elapsed: float = 0.0


# --- SSRF guard --------------------------------------------------------------------------------


class _BlockedAddress(Exception):
    """Raised inside the connection when an address is refused; not an OSError on purpose."""

    def __init__(self, host: str) -> None:
        super().__init__(host)
        self.host = host


@lru_cache(maxsize=32)
def _parse_networks(
    cidrs: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(c.strip(), strict=False) for c in cidrs if c.strip())


def _allowed_networks() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return _parse_networks(tuple(getattr(settings, "FETCH_ALLOWED_NETWORKS", ()) or ()))


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv6 one (mapped, compatible, NAT64, translated, 6to4, Teredo)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _IPV4_COMPATIBLE or ip in _NAT64 or ip in _IPV4_TRANSLATED:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def is_blocked_address(ip: IPAddress | str) -> bool:
    """True when the SSRF guard refuses a connection to ``ip`` (cases/README.md rule 8).

    An address inside ``settings.FETCH_ALLOWED_NETWORKS`` is allowed. An IPv6 address embedding an
    IPv4 address (``::ffff:a.b.c.d``, ``::a.b.c.d``, ``64:ff9b::a.b.c.d``, 6to4, Teredo) is judged
    as that IPv4 address. Raises ValueError for a string that is not an IP address.
    """
    if isinstance(ip, str):
        ip = ipaddress.ip_address(ip.split("%", 1)[0])
    if any(ip in net for net in _allowed_networks() if net.version == ip.version):
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:  # includes :: and ::1, judged as 0.0.0.0 and 0.0.0.1
            return is_blocked_address(embedded)
    return any(ip in net for net in BLOCKED_NETWORKS if net.version == ip.version)


def _host_exempt(host: str) -> bool:
    """Host names in FETCH_ALLOWED_HOSTS skip the address check; IP literals never do."""
    if _ip_literal(host) is not None:
        return False
    allowed = {h.strip().rstrip(".").lower() for h in getattr(settings, "FETCH_ALLOWED_HOSTS", ())}
    return host in allowed


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def _resolve(host: str, port: int) -> list[tuple]:
    """getaddrinfo for TCP, through the test host map when a test configured one."""
    target = (getattr(settings, "FETCH_TEST_HOST_MAP", None) or {}).get(host)
    if target is not None:
        address = target() if callable(target) else target
        return socket.getaddrinfo(
            address, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST
        )
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


def guarded_addresses(host: str, port: int) -> list[tuple]:
    """Resolve ``host`` once and return its getaddrinfo tuples, all of them checked.

    Raises ``_BlockedAddress`` if any address is refused (unless the host name is exempt by name),
    ``socket.gaierror`` if the name does not resolve.
    """
    name = host.strip("[]").rstrip(".").lower()
    infos = _resolve(name, port)
    if not infos:
        raise socket.gaierror(socket.EAI_NONAME, "no address")
    if not _host_exempt(name):
        for info in infos:
            if is_blocked_address(info[4][0]):
                raise _BlockedAddress(name)
    return infos


def _blocked_message(host: str, *, redirect: bool = False) -> str:
    what = f"The server redirected to {host}, which" if redirect else f"The address {host}"
    return f"{what} is not allowed: it points to a private, local or reserved network."


def check_url(url: str, *, resolve: bool = True, redirect: bool = False) -> str:
    """Validate ``url`` against the SSRF guard without fetching it; return the cleaned URL.

    Cleaning: surrounding whitespace removed, scheme and host lower-cased, host IDNA-encoded,
    default port and fragment dropped, empty path becomes ``/``. With ``resolve`` (default) the
    host name is resolved and every address checked (``fetch`` checks again at connect time).
    ``redirect`` only changes the wording of messages.

    Raises FetchError ``invalid_url`` (not an absolute web address), ``blocked`` (scheme other than
    http/https, numeric host spelling, refused address) or ``dns`` (name does not resolve).
    """
    if not isinstance(url, str) or not url.strip():
        raise FetchError("invalid_url", "The address is empty.")
    url = url.strip()
    if re.search(r"[\x00-\x20\x7f]", url):
        raise FetchError("invalid_url", "The address contains spaces or control characters.")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        if not scheme or ("//" not in url and scheme not in ("javascript", "data", "mailto")):
            raise FetchError("invalid_url", "The address must start with http:// or https://.")
        raise FetchError("blocked", "Only http:// and https:// addresses are allowed.")
    try:
        host = parts.hostname or ""
        port = parts.port
    except ValueError as exc:
        raise FetchError("invalid_url", f"The address is not valid ({exc}).") from exc
    if not host:
        raise FetchError("invalid_url", "The address has no host name.")
    host = _idna(host.rstrip("."))
    if not host:
        raise FetchError("invalid_url", "The address has no host name.")
    if _NUMERIC_HOST.match(host) and _ip_literal(host) is None:
        raise FetchError("blocked", _blocked_message(host, redirect=redirect))
    literal = _ip_literal(host)
    if literal is not None and is_blocked_address(literal):
        raise FetchError("blocked", _blocked_message(host, redirect=redirect))
    if literal is None and resolve:
        try:
            guarded_addresses(host, port or (443 if scheme == "https" else 80))
        except _BlockedAddress as exc:
            raise FetchError("blocked", _blocked_message(host, redirect=redirect)) from exc
        except (OSError, UnicodeError) as exc:
            raise FetchError("dns", f"The host name {host} could not be resolved.") from exc
    netloc = f"[{literal}]" if isinstance(literal, ipaddress.IPv6Address) else host
    if parts.username is not None:
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = f"{userinfo}@{netloc}"
    if port is not None and port != (443 if scheme == "https" else 80):
        netloc = f"{netloc}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def _idna(host: str) -> str:
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        if _ip_literal(host) is not None or host.isascii():
            return host.lower()
        raise FetchError("invalid_url", f"The host name {host!r} is not valid.") from exc


# --- connections that connect only to checked addresses ----------------------------------------

_current_budget: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar(
    "tidings_fetch_budget", default=None
)


class _GuardedConnectionMixin:
    """Resolve, check every address, and connect to the checked address (no second lookup)."""

    def _new_conn(self) -> socket.socket:
        host, port = self._dns_host, self.port  # type: ignore[attr-defined]
        try:
            infos = guarded_addresses(host, port)
        except socket.gaierror as exc:
            raise NameResolutionError(host, self, exc) from exc  # type: ignore[arg-type]
        last_error: OSError | None = None
        for family, socktype, proto, _name, sockaddr in infos:
            sock = socket.socket(family, socktype, proto)
            try:
                for option in self.socket_options or ():  # type: ignore[attr-defined]
                    sock.setsockopt(*option)
                timeout = self.timeout  # type: ignore[attr-defined]
                if isinstance(timeout, int | float):  # else urllib3's "default" sentinel or None
                    sock.settimeout(timeout)
                sock.connect(sockaddr)
            except TimeoutError as exc:
                sock.close()
                raise ConnectTimeoutError(self, f"Connection to {host} timed out.") from exc
            except OSError as exc:
                sock.close()
                last_error = exc
                continue
            budget = _current_budget.get()
            if budget is not None:
                budget.register(sock)
            return sock
        message = f"Failed to establish a new connection: {last_error}"
        raise NewConnectionError(self, message) from last_error  # type: ignore[arg-type]


class _GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    """requests adapter whose pools use the guarded connections; no retries."""

    def __init__(self) -> None:
        super().__init__(max_retries=0, pool_connections=4, pool_maxsize=4)

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs) -> None:  # type: ignore[override]
        super().init_poolmanager(connections, maxsize, block=block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPPool,
            "https": _GuardedHTTPSPool,
        }


class _Budget:
    """The wall-clock cap of one fetch: a watchdog shuts down every socket at the deadline."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Budget:
        self._token = _current_budget.set(self)
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()
        _current_budget.reset(self._token)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def register(self, sock: socket.socket) -> None:
        with self._lock:
            if self.expired:
                _shutdown(sock)
            self._sockets.append(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shutdown(sock)

    def check(self) -> None:
        if self.expired or self.remaining() <= 0:
            raise self.timeout_error()

    def timeout_error(self) -> FetchError:
        return FetchError(
            "timeout", f"The server took longer than {_seconds(self.seconds)} s to answer."
        )


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _seconds(value: float) -> str:
    return f"{value:g}"


# --- decoding -----------------------------------------------------------------------------------


class _ZlibDecoder:
    """gzip (multi-member) or deflate (zlib-wrapped or raw), emitting bounded pieces."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._obj: zlib._Decompress | None = None  # type: ignore[name-defined]

    def _new(self, first: bytes) -> zlib._Decompress:  # type: ignore[name-defined]
        if self.coding == "gzip":
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        zlib_wrapped = (
            len(first) >= 2 and first[0] & 0x0F == 8 and (first[0] << 8 | first[1]) % 31 == 0
        )
        return zlib.decompressobj(zlib.MAX_WBITS if zlib_wrapped else -zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data:
            if self._obj is None:
                self._obj = self._new(data)
            out = self._obj.decompress(data, _DECODE_CHUNK)
            data = self._obj.unconsumed_tail
            if out:
                yield out
            if self._obj.eof:
                rest = self._obj.unused_data
                # A new gzip member may follow (RFC 1952 section 2.2); anything else is ignored.
                data = rest if self.coding == "gzip" and rest[:2] == b"\x1f\x8b" else b""
                self._obj = None

    def flush(self) -> Iterator[bytes]:
        if self._obj is not None:
            out = self._obj.flush()
            if out:
                yield out


class _BrotliDecoder:
    coding = "br"

    def __init__(self) -> None:
        self._obj = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        out = self._obj.process(data, output_buffer_limit=_DECODE_CHUNK)
        if out:
            yield out
        while not self._obj.can_accept_more_data():
            out = self._obj.process(b"", output_buffer_limit=_DECODE_CHUNK)
            if not out:
                break
            yield out

    def flush(self) -> Iterator[bytes]:
        return iter(())


def _decoders(content_encoding: str, status: int) -> list[_ZlibDecoder | _BrotliDecoder]:
    """Decoders in the order to apply them (reverse of the header's order, RFC 9110 8.4)."""
    decoders: list[_ZlibDecoder | _BrotliDecoder] = []
    for coding in reversed([c.strip().lower() for c in content_encoding.split(",") if c.strip()]):
        if coding in ("identity", ""):
            continue
        if coding in ("gzip", "x-gzip"):
            decoders.append(_ZlibDecoder("gzip"))
        elif coding == "deflate":
            decoders.append(_ZlibDecoder("deflate"))
        elif coding == "br":
            decoders.append(_BrotliDecoder())
        else:
            raise FetchError(
                "http",
                f"The server used an unsupported content encoding ({coding}).",
                status=status,
            )
    return decoders


def _decode(pieces: Iterator[bytes], decoders: list, *, final: bool = False) -> Iterator[bytes]:
    if not decoders:
        yield from pieces
        return
    head, rest = decoders[0], decoders[1:]

    def produced() -> Iterator[bytes]:
        for piece in pieces:
            yield from head.feed(piece)
        if final:
            yield from head.flush()

    yield from _decode(produced(), rest, final=final)


# --- the fetch ----------------------------------------------------------------------------------


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
    current = first = check_url(url)
    headers = _request_headers(etag, last_modified, extra_headers, user_agent)
    seen = {current}
    all_permanent = True
    with _Budget(float(settings.FETCH_TIMEOUT_TOTAL)) as budget, _session() as session:
        for hop in range(MAX_REDIRECTS + 1):
            response = _send(session, current, headers, budget)
            with contextlib.closing(response):
                status = response.status_code
                if status in REDIRECT_STATUSES:
                    target = _redirect_target(current, response, hop, seen)
                    all_permanent = all_permanent and status in PERMANENT_REDIRECT_STATUSES
                    headers = _headers_for_hop(headers, current, target)
                    current = target
                    continue
                if status >= 400:
                    raise _http_error(response, budget)
                content = b"" if status == 304 else _read_body(response, cap, budget)
                return _result(first, current, response, content, hop, all_permanent, started)
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


@contextlib.contextmanager
def _session() -> Iterator[requests.Session]:
    session = requests.Session()
    session.trust_env = (
        False  # no proxies or .netrc from the environment: they would bypass the guard
    )
    session.headers.clear()
    adapter = _GuardedAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    try:
        yield session
    finally:
        session.close()


def _send(
    session: requests.Session, url: str, headers: dict[str, str], budget: _Budget
) -> requests.Response:
    budget.check()
    connect = max(0.01, min(float(settings.FETCH_TIMEOUT_CONNECT), budget.remaining()))
    verify = getattr(settings, "FETCH_CA_BUNDLE", None) or True
    with _translated_errors(url, budget):
        return session.get(
            url,
            headers=headers,
            allow_redirects=False,
            stream=True,
            timeout=(connect, max(0.01, budget.remaining())),
            verify=verify,
        )


@contextlib.contextmanager
def _translated_errors(url: str, budget: _Budget) -> Iterator[None]:
    """Turn requests/urllib3/socket exceptions into FetchError kinds with readable messages."""
    host = urlsplit(url).hostname or url
    try:
        yield
    except _BlockedAddress as exc:
        raise FetchError("blocked", _blocked_message(exc.host)) from exc
    except (requests.RequestException, urllib3.exceptions.HTTPError, HTTPException, OSError) as exc:
        if budget.expired:
            raise budget.timeout_error() from exc
        raise _classify(exc, host) from exc


def _classify(exc: Exception, host: str) -> FetchError:
    chain = _exception_chain(exc)
    if any(isinstance(e, _BlockedAddress) for e in chain):
        return FetchError("blocked", _blocked_message(host))
    if any(isinstance(e, NameResolutionError | socket.gaierror) for e in chain):
        return FetchError("dns", f"The host name {host} could not be resolved.")
    # urllib3's NewConnectionError subclasses its timeout errors: a refusal is no timeout.
    if any(isinstance(e, NewConnectionError) for e in chain):
        return FetchError("connect", f"Could not connect to {host}: {_reason(chain)}.")
    if isinstance(exc, requests.exceptions.ConnectTimeout) or any(
        isinstance(e, ConnectTimeoutError) for e in chain
    ):
        seconds = _seconds(settings.FETCH_TIMEOUT_CONNECT)
        return FetchError(
            "timeout", f"The server {host} did not accept a connection within {seconds} s."
        )
    if isinstance(exc, requests.exceptions.SSLError) or any(
        isinstance(e, urllib3.exceptions.SSLError | ssl.SSLError) for e in chain
    ):
        return FetchError("tls", f"The secure connection to {host} failed: {_reason(chain)}.")
    if isinstance(exc, requests.exceptions.Timeout) or any(
        isinstance(e, TimeoutError | urllib3.exceptions.TimeoutError) for e in chain
    ):
        seconds = _seconds(settings.FETCH_TIMEOUT_TOTAL)
        return FetchError("timeout", f"The server took longer than {seconds} s to answer.")
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.InvalidSchema):
        return FetchError("invalid_url", f"The address is not valid: {exc}.")
    return FetchError(
        "connect", f"The connection to {host} failed before the response was complete."
    )


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


def _reason(chain: list[BaseException]) -> str:
    for exc in reversed(chain):
        if isinstance(exc, OSError) and exc.strerror:
            return exc.strerror.lower()
    return str(chain[-1]).split(": ")[-1] or type(chain[-1]).__name__


def _redirect_target(current: str, response: requests.Response, hop: int, seen: set[str]) -> str:
    location = response.headers.get("location", "").strip()
    if not location:
        raise FetchError(
            "http",
            f"The server answered {response.status_code} without a Location to redirect to.",
            status=response.status_code,
        )
    if hop >= MAX_REDIRECTS:
        raise FetchError("too_many_redirects", f"Too many redirects (more than {MAX_REDIRECTS}).")
    target = check_url(urljoin(current, location), redirect=True)
    if target in seen:
        raise FetchError(
            "too_many_redirects", "Too many redirects: the server redirects in a loop."
        )
    seen.add(target)
    return target


def _read_body(response: requests.Response, cap: int, budget: _Budget) -> bytes:
    """Stream the body, decompressing in bounded pieces; too_large past ``cap`` decoded bytes."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and not response.headers.get("content-encoding") and int(declared) > cap:
        raise _too_large(cap)
    decoders = _decoders(response.headers.get("content-encoding", ""), response.status_code)
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

    with _translated_errors(response.url, budget):
        try:
            for piece in _decode(chunks(), decoders, final=True):
                body += piece
                if len(body) > cap:
                    raise _too_large(cap)
        except (zlib.error, brotli.error) as exc:
            coding = ", ".join(d.coding for d in decoders)
            raise FetchError(
                "http",
                f"The response could not be decompressed ({coding}).",
                status=response.status_code,
            ) from exc
    if budget.expired:
        raise budget.timeout_error()
    return bytes(body)


def _too_large(cap: int) -> FetchError:
    return FetchError("too_large", f"The response is too large (more than {cap / 1048576:g} MiB).")


def _http_error(response: requests.Response, budget: _Budget) -> FetchError:
    status = response.status_code
    if status == 410:
        return FetchError(
            "gone",
            "The feed is gone (HTTP 410): the server says it was removed for good.",
            status=status,
        )
    if status in (429, 503):
        retry_after = parse_retry_after(response.headers.get("retry-after", ""))
        when = f" until {retry_after:%Y-%m-%d %H:%M} UTC" if retry_after else ""
        reason = "Too many requests" if status == 429 else "Service unavailable"
        return FetchError(
            "rate_limited",
            f"HTTP {status} {reason}: the server asks to wait{when}.",
            status=status,
            retry_after=retry_after,
        )
    body = b""
    with contextlib.suppress(FetchError):
        body = _read_body(response, ERROR_BODY_BYTES, budget)
    if status in (401, 403) and looks_like_challenge(body):
        message = (
            f"HTTP {status}: the site's bot protection answered with a challenge page "
            "instead of the feed."
        )
    elif status == 403:
        message = (
            "HTTP 403 Forbidden: the server refused access "
            "(it may block automated readers or need a login)."
        )
    else:
        message = (
            f"HTTP {status} {response.reason or ''}".rstrip()
            + ": the server answered with an error."
        )
    return FetchError("http", message, status=status)


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


def _result(
    url: str,
    final_url: str,
    response: requests.Response,
    content: bytes,
    hops: int,
    all_permanent: bool,
    started: float,
) -> FetchResult:
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
