"""FetchError and FetchResult: what feeds.pipeline.fetch.fetch raises and returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


class FetchError(Exception):
    """A fetch that did not produce a usable response.

    ``kind`` is one of: ``invalid_url``, ``blocked`` (SSRF guard or scheme), ``dns``, ``connect``
    (refused, reset, closed early), ``timeout`` (connect or total time cap), ``tls``, ``too_large``
    (body past the size cap, or response headers longer than http.client reads),
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
