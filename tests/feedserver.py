"""A threaded loopback HTTP server for tests: feeds, case routes, hostile behaviours, a request log.

Usage (through the ``feed_server`` fixture of tests/conftest.py, which also points the fetch guard's
test resolver at it)::

    feed_server.load_case("P16-redirects-permanent-temporary-loop")
    result = fetch(feed_server.url("/old.xml"))          # http://feeds.example.org:<port>/old.xml
    assert feed_server.hits("/old.xml") == 1
    feed_server.add_route("/x.xml", body=b"<rss/>", headers={"Content-Type": "application/rss+xml"})
    feed_server.add_route("/slow.xml", behaviour="drip", interval=0.2)

What it serves:

- **Routes** in the ``serve.json`` shape of ``../shared/cases`` (see cases/README.md):
  ``sequence`` (successive requests get successive responses, the last repeats), ``rules`` (first
  match wins: ``when_request_header`` exact, ``when_request_header_contains``,
  ``when_user_agent_matches`` regex, ``otherwise``), responses with ``status``, ``headers``,
  ``body`` (text) or ``body_file`` (bytes, relative to the case folder) and ``behaviour``.
  ``https://<test host>`` in Location headers is rewritten to this server
  (``http://feeds.example.org:<port>``).
- **Behaviours**: ``endless`` (chunked feed that never ends), ``drip`` (headers at once, then one
  byte every ``interval`` seconds, never finishing), ``drip_headers`` (the status line and headers
  one byte per ``interval``), ``silent`` (accepts and never sends a byte), ``drop`` (announces a
  Content-Length, sends part of the body and closes), ``reset`` (closes without answering). The
  prose behaviours of P29's serve.json map to these.
- **Static files** under ``/corpus/`` from ``../shared/corpus/feeds`` (when present) and any folder
  added with :meth:`FeedServer.add_static`: ETag, Last-Modified, 304 on If-None-Match /
  If-Modified-Since, gzip or brotli when the request asks for it.
- **Virtual hosts**: a route added with ``host=...`` answers only requests whose Host header names
  that host; routes without a host answer any host.
- **Log**: ``server.requests`` lists every request (method, host, path, headers) in arrival order.

:class:`Canary` is a TCP listener that only records connections: SSRF tests assert it saw none.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import brotli
from requests.structures import CaseInsensitiveDict

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CASES = SHARED / "cases"
CORPUS_FEEDS = SHARED / "corpus" / "feeds"

PUBLIC_TEST_HOST = "feeds.example.org"
# Names the fixture maps to the server and allows by name (cases/README.md "Hosts").
TEST_HOSTS = (
    "feeds.example.org",
    "lighthouse.example.org",
    "www.example.org",
    "example.org",
    "blog.example.com",
    "www.example.com",
    "example.net",
)
# Names mapped to loopback but NOT allowed: the guard must refuse them (P26, P27).
INTERNAL_HOSTS = ("internal-alias.example.net",)

CONTENT_TYPES = {
    ".xml": "application/xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".opml": "text/x-opml",
    ".ico": "image/x-icon",
    ".png": "image/png",
    ".txt": "text/plain",
}

ENDLESS_HEAD = b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>'
ENDLESS_ITEM = b"<item><title>again</title></item>"
DRIP_FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Drip</title>'
    b"<item><title>one</title><guid>1</guid></item></channel></rss>"
)


@dataclass
class LoggedRequest:
    """One request as the server saw it. ``host`` is the Host header without port, lower-case."""

    method: str
    host: str
    path: str
    headers: CaseInsensitiveDict
    at: float


@dataclass
class Route:
    """A registered path: serve.json responses (sequence or rules), a behaviour, or a handler."""

    sequence: list[dict[str, Any]] | None = None
    rules: list[dict[str, Any]] | None = None
    handler: Callable[[LoggedRequest], dict[str, Any]] | None = None
    base_dir: Path | None = None
    count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def pick(self, request: LoggedRequest) -> dict[str, Any]:
        with self.lock:
            self.count += 1
            index = self.count - 1
        if self.handler is not None:
            return self.handler(request)
        if self.sequence is not None:
            return self.sequence[min(index, len(self.sequence) - 1)]
        for rule in self.rules or ():
            if _rule_matches(rule, request):
                return rule
        return {"status": 404, "body": "no rule matched"}


def _rule_matches(rule: dict[str, Any], request: LoggedRequest) -> bool:
    if rule.get("otherwise"):
        return True
    for name, value in rule.get("when_request_header", {}).items():
        if request.headers.get(name) != value:
            return False
    for name, value in rule.get("when_request_header_contains", {}).items():
        if value not in request.headers.get(name, ""):
            return False
    pattern = rule.get("when_user_agent_matches")
    return not (
        pattern is not None and not re.search(pattern, request.headers.get("User-Agent", ""))
    )


def behaviour_from_text(text: str) -> tuple[str, float]:
    """Map a serve.json prose ``behaviour`` (or a plain name) to (name, interval seconds)."""
    lowered = text.lower()
    names = ("endless", "drip", "drip_headers", "silent", "drop", "reset")
    if lowered in names:
        return lowered, 5.0
    if "never send a byte" in lowered:
        return "silent", 0.0
    if "forever" in lowered:
        return "endless", 0.0
    match = re.search(r"every (\d+(?:\.\d+)?) seconds?", lowered)
    if match and "byte" in lowered:
        return "drip", float(match.group(1))
    raise ValueError(f"unknown behaviour: {text!r}")


class FeedServer:
    """The loopback test server. Start with ``with FeedServer() as server:`` (or start()/stop()).

    ``address`` is the loopback IP to bind (``127.0.0.1``; any 127/8 address works on Linux);
    ``tls`` an optional server-side ``ssl.SSLContext`` (then URLs use https).
    """

    def __init__(self, *, address: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> None:
        self.address = address
        self.tls = tls
        self.routes: dict[tuple[str | None, str], Route] = {}
        self.statics: list[tuple[str, Path]] = []
        self.requests: list[LoggedRequest] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        if CORPUS_FEEDS.is_dir():
            self.add_static("/corpus/", CORPUS_FEEDS)

    # --- lifecycle -----------------------------------------------------------------------------
    def start(self) -> FeedServer:
        handler = type("Handler", (_Handler,), {"feed_server": self})
        self._httpd = ThreadingHTTPServer((self.address, 0), handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        if self.tls is not None:
            self._httpd.socket = self.tls.wrap_socket(self._httpd.socket, server_side=True)
        thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05})
        thread.daemon = True
        thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    # --- addresses -----------------------------------------------------------------------------
    def base_url(self, host: str = PUBLIC_TEST_HOST) -> str:
        """``http://<host>:<port>`` (https with TLS); host may be an IP such as ``127.0.0.1``."""
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://{host}:{self.port}"

    def url(self, path: str = "/", host: str = PUBLIC_TEST_HOST) -> str:
        """Absolute URL of ``path`` on this server under the name ``host``."""
        return self.base_url(host) + (path if path.startswith("/") else "/" + path)

    def configure(self, settings: Any, *, extra_hosts: tuple[str, ...] = ()) -> None:
        """Point the fetch guard's test resolver at this server and allow the test hosts by name.

        ``settings`` is pytest-django's ``settings`` fixture (restored after the test). Names in
        ``INTERNAL_HOSTS`` resolve to this server too but are not allowed.
        """
        hosts = (*TEST_HOSTS, *extra_hosts)
        settings.FETCH_TEST_HOST_MAP = dict.fromkeys((*hosts, *INTERNAL_HOSTS), self.address)
        settings.FETCH_ALLOWED_HOSTS = list(hosts)

    @staticmethod
    def child_env() -> dict[str, str]:
        """Environment for child processes (a real worker) to reach the server by IP URL."""
        return {"FETCH_ALLOWED_NETWORKS": "127.0.0.0/8"}

    # --- routes --------------------------------------------------------------------------------
    def add_route(
        self,
        path: str,
        *,
        host: str | None = None,
        status: int = 200,
        headers: dict[str, str] | None = None,
        body: bytes | str = b"",
        body_file: str | Path | None = None,
        behaviour: str | None = None,
        interval: float | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        compress: bool = False,
        sequence: list[dict[str, Any]] | None = None,
        rules: list[dict[str, Any]] | None = None,
        handler: Callable[[LoggedRequest], dict[str, Any]] | None = None,
        base_dir: Path | None = None,
    ) -> Route:
        """Register ``path`` (exact, query included if given) and return its Route.

        With neither ``sequence``, ``rules`` nor ``handler``, the keyword arguments describe one
        response. ``etag``/``last_modified`` add the validators and answer matching conditional
        requests with 304; ``compress`` gzips or brotli-encodes when the request accepts it;
        ``interval`` is the drip period in seconds.
        """
        if sequence is None and rules is None and handler is None:
            response: dict[str, Any] = {"status": status, "headers": dict(headers or {})}
            if body_file is not None:
                response["body_file"] = str(body_file)
            else:
                response["body"] = body
            if behaviour is not None:
                response["behaviour"] = behaviour
            if interval is not None:
                response["interval"] = interval
            if etag is not None:
                response["headers"]["ETag"] = etag
            if last_modified is not None:
                response["headers"]["Last-Modified"] = last_modified
            response["conditional"] = etag is not None or last_modified is not None
            response["compress"] = compress
            sequence = [response]
        route = Route(sequence=sequence, rules=rules, handler=handler, base_dir=base_dir)
        self.routes[(host.lower() if host else None, path)] = route
        return route

    def add_static(self, prefix: str, directory: str | Path) -> None:
        """Serve files of ``directory`` under URL ``prefix`` (e.g. ``/corpus/``)."""
        self.statics.append((prefix.rstrip("/") + "/", Path(directory)))

    def load_case(
        self, case: str | Path, *, host: str | None = None, interval: float | None = None
    ) -> Path:
        """Register every route of a case's ``serve.json``; return the case folder.

        ``case`` is a folder name under ../shared/cases (``"P16-..."`` or just ``"P16"``) or a
        path. ``interval`` overrides drip periods (tests shorten P29's 5 s).
        """
        folder = _case_folder(case)
        spec = json.loads((folder / "serve.json").read_text(encoding="utf-8"))
        for item in spec["routes"]:
            if "behaviour" in item and "sequence" not in item and "rules" not in item:
                item = {**item, "sequence": [{"behaviour": item["behaviour"]}]}
            responses = [self._rewrite(r, interval) for r in item.get("sequence", ())]
            rules = [self._rewrite(r, interval) for r in item.get("rules", ())]
            self.add_route(
                item["path"],
                host=host,
                sequence=responses or None,
                rules=rules or None,
                base_dir=folder,
            )
        return folder

    def _rewrite(self, response: dict[str, Any], interval: float | None) -> dict[str, Any]:
        response = {**response, "headers": dict(response.get("headers", {}))}
        for name, value in response["headers"].items():
            if name.lower() == "location":
                response["headers"][name] = re.sub(
                    r"^https://([a-z0-9.-]+\.example\.(?:org|com|net))(?=[/?#]|$)",
                    lambda m: self.base_url(m.group(1)) if m.group(1) in TEST_HOSTS else m.group(0),
                    value,
                )
        if interval is not None:
            response["interval"] = interval
        return response

    # --- log -----------------------------------------------------------------------------------
    def requests_for(self, path: str, host: str | None = None) -> list[LoggedRequest]:
        """Logged requests for ``path`` (query ignored unless given), optionally for one host."""
        return [
            r
            for r in list(self.requests)
            if (r.path == path or r.path.split("?", 1)[0] == path)
            and (host is None or r.host == host)
        ]

    def hits(self, path: str, host: str | None = None) -> int:
        return len(self.requests_for(path, host))

    def clear_log(self) -> None:
        with self._lock:
            self.requests.clear()

    def log(self, request: LoggedRequest) -> None:
        with self._lock:
            self.requests.append(request)


def _case_folder(case: str | Path) -> Path:
    path = Path(case)
    if path.is_dir():
        return path
    matches = sorted(CASES.glob(f"{case}*")) if CASES.is_dir() else []
    if not matches:
        raise FileNotFoundError(f"no case folder {case!r} under {CASES}")
    return matches[0]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once: no delayed-ACK stalls
    feed_server: FeedServer

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _serve(self, *, head: bool) -> None:
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]").lower()
        request = LoggedRequest(
            method=self.command,
            host=host,
            path=self.path,
            headers=CaseInsensitiveDict(dict(self.headers.items())),
            at=time.monotonic(),
        )
        self.feed_server.log(request)
        try:
            route = self._route(host)
            if route is not None:
                response = route.pick(request)
                self._respond(response, request, route.base_dir, head=head)
            else:
                self._static(request, head=head)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True

    def _route(self, host: str) -> Route | None:
        routes = self.feed_server.routes
        bare = self.path.split("?", 1)[0]
        for key in ((host, self.path), (host, bare), (None, self.path), (None, bare)):
            if key in routes:
                return routes[key]
        return None

    # --- responses -----------------------------------------------------------------------------
    def _respond(
        self, response: dict[str, Any], request: LoggedRequest, base: Path | None, *, head: bool
    ) -> None:
        if response.get("behaviour"):
            name, interval = behaviour_from_text(response["behaviour"])
            interval = response.get("interval", interval)
            getattr(self, f"_behave_{name}")(response, interval)
            return
        status = int(response.get("status", 200))
        headers = dict(response.get("headers", {}))
        body = self._body(response, base)
        if response.get("conditional") and _not_modified(request, headers):
            status, body = 304, b""
        elif response.get("compress") and body:
            body = _compress(body, request, headers)
        self._send(status, headers, body, head=head)

    @staticmethod
    def _body(response: dict[str, Any], base: Path | None) -> bytes:
        if response.get("body_file"):
            path = Path(response["body_file"])
            return (path if path.is_absolute() or base is None else base / path).read_bytes()
        body = response.get("body", b"")
        return body.encode("utf-8") if isinstance(body, str) else body

    def _send(self, status: int, headers: dict[str, str], body: bytes, *, head: bool) -> None:
        self.send_response_only(status)
        names = {name.lower() for name in headers}
        if "date" not in names:
            self.send_header("Date", formatdate(usegmt=True))
        for name, value in headers.items():
            self.send_header(name, value)
        if status not in (204, 304) and "content-length" not in names:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head and status not in (204, 304):
            self.wfile.write(body)
        self.wfile.flush()

    def _static(self, request: LoggedRequest, *, head: bool) -> None:
        bare = self.path.split("?", 1)[0]
        for prefix, directory in self.feed_server.statics:
            if not bare.startswith(prefix):
                continue
            path = (directory / bare[len(prefix) :]).resolve()
            if directory.resolve() in path.parents and path.is_file():
                body = path.read_bytes()
                headers = {
                    "Content-Type": CONTENT_TYPES.get(path.suffix, "application/octet-stream"),
                    "ETag": '"' + hashlib.sha1(body).hexdigest()[:16] + '"',  # noqa: S324
                    "Last-Modified": formatdate(int(path.stat().st_mtime), usegmt=True),
                }
                if _not_modified(request, headers):
                    self._send(304, headers, b"", head=head)
                else:
                    self._send(200, headers, _compress(body, request, headers), head=head)
                return
        self._send(404, {"Content-Type": "text/plain"}, b"not found", head=head)

    # --- behaviours ----------------------------------------------------------------------------
    def _wait(self, seconds: float) -> bool:
        """Sleep; False when the server is stopping."""
        return not self.feed_server.stopping.wait(seconds)

    def _behave_endless(self, response: dict[str, Any], interval: float) -> None:
        self.send_response_only(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        block = ENDLESS_ITEM * 2000
        chunk = b"%x\r\n%s\r\n" % (len(block), block)
        self.wfile.write(b"%x\r\n%s\r\n" % (len(ENDLESS_HEAD), ENDLESS_HEAD))
        while not self.feed_server.stopping.is_set():
            self.wfile.write(chunk)

    def _behave_drip(self, response: dict[str, Any], interval: float) -> None:
        self.send_response_only(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.flush()
        position = 0
        while self._wait(interval):
            byte = DRIP_FEED[position : position + 1] or b" "
            self.wfile.write(byte)
            self.wfile.flush()
            position += 1
        self.close_connection = True

    def _behave_drip_headers(self, response: dict[str, Any], interval: float) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n" + b"X-Pad: x\r\n" * 50
        for position in range(len(head)):
            if not self._wait(interval):
                break
            self.wfile.write(head[position : position + 1])
            self.wfile.flush()
        self.close_connection = True

    def _behave_silent(self, response: dict[str, Any], interval: float) -> None:
        self.feed_server.stopping.wait(120)
        self.close_connection = True

    def _behave_drop(self, response: dict[str, Any], interval: float) -> None:
        self.send_response_only(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(DRIP_FEED) * 10))
        self.end_headers()
        self.wfile.write(DRIP_FEED[:40])
        self.wfile.flush()
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _behave_reset(self, response: dict[str, Any], interval: float) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


def _not_modified(request: LoggedRequest, headers: dict[str, str]) -> bool:
    """RFC 9110 section 13.1: If-None-Match (weak comparison) wins over If-Modified-Since."""
    etag = next((v for k, v in headers.items() if k.lower() == "etag"), None)
    modified = next((v for k, v in headers.items() if k.lower() == "last-modified"), None)
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        if etag is None:
            return False
        tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        return "*" in tags or etag.removeprefix("W/") in tags
    since = request.headers.get("If-Modified-Since")
    return since is not None and modified is not None and since == modified


def _compress(body: bytes, request: LoggedRequest, headers: dict[str, str]) -> bytes:
    accepted = request.headers.get("Accept-Encoding", "")
    codings = {c.split(";")[0].strip().lower() for c in accepted.split(",")}
    headers["Vary"] = "Accept-Encoding"
    if "br" in codings:
        headers["Content-Encoding"] = "br"
        return brotli.compress(body, quality=5)
    if "gzip" in codings:
        headers["Content-Encoding"] = "gzip"
        return gzip.compress(body)
    return body


class Canary:
    """A TCP listener that records every connection and never answers (SSRF tests).

    ``with Canary() as canary: ...; assert canary.connections == 0``.
    """

    def __init__(self, address: str = "127.0.0.1") -> None:
        self.address = address
        self.connections = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((address, 0))
        self._sock.listen(16)
        self._sock.settimeout(0.05)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def port(self) -> int:
        return self._sock.getsockname()[1]

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            conn.close()

    def __enter__(self) -> Canary:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(1)
        self._drain()
        self._sock.close()

    def _drain(self) -> None:
        """Count connections still waiting in the backlog."""
        self._sock.setblocking(False)
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()
