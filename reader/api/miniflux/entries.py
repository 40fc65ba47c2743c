"""Miniflux's entry list parameters translated onto ``reader.selectors``.

``GET /v1/entries`` (and the feed and category forms) takes, as Miniflux's
``internal/api/entry_handlers.go`` reads them: ``status`` (repeatable: ``read``,
``unread``, ``removed``), ``starred``, ``limit`` (default 100; 0: no limit), ``offset``,
``order``, ``direction`` (default ``asc``), ``after`` / ``before`` and
``published_after`` / ``published_before`` (Unix seconds, exclusive bounds on the
publication date), ``after_entry_id`` / ``before_entry_id`` (exclusive), ``category_id``,
``feed_id`` and ``search``. The answer is ``{"total": <entries matching>, "entries": [...]}``.

Translation: the filters become one ``reader.selectors.EntryFilters``; ``offset`` skips that
many entries with ``entry_id_page`` (ids only) and the page starts at the cursor
(``reader.selectors.cursors``) after the last one skipped, so offsets count the same list
``entry_list`` pages through; ``total`` is ``entry_count``. Entries are listed by
publication date, Tidings' one order: ``order=published_at`` is exact, the other orders
Miniflux accepts (``id``, ``created_at``...) are answered in publication-date order.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from reader import selectors
from reader.api.compat.integer_ids import ENTRY_ID_START
from reader.api.miniflux.base import MAX_ID, bad_request, query_bool, query_int
from reader.api.miniflux.shapes import UNCATEGORIZED, entry_json, feed_json
from reader.errors import NotFound

#: Orders Miniflux accepts (``validator.ValidateEntryOrder``).
ORDERS = (
    "id",
    "status",
    "changed_at",
    "published_at",
    "created_at",
    "category_title",
    "category_id",
    "title",
    "author",
)
#: Entries per answer without ``limit`` (Miniflux's default).
DEFAULT_LIMIT = 100
#: Most entries one answer carries (``limit=0``, Miniflux's "no limit", and larger limits).
MAX_LIMIT = 10_000
#: Largest Unix time accepted (year 9999); later times are treated as that.
_MAX_UNIX = 253_402_300_799


def _statuses(request: HttpRequest) -> set[str]:
    values = set()
    for raw in request.GET.getlist("status"):
        for value in raw.split(","):
            value = value.strip()
            if not value:
                continue
            if value not in ("read", "unread", "removed"):
                raise bad_request(
                    _('Invalid entry status, valid status values are: "read" and "unread".')
                )
            values.add(value)
    return values - {"removed"}  # Tidings removes nothing a reader may list


def _unix(request: HttpRequest, *names: str) -> datetime | None:
    for name in names:
        value = query_int(request, name, 0)
        if value > 0:
            return datetime.fromtimestamp(min(value, _MAX_UNIX), tz=UTC)
    return None


def _entry_bound(request: HttpRequest, name: str) -> int | None:
    value = query_int(request, name, 0)
    if value <= 0:
        return None
    return min(value + ENTRY_ID_START - 1, MAX_ID)


def _scope(request: HttpRequest, user: Any, *, feed_id: int | None, category_id: int | None):
    """(subscription id or None, category id or None) of the route and query ids.

    A query ``feed_id`` / ``category_id`` above 0 overrides the route's, as in Miniflux; 0
    in the query means "no filter", while the route's category 0 is Uncategorized. Raises
    NotFound for a feed or category the user does not have.
    """
    feed_id = query_int(request, "feed_id", 0) or feed_id
    category_id = query_int(request, "category_id", 0) or category_id
    sub_id = None
    if feed_id is not None:
        sub = selectors.subscription_list(user=user).filter(feed_id=feed_id).first()
        if feed_id <= 0 or sub is None:
            raise NotFound("No such feed.")
        sub_id = sub.pk
    if category_id is not None and category_id != UNCATEGORIZED:
        if category_id < 0:
            raise NotFound("No such category.")
        selectors.category_get(user=user, category_id=category_id)
    return sub_id, category_id


def entry_filters(
    request: HttpRequest, user: Any, *, feed_id: int | None = None, category_id: int | None = None
) -> selectors.EntryFilters:
    """The EntryFilters of a Miniflux entry list request (see the module docstring).

    ``feed_id`` / ``category_id`` come from the route (``/v1/feeds/<id>/entries``...).
    Raises MinifluxError 400 for a bad status, order or direction, NotFound for a feed or
    category the user does not have.
    """
    order = request.GET.get("order") or "published_at"
    if order not in ORDERS:
        raise bad_request(
            _("Invalid entry order, valid order values are: %(orders)s.")
            % {"orders": ", ".join(f'"{o}"' for o in ORDERS)}
        )
    direction = request.GET.get("direction") or "asc"
    if direction not in ("asc", "desc"):
        raise bad_request(_('Invalid direction, valid direction values are: "asc" or "desc".'))
    statuses = _statuses(request)
    status = "all" if len(statuses) != 1 else statuses.pop()
    starred = query_bool(request, "starred")
    if starred and status == "all":
        status, starred = "starred", None
    sub_id, cat_id = _scope(request, user, feed_id=feed_id, category_id=category_id)
    after = _unix(request, "after", "published_after")
    return selectors.EntryFilters(
        status=status,
        subscription_id=sub_id,
        category_id=cat_id,
        q=request.GET.get("search", "").replace("\x00", "").strip()[:500],
        # Miniflux's bounds are strict; Tidings' lower bound is inclusive: one µs later.
        published_after=after + timedelta(microseconds=1) if after else None,
        published_before=_unix(request, "before", "published_before"),
        sort="newest" if direction == "desc" else "oldest",
        starred=starred,
        after_id=_entry_bound(request, "after_entry_id"),
        before_id=_entry_bound(request, "before_entry_id"),
    )


def _page_limits(request: HttpRequest) -> tuple[int, int]:
    limit = query_int(request, "limit", DEFAULT_LIMIT)
    offset = query_int(request, "offset", 0)
    if offset < 0:
        raise bad_request(_("offset value should be >= 0"))
    if limit < 0:
        raise bad_request(_("limit value should be >= 0"))
    return (MAX_LIMIT if limit == 0 else min(limit, MAX_LIMIT)), offset


def _skip(user: Any, filters: selectors.EntryFilters, offset: int) -> tuple[str | None, bool]:
    """The cursor after the first ``offset`` entries, and whether the list goes on after it."""
    cursor = None
    while offset > 0:
        wanted = min(offset, selectors.MAX_ID_PAGE)
        refs, _next = selectors.entry_id_page(
            user=user, filters=filters, cursor=cursor, limit=wanted
        )
        if len(refs) < wanted:
            return None, False
        last = refs[-1]
        cursor = selectors.cursor_encode(published_at=last.published_at, entry_id=last.id)
        offset -= wanted
    return cursor, True


def entries_page(user: Any, filters: selectors.EntryFilters, *, limit: int, offset: int) -> list:
    """Up to ``limit`` entries of ``filters`` after the first ``offset`` (selector entries)."""
    cursor, more = _skip(user, filters, offset)
    entries: list = []
    while more and len(entries) < limit:
        size = min(limit - len(entries), selectors.MAX_PAGE_SIZE)
        page = selectors.entry_list(user=user, filters=filters, cursor=cursor, limit=size)
        entries.extend(page.entries)
        cursor, more = page.next_cursor, page.next_cursor is not None
    return entries[:limit]


def feeds_by_id(user: Any) -> dict[int, dict[str, Any]]:
    """``{feed id: Miniflux feed object}`` of every subscription of ``user`` (one query)."""
    return {sub.feed_id: feed_json(sub, user) for sub in selectors.subscription_list(user=user)}


def entry_list_json(
    request: HttpRequest, user: Any, *, feed_id: int | None = None, category_id: int | None = None
) -> dict[str, Any]:
    """``{"total": n, "entries": [...]}`` for a Miniflux entry list request."""
    filters = entry_filters(request, user, feed_id=feed_id, category_id=category_id)
    limit, offset = _page_limits(request)
    entries = entries_page(user, filters, limit=limit, offset=offset)
    feeds = feeds_by_id(user)
    return {
        "total": selectors.entry_count(user=user, filters=filters),
        "entries": [entry_json(entry, user, feeds) for entry in entries],
    }
