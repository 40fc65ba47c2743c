"""Read-only queries of the /subscriptions/ page: rows with plain-words feed errors, paged.

The rows come from ``reader.selectors.subscription_list`` (feed and category loaded); this
module adds what only the page shows: ``display_title`` and ``error_text``, and the
filtered, paginated list.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Q

from reader import selectors
from reader.feed_errors import feed_error_text
from reader.models import Subscription


def subscription_rows(*, user, rows=None) -> list[Subscription]:
    """The user's subscriptions for /subscriptions/ (or ``rows``, an iterable of them with
    feed and category loaded), each with ``display_title`` and ``error_text`` (plain words,
    "" when healthy). One query, none per row."""
    rows = list(selectors.subscription_list(user=user) if rows is None else rows)
    for sub in rows:
        sub.display_title = sub.title or sub.feed.title or sub.feed.url
        sub.error_text = feed_error_text(sub.feed)
    return rows


SUBSCRIPTIONS_PER_PAGE = 100


def subscription_page(
    *, user, page: Any = 1, q: str = "", category_id: int | None = None, per_page: int = 0
) -> Page:
    """One page (``django.core.paginator.Page``) of /subscriptions/: the user's subscriptions
    in position order, narrowed to titles or feed addresses containing ``q`` and to
    ``category_id`` (0: Uncategorized), rows prepared as ``subscription_rows``. A bad or
    out-of-range ``page`` gives the nearest page. Two queries (count, rows) whatever the
    number of subscriptions."""
    qs = selectors.subscription_list(user=user, category_id=category_id)
    q = (q or "").replace("\x00", "").strip()[:200]
    if q:
        qs = qs.filter(
            Q(title__icontains=q) | Q(feed__title__icontains=q) | Q(feed__url__icontains=q)
        )
    paginator = Paginator(qs, per_page or SUBSCRIPTIONS_PER_PAGE)
    result = paginator.get_page(page)
    result.object_list = subscription_rows(user=user, rows=result.object_list)
    return result
