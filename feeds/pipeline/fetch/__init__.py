"""The only outbound HTTP of Tidings: SSRF guard, time and size caps, conditional GET, redirects.

Modules: ``guard`` (address rules, resolver, check_url), ``transport`` (guarded connections,
watchdog), ``decode`` (content codings), ``client`` (fetch), ``errors`` (FetchError, FetchResult).

Every server-side request (feeds, discovery, icons, anything later) goes through :func:`fetch`
(or :func:`post_form`, the guarded form POST of WebSub subscription requests, module ``post``,
or :func:`open_stream`, the guarded GET whose body is passed on in pieces for the media proxy,
module ``stream``).

- **SSRF guard** (cases/README.md rule 8): http/https only; the host is resolved once, *every*
  address is checked against :data:`BLOCKED_NETWORKS` (IPv6 forms embedding IPv4 are checked as that
  IPv4), and the socket connects to exactly the checked address (``transport.py``),
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
  :data:`MAX_REDIRECTS` hops; cookies a redirect sets are kept for that fetch only, and a
  loop is a revisit with the same cookies), ``Retry-After`` parsed as seconds or HTTP-date.
  Content-Encoding as browsers read it: unknown tokens are identity, and a body labelled
  gzip/deflate/br that is not compressed is used as is (``decode``).

Test-only hook: ``settings.FETCH_TEST_HOST_MAP`` maps host names to IP addresses (or to a callable
returning one) inside the guard's resolver, so tests can serve ``feeds.example.org`` from loopback.
It is never read from the environment and is empty in production.
"""

from feeds.pipeline.fetch.client import (
    ERROR_BODY_BYTES,
    FEED_ACCEPT,
    MAX_REDIRECTS,
    fetch,
    looks_like_challenge,
    parse_retry_after,
)
from feeds.pipeline.fetch.decode import ACCEPT_ENCODING
from feeds.pipeline.fetch.errors import FetchError, FetchResult
from feeds.pipeline.fetch.guard import BLOCKED_NETWORKS, check_url, is_blocked_address
from feeds.pipeline.fetch.post import post_form  # WebSub subscription requests
from feeds.pipeline.fetch.stream import StreamedResponse, open_stream  # the media proxy

__all__ = [
    "ACCEPT_ENCODING",
    "BLOCKED_NETWORKS",
    "ERROR_BODY_BYTES",
    "FEED_ACCEPT",
    "MAX_REDIRECTS",
    "FetchError",
    "FetchResult",
    "StreamedResponse",
    "check_url",
    "fetch",
    "is_blocked_address",
    "looks_like_challenge",
    "open_stream",
    "parse_retry_after",
    "post_form",
]
