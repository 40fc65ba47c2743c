"""The wire format of the Tiny Tiny RSS API: replies, errors and parameters.

Source: the tt-rss "API Reference" (tt-rss.org/docs/API-Reference.html) and the behaviour of
tt-rss's ``classes/API.php``. Every reply is HTTP 200 with a JSON object
``{"seq": <int>, "status": 0 | 1, "content": ...}``; ``status`` 1 means an error, with
``content`` ``{"error": <code>}`` (codes below). Parameters come as one JSON object in the
POST body; numbers and booleans may also be sent as strings (``"0"``, ``"true"``), which
apps such as newsboat and TTRSS Android do for every value.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from django.http import HttpRequest, JsonResponse

STATUS_OK = 0
STATUS_ERR = 1

#: Error codes of tt-rss (``API::E_*``).
NOT_LOGGED_IN = "NOT_LOGGED_IN"
LOGIN_ERROR = "LOGIN_ERROR"
API_DISABLED = "API_DISABLED"
INCORRECT_USAGE = "INCORRECT_USAGE"
UNKNOWN_METHOD = "UNKNOWN_METHOD"
OPERATION_FAILED = "E_OPERATION_FAILED"
NOT_FOUND = "E_NOT_FOUND"

#: Integers outside this range are clamped (ids and counts never get near it; SQL must not
#: see a number wider than 64 bits).
INT_LIMIT = 2**62

_LEADING_INT = re.compile(r"\s*([+-]?\d+)")


class ApiError(Exception):
    """An error answered as ``{"status": 1, "content": {"error": code, ...}}``.

    ``code`` is one of the constants above; ``extra`` adds fields (``message``, ``method``).
    """

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


def reply(seq: int, content: Any, *, status: int = STATUS_OK, http_status: int = 200):
    """The JSON response ``{"seq", "status", "content"}`` (HTTP 200 unless told otherwise)."""
    body = {"seq": seq, "status": status, "content": content}
    return JsonResponse(
        body, status=http_status, safe=False, json_dumps_params={"ensure_ascii": False}
    )


def error_reply(seq: int, error: ApiError, *, http_status: int = 200):
    """The reply of ``error``: status 1, ``content`` ``{"error": code, **extra}``."""
    return reply(
        seq, {"error": error.code, **error.extra}, status=STATUS_ERR, http_status=http_status
    )


def request_params(request: HttpRequest) -> dict[str, Any]:
    """The parameters of one call: the JSON object in the body, over the query string.

    tt-rss reads ``$_REQUEST`` merged with the decoded JSON body, so ``?op=getVersion``
    works too; form fields count only when the body is not a JSON object (whatever its
    content type). A body that is neither adds nothing.
    NUL characters are dropped from string values (never meaningful; PostgreSQL refuses them).
    """
    params: dict[str, Any] = dict(request.GET.items())
    body = request.body if request.method == "POST" else b""
    try:
        decoded = json.loads(body) if body.strip() else None
    except (ValueError, UnicodeDecodeError, RecursionError):
        decoded = None
    if isinstance(decoded, dict):
        # newsboat sends its JSON with curl's default form content type: the body wins.
        params.update(decoded)
    elif request.method == "POST" and "form" in (request.content_type or ""):
        params.update(request.POST.items())
    return {str(k): _without_nul(v) for k, v in params.items()}


def _without_nul(value: Any) -> Any:
    return value.replace("\x00", "") if isinstance(value, str) else value


def as_bool(value: Any, default: bool = False) -> bool:
    """A tt-rss boolean: false for missing (``default``), ``false``, ``0``, ``""``, ``"0"``,
    ``"f"``, ``"false"`` and empty lists or objects; true for anything else (API Reference,
    "Boolean values", and PHP's truthiness that tt-rss applies)."""
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "f", "false")
    if isinstance(value, float) and math.isnan(value):
        return True
    return bool(value)


def as_int(value: Any, default: int = 0) -> int:
    """A tt-rss integer: a JSON number or the leading digits of a string (``"12"``, ``"-4"``),
    clamped to ±INT_LIMIT; ``default`` for anything else (missing, ``null``, ``"abc"``, lists)."""
    if isinstance(value, bool):
        number = int(value)
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float):
        number = int(value) if math.isfinite(value) else default
    elif isinstance(value, str):
        match = _LEADING_INT.match(value)
        number = int(match.group(1)) if match else default
    else:
        number = default
    return max(-INT_LIMIT, min(INT_LIMIT, number))


def is_integer(value: Any) -> bool:
    """True for a JSON integer or a string that is one integer (``"-3"``), as PHP's
    ``is_numeric`` tells feed ids from tag names."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value) is not None


def as_text(value: Any) -> str:
    """A string parameter: strings as they are, numbers as their decimal text, else ``""``."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def as_id_list(value: Any, *, limit: int = 1000) -> list[int]:
    """Positive integers from a comma-separated string (``"12,13"``) or a JSON list, in order,
    without repeats, at most ``limit`` of them (tt-rss ``_param_to_int_array``)."""
    if isinstance(value, str):
        items: list[Any] = value.split(",")
    elif isinstance(value, list):
        items = value
    elif isinstance(value, int) and not isinstance(value, bool):
        items = [value]
    else:
        return []
    ids = [as_int(item) for item in items if is_integer(item)]
    return list(dict.fromkeys(i for i in ids if i > 0))[:limit]
