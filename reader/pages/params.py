"""Parsing the pages' query and form parameters: ids, the local ``next`` URL, the list query.

Ids are accepted only as plain digits shorter than 19 characters (they fit a bigint);
anything else reads as None, never as an error. ``next`` is followed only when it points
to this site (no open redirect).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def digits_id(value: str) -> int | None:
    """``value`` as an id when it is 1-18 ASCII digits, else None."""
    return int(value) if value.isdigit() and len(value) < 19 else None


def query_id(request: HttpRequest, name: str) -> int | None:
    """The id in query parameter ``name`` (see ``digits_id``), or None."""
    return digits_id(request.GET.get(name, ""))


def post_id(request: HttpRequest, name: str) -> int | None:
    """The id in form field ``name`` (see ``digits_id``), or None."""
    return digits_id(request.POST.get(name, ""))


def local_next(request: HttpRequest, default: str) -> str:
    """The form's ``next`` when it is a URL of this site, else ``default``."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def next_or_reader(request: HttpRequest) -> str:
    """The form's local ``next``, else /reader/."""
    return local_next(request, reverse("reader"))


def subscriptions_query(params: QueryDict) -> str:
    """The list's own parameters (filter, page) of ``params`` as a query string, so that an
    action on /subscriptions/ comes back to the same page."""
    kept = {k: params.get(k, "")[:200] for k in ("q", "category", "page") if params.get(k)}
    return urlencode(kept)
