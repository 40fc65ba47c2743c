"""Saved searches and views: named views in the sidebar, "Today", display per view, private feeds.

A view is a key and the filters it adds to the reader's list:

* ``"today"``: entries published since local midnight in the user's time zone
  (``User.timezone``, an IANA name; UTC when unknown);
* ``"<id>"``: a ``SavedView`` of the user: search words ``q`` (syntax of
  ``reader.search``), an optional subscription or category, and optionally
  only the last ``since_days`` days.

The reader's Unread/All toggle still chooses the status. The sidebar shows
each view with its unread count (``sidebar_views``: two queries whatever the
number of views). Each view, and each built-in list (``unread``, ``all``,
``starred``, ``sub-<id>``, ``cat-<id>``), is shown as a list or as cards with
thumbnails (``display_for`` / ``display_set``). A saved view may have a
private RSS/Atom feed at ``/views/<token>/atom/`` and ``/views/<token>/rss/``
(``feed_token_rotate``; the token is 32 random URL-safe characters).
"""

from __future__ import annotations

import secrets
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from reader import read_state, selectors
from reader.errors import InvalidInput, NotFound
from reader.models import SavedView

DISPLAYS = ("list", "cards")
STATUSES = ("unread", "all")
MAX_VIEWS = 100
_UNSET: Any = object()


# --- Time ----------------------------------------------------------------------------


def local_midnight(*, user: Any, now: datetime | None = None) -> datetime:
    """The start of today (00:00) in the user's time zone, as an aware datetime.

    ``now``: aware datetime (default: now). An unknown zone name falls back to UTC.
    """
    try:
        zone = zoneinfo.ZoneInfo(getattr(user, "timezone", "") or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    local = (now or timezone.now()).astimezone(zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


# --- Saved views: reads ----------------------------------------------------------------


def saved_view_list(*, user: Any) -> QuerySet[SavedView]:
    """The user's saved views in sidebar order (position, name)."""
    return SavedView.objects.filter(user=user).select_related("subscription__feed", "category")


def saved_view_get(*, user: Any, view_id: int) -> SavedView:
    """One of the user's saved views; ``NotFound`` for unknown or another user's ids."""
    try:
        return saved_view_list(user=user).get(pk=int(view_id))
    except (SavedView.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound("No such view.") from exc


def saved_view_by_token(*, token: str) -> SavedView:
    """The saved view whose private feed token is ``token``; ``NotFound`` otherwise."""
    if not token or len(token) > 64 or "\x00" in token:  # PostgreSQL refuses NUL
        raise NotFound("No such feed.")
    view = SavedView.objects.select_related("user").filter(feed_token=token).first()
    if view is None or not secrets.compare_digest(view.feed_token, token):
        raise NotFound("No such feed.")
    return view


def view_filters(view: SavedView, *, now: datetime | None = None) -> dict[str, Any]:
    """The ``EntryFilters`` fields a saved view sets (q, subscription_id, category_id,
    published_after), without ``status``."""
    out: dict[str, Any] = {
        "q": view.q,
        "subscription_id": view.subscription_id,
        "category_id": view.category_id,
    }
    if view.since_days:
        out["published_after"] = (now or timezone.now()) - timedelta(days=view.since_days)
    return out


# --- Saved views: writes --------------------------------------------------------------


def _clean(
    user: Any,
    view: SavedView,
    *,
    subscription_id: Any = _UNSET,
    category_id: Any = _UNSET,
) -> None:
    view.name = " ".join((view.name or "").split())[:255]
    if not view.name:
        raise InvalidInput(_("The view needs a name."))
    view.q = (view.q or "").strip()[:500]
    if view.status not in STATUSES:
        raise InvalidInput(_("Unknown status %(value)s.") % {"value": repr(view.status)})
    if view.display not in DISPLAYS:
        raise InvalidInput(_("Unknown display %(value)s.") % {"value": repr(view.display)})
    if view.since_days is not None and not 1 <= int(view.since_days) <= 3650:
        raise InvalidInput(_("since_days must be between 1 and 3650."))
    if subscription_id is not _UNSET:
        view.subscription = (
            None
            if subscription_id is None
            else selectors.subscription_get(user=user, subscription_id=subscription_id)
        )
    if category_id is not _UNSET:
        view.category = (
            None
            if category_id is None
            else selectors.category_get(user=user, category_id=category_id)
        )
    if view.subscription_id is not None and view.category_id is not None:
        raise InvalidInput(_("A view narrows to one subscription or one category, not both."))


def _save(view: SavedView) -> SavedView:
    try:
        with transaction.atomic():
            view.save()
    except IntegrityError as exc:  # the (user, name) constraint: the only one on the row
        raise InvalidInput(
            _("You already have a view named %(value)s.") % {"value": repr(view.name)}
        ) from exc
    return view


def saved_view_create(
    *,
    user: Any,
    name: str,
    q: str = "",
    subscription_id: int | None = None,
    category_id: int | None = None,
    since_days: int | None = None,
    status: str = "unread",
    display: str = "list",
) -> SavedView:
    """Save a search as a named view, last in the sidebar.

    Raises ``InvalidInput`` (empty or taken name, bad status/display/since_days,
    both scopes, more than ``MAX_VIEWS``) or ``NotFound`` (a subscription or
    category that is not the user's).
    """
    view = SavedView(
        user=user, name=name, q=q, since_days=since_days, status=status, display=display
    )
    _clean(user, view, subscription_id=subscription_id, category_id=category_id)
    existing = SavedView.objects.filter(user=user)
    if existing.count() >= MAX_VIEWS:
        raise InvalidInput(_("At most %(count)s views.") % {"count": MAX_VIEWS})
    view.position = (existing.aggregate(m=Max("position"))["m"] or 0) + 1
    return _save(view)


def saved_view_update(*, user: Any, view_id: int, **changes: Any) -> SavedView:
    """Change any of name, q, subscription_id, category_id, since_days, status, display,
    position. Raises as ``saved_view_create``."""
    view = saved_view_get(user=user, view_id=view_id)
    scope = {k: changes.pop(k) for k in ("subscription_id", "category_id") if k in changes}
    for name, value in changes.items():
        if name not in ("name", "q", "since_days", "status", "display", "position"):
            raise InvalidInput(_("Unknown field %(value)s.") % {"value": repr(name)})
        setattr(view, name, value)
    _clean(user, view, **scope)
    return _save(view)


def saved_view_delete(*, user: Any, view_id: int) -> None:
    """Delete one of the user's views (its private feed URL stops working). Raises NotFound."""
    saved_view_get(user=user, view_id=view_id).delete()


def feed_token_rotate(*, user: Any, view_id: int) -> SavedView:
    """Give the view a new private feed token (the old URL stops working). Raises NotFound."""
    view = saved_view_get(user=user, view_id=view_id)
    view.feed_token = secrets.token_urlsafe(24)
    view.save(update_fields=["feed_token"])
    return view


def feed_token_clear(*, user: Any, view_id: int) -> SavedView:
    """Turn the view's private feed off. Raises NotFound."""
    view = saved_view_get(user=user, view_id=view_id)
    view.feed_token = ""
    view.save(update_fields=["feed_token"])
    return view


# --- Resolving a view for the reader ------------------------------------------------------


@dataclass
class ViewSpec:
    """A view as the reader shows it: ``key`` ("today" or the saved view id as text),
    ``title``, the ``filters`` it adds (EntryFilters fields), ``status`` (default
    unread/all) and the saved view (None for Today)."""

    key: str
    title: str
    filters: dict[str, Any] = field(default_factory=dict)
    status: str = "unread"
    saved: SavedView | None = None


def view_resolve(*, user: Any, key: str, now: datetime | None = None) -> ViewSpec | None:
    """The view named by ``key`` ("today" or a saved view id); None when ``key`` is empty.

    Raises ``NotFound`` for an unknown key or another user's view.
    """
    key = (key or "").strip()
    if not key:
        return None
    if key == "today":
        return ViewSpec(
            key="today",
            title=_("Today"),
            filters={"published_after": local_midnight(user=user, now=now)},
            status="all",
        )
    if not key.isdigit() or len(key) > 18:
        raise NotFound("No such view.")
    view = saved_view_get(user=user, view_id=int(key))
    return ViewSpec(
        key=key,
        title=view.name,
        filters=view_filters(view, now=now),
        status=view.status,
        saved=view,
    )


# --- Counts ---------------------------------------------------------------------------


def _unread_count_sql(user_id: int, filters: dict[str, Any]) -> tuple[str, list[Any]]:
    """SQL counting the user's unread, matching entries (the unread tail plus kept-unread)."""
    f = selectors.EntryFilters.coerce(filters)
    cond, params = selectors.entry_filter_sql(f, None)
    sql = f"SELECT COUNT(*) FROM ({read_state.unread_sql('e.id', cond)}) c"
    return sql, read_state.unread_params(user_id, params)


def unread_counts(*, user: Any, specs: list[ViewSpec]) -> dict[str, int]:
    """``{view key: unread entries}`` for ``specs``, in one query (none when empty).

    Counts entries, not merged articles (duplicates across feeds count per feed).
    """
    if not specs:
        return {}
    parts, params = [], []
    for index, spec in enumerate(specs):
        sql, values = _unread_count_sql(user.pk, spec.filters)
        parts.append(f"SELECT {index}, ({sql})")
        params += values
    with connection.cursor() as cur:
        cur.execute(" UNION ALL ".join(parts), params)
        rows = dict(cur.fetchall())
    return {spec.key: int(rows.get(i, 0)) for i, spec in enumerate(specs)}


@dataclass
class SidebarView:
    """A view in the sidebar: key, title, unread count, whether it is open, saved view."""

    key: str
    title: str
    unread: int
    current: bool = False
    saved: SavedView | None = None


def sidebar_views(*, user: Any, current: str = "") -> list[SidebarView]:
    """ "Today" then the user's saved views, with unread counts. Two queries."""
    specs = [view_resolve(user=user, key="today")]
    for view in saved_view_list(user=user):
        specs.append(
            ViewSpec(
                key=str(view.pk),
                title=view.name,
                filters=view_filters(view),
                status=view.status,
                saved=view,
            )
        )
    counts = unread_counts(user=user, specs=specs)
    return [
        SidebarView(
            key=s.key,
            title=s.title,
            unread=counts.get(s.key, 0),
            current=s.key == current,
            saved=s.saved,
        )
        for s in specs
    ]


# --- Display per view ------------------------------------------------------------------------


def display_key(*, view: str = "", show: str = "unread", sub: Any = None, cat: Any = None) -> str:
    """The key under which a list's display is kept: ``view-<key>``, ``sub-<id>``,
    ``cat-<id>`` or the status (unread, all, starred)."""
    if view:
        return f"view-{view}"
    if sub:
        return f"sub-{int(sub)}"
    if cat is not None:
        return f"cat-{int(cat)}"
    return show if show in ("unread", "all", "starred") else "unread"


def display_for(*, user: Any, key: str) -> str:
    """ "list" or "cards" for the list ``key`` (``display_key``); saved views keep theirs."""
    if key.startswith("view-") and key[5:].isdigit():
        view = SavedView.objects.filter(user=user, pk=int(key[5:])).only("display").first()
        if view is not None:
            return view.display
    value = (getattr(user, "view_displays", None) or {}).get(key, "list")
    return value if value in DISPLAYS else "list"


def display_set(*, user: Any, key: str, display: str) -> str:
    """Remember ``display`` ("list" or "cards") for the list ``key``; returns it.

    Raises ``InvalidInput`` for another display or a malformed key, ``NotFound``
    for another user's saved view.
    """
    if display not in DISPLAYS:
        raise InvalidInput(_("Unknown display %(value)s.") % {"value": repr(display)})
    if key.startswith("view-") and key[5:].isdigit():
        saved_view_update(user=user, view_id=int(key[5:]), display=display)
        return display
    valid = key in ("unread", "all", "starred", "view-today") or (
        key[:4] in ("sub-", "cat-") and key[4:].isdigit() and len(key) < 24
    )
    if not valid:
        raise InvalidInput(_("Unknown view %(value)s.") % {"value": repr(key)})
    with transaction.atomic():
        user_model = get_user_model()
        row = user_model.objects.select_for_update().only("view_displays").get(pk=user.pk)
        displays = dict(row.view_displays or {})
        displays[key] = display
        user_model.objects.filter(pk=user.pk).update(view_displays=displays)
    user.view_displays = displays
    return display


__all__ = [
    "ViewSpec",
    "display_for",
    "display_key",
    "display_set",
    "feed_token_clear",
    "feed_token_rotate",
    "local_midnight",
    "saved_view_by_token",
    "saved_view_create",
    "saved_view_delete",
    "saved_view_get",
    "saved_view_list",
    "saved_view_update",
    "sidebar_views",
    "unread_counts",
    "view_resolve",
]
