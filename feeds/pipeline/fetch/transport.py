"""Connections that connect only to addresses the guard checked, and the per-fetch time budget."""

from __future__ import annotations

import contextlib
import contextvars
import heapq
import os
import socket
import threading
import time
from collections.abc import Iterator

import requests
from django.utils.translation import gettext as _
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from feeds.pipeline.fetch.errors import FetchError
from feeds.pipeline.fetch.guard import guarded_addresses

current_budget: contextvars.ContextVar[Budget | None] = contextvars.ContextVar(
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
            budget = current_budget.get()
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


class Budget:
    """The wall-clock cap of one fetch: the watchdog shuts down every socket at the deadline."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.expired = False
        self.done = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def __enter__(self) -> Budget:
        self._token = current_budget.set(self)
        _WATCHDOG.watch(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.done = True
        current_budget.reset(self._token)

    def start(self) -> Budget:
        """Watch this budget without entering it: for a response streamed after the call that
        opened it returned (``stream``). Sockets are registered inside :meth:`registering`;
        :meth:`finish` ends the watch."""
        _WATCHDOG.watch(self)
        return self

    @contextlib.contextmanager
    def registering(self) -> Iterator[Budget]:
        """Within this block, new connections register their sockets with this budget."""
        token = current_budget.set(self)
        try:
            yield self
        finally:
            current_budget.reset(token)

    def finish(self) -> None:
        """The fetch is over: the watchdog forgets this budget."""
        self.done = True

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def register(self, sock: socket.socket) -> None:
        with self._lock:
            if self.expired:
                _shutdown(sock)
            self._sockets.append(sock)

    def expire(self) -> None:
        """Called by the watchdog at the deadline."""
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shutdown(sock)

    def check(self) -> None:
        if self.expired or self.remaining() <= 0:
            raise self.timeout_error()

    def timeout_error(self) -> FetchError:
        message = _("The server took longer than %(seconds)s s to answer.")
        return FetchError("timeout", message % {"seconds": seconds_text(self.seconds)})


class _Watchdog:
    """One daemon thread per process that expires the budgets of all fetches at their deadlines.

    Cheaper than a timer thread per fetch; restarted lazily after a fork (Celery prefork).
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Fresh state (also in a forked child, whose copy of the lock may be held)."""
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Budget]] = []
        self._pid = 0

    def watch(self, budget: Budget) -> None:
        with self._cond:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                self._heap = []
                threading.Thread(
                    target=self._run, name="tidings-fetch-watchdog", daemon=True
                ).start()
            heapq.heappush(self._heap, (budget.deadline, id(budget), budget))
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._heap and (
                    self._heap[0][2].done or self._heap[0][0] <= time.monotonic()
                ):
                    _, _, budget = heapq.heappop(self._heap)
                    if not budget.done:
                        budget.expire()
                timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                self._cond.wait(timeout)


_WATCHDOG = _Watchdog()
os.register_at_fork(after_in_child=_WATCHDOG.reset)


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def seconds_text(value: float) -> str:
    """``30`` for 30.0, ``2.5`` for 2.5: seconds as shown in messages."""
    return f"{value:g}"


@contextlib.contextmanager
def guarded_session() -> Iterator[requests.Session]:
    """A requests Session whose http/https adapters use the guarded connections; closed after."""
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
