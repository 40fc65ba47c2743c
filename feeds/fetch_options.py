"""Per-feed fetch options the admin sets: User-Agent, extra headers, cache headers.

Feeds are shared, so these options are the admin's (Feed admin), never a reader's:

- ``Feed.user_agent``: replaces ``settings.USER_AGENT`` for this feed (servers that answer
  403 to unknown clients, case P18);
- ``Feed.extra_headers``: a JSON object ``{"Header-Name": "value"}`` added to every request
  of this feed (a cookie, an API key). Cookie and Authorization never follow a redirect to
  another origin (``feeds.pipeline.fetch``);
- ``Feed.ignore_cache_headers``: send no ``If-None-Match``/``If-Modified-Since`` and ignore
  ``Cache-Control: max-age`` when scheduling (servers whose validators or 304s are wrong).

Only ``feeds.services.feed_refresh`` reads them, through :func:`fetch_kwargs`.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError

__all__ = ["FORBIDDEN_HEADERS", "MAX_HEADERS", "fetch_kwargs", "validate_extra_headers"]

MAX_HEADERS = 20
MAX_VALUE_LENGTH = 4096
# RFC 9110 section 5.1: a field name is a token.
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$")
# Headers the fetcher owns: framing, routing and the content codings it can decode.
FORBIDDEN_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "upgrade",
        "te",
        "trailer",
        "proxy-authorization",
        "proxy-connection",
        "accept-encoding",
        "if-none-match",
        "if-modified-since",
    }
)


def validate_extra_headers(value: Any) -> None:
    """Validate ``Feed.extra_headers``: a JSON object of at most 20 ``name: value`` strings.

    Names are RFC 9110 tokens and not one the fetcher owns (:data:`FORBIDDEN_HEADERS`:
    Host, framing, Accept-Encoding, validators; use the User-Agent field for the agent);
    values are printable, at most 4096 characters, without CR, LF or NUL (no header
    injection). Raises ``django.core.exceptions.ValidationError`` with a readable message.
    """
    if value in (None, ""):
        return
    if not isinstance(value, dict):
        raise ValidationError('Extra headers must be a JSON object: {"Name": "value"}.')
    if len(value) > MAX_HEADERS:
        raise ValidationError(f"At most {MAX_HEADERS} extra headers.")
    for name, header_value in value.items():
        if not isinstance(name, str) or not _TOKEN.match(name):
            raise ValidationError(f"{name!r} is not a valid header name.")
        if name.lower() in FORBIDDEN_HEADERS or name.lower() == "user-agent":
            raise ValidationError(f"The header {name} cannot be set here.")
        if not isinstance(header_value, str):
            raise ValidationError(f"The value of {name} must be a string.")
        if len(header_value) > MAX_VALUE_LENGTH or any(c in header_value for c in "\r\n\x00"):
            raise ValidationError(f"The value of {name} is too long or contains a line break.")


def fetch_kwargs(feed: Any) -> dict[str, Any]:
    """Keyword arguments of ``feeds.pipeline.fetch.fetch`` for ``feed``'s options.

    Returns ``{"etag": str, "last_modified": str, "extra_headers": dict | None,
    "user_agent": str | None}``. Headers that fail :func:`validate_extra_headers`
    (written around the admin form) are dropped as a whole rather than sent.
    """
    headers = getattr(feed, "extra_headers", None) or None
    try:
        validate_extra_headers(headers)
    except ValidationError:
        headers = None
    ignore = bool(getattr(feed, "ignore_cache_headers", False))
    return {
        "etag": "" if ignore else feed.etag,
        "last_modified": "" if ignore else feed.last_modified,
        "extra_headers": dict(headers) if headers else None,
        "user_agent": (getattr(feed, "user_agent", "") or "").strip() or None,
    }
