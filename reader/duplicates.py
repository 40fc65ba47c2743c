"""Duplicates across feeds: one article reached through several subscriptions (opt-in per user).

When ``User.merge_duplicates`` is on, two entries of *different* feeds that the
user subscribes to are the same article when

* their normalized links are equal (``Entry.normalized_url``, computed by
  ``feeds.pipeline.identity.normalize_url`` at store time, non-empty), or
* their titles are equal (non-empty) and they were published at most
  ``DUPLICATE_WINDOW`` (48 h) apart.

The unscoped lists (All, Unread, Today and saved views without a subscription
or category: ``applies``) then show such an article once, with every source
(``entry.duplicates``); the shown member is the first of the group in the
list's order among the members the list would show, so pagination never shows
the group twice. The "Unread" total of ``reader.selectors.unread_counts``
counts such a group once (``unread_duplicates``); per-subscription and
per-category counts stay per feed, as those lists are not merged. Marking
read (or unread) one member marks every member (``with_duplicates``, called by
``reader.services.entries_set_read``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.utils.dateparse import parse_datetime

from feeds.models import Entry
from reader import read_state

#: Largest distance between the publication times of two entries with the same title.
DUPLICATE_WINDOW = timedelta(hours=48)


@dataclass(frozen=True)
class Source:
    """Another entry carrying the same article: its id, feed, the user's subscription
    (id and display title), publication and first-seen times (aware UTC) and per-user
    read/hidden state."""

    entry_id: int
    feed_id: int
    subscription_id: int
    subscription_title: str
    published_at: datetime
    is_read: bool
    hidden: bool
    first_seen_at: datetime | None = None


def enabled(user: Any) -> bool:
    """True when ``user`` asked for duplicates across feeds to be merged."""
    return bool(getattr(user, "merge_duplicates", False))


def applies(*, user: Any, filters: Any) -> bool:
    """True when the list of ``filters`` (an ``EntryFilters``) merges duplicates for ``user``.

    Only the lists across all subscriptions merge (status all or unread, no
    subscription or category scope): a single feed's list shows its own entries.
    """
    return (
        enabled(user)
        and filters.subscription_id is None
        and filters.category_id is None
        and filters.status in ("all", "unread")
    )


def _aware(value: Any) -> datetime:
    """A datetime from a raw-SQL column: SQLite returns text without an offset, in UTC."""
    value = parse_datetime(value) if isinstance(value, str) else value
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _sources_sql(n_urls: int, n_titles: int) -> str:
    """SQL of the candidate duplicates (by link, then by title in a time range)."""
    columns = (
        "SELECT e.id, e.feed_id, s.id, COALESCE(NULLIF(s.title, ''), NULLIF(f.title, ''), f.url), "
        f"e.published_at, e.normalized_url, e.title, {read_state.IS_READ}, {read_state.HIDDEN}, "
        "e.created_at "
        "FROM reader_subscription s JOIN feeds_feed f ON f.id = s.feed_id "
        "JOIN feeds_entry e ON e.feed_id = s.feed_id "
        "LEFT JOIN reader_entrystate x ON x.user_id = s.user_id AND x.entry_id = e.id "
        "WHERE s.user_id = %s AND "
    )
    parts = []
    if n_urls:
        parts.append(columns + f"e.normalized_url IN ({', '.join(['%s'] * n_urls)})")
    if n_titles:
        parts.append(
            columns + f"e.title IN ({', '.join(['%s'] * n_titles)}) "
            "AND e.published_at >= %s AND e.published_at <= %s"
        )
    return " UNION ALL ".join(parts)


def _matches(entry: Any, row: tuple) -> bool:
    """Whether candidate ``row`` (of ``_sources_sql``) is a duplicate of ``entry``."""
    entry_id, feed_id, _sub, _title, published_at, url, title = row[:7]
    if entry_id == entry.pk or feed_id == entry.feed_id:
        return False
    if entry.normalized_url and url == entry.normalized_url:
        return True
    return bool(
        entry.title
        and title == entry.title
        and abs(_aware(published_at) - entry.published_at) <= DUPLICATE_WINDOW
    )


def sources(*, user: Any, entries: list[Any]) -> dict[int, list[Source]]:
    """The other sources of each of ``entries`` among the user's subscriptions.

    ``entries``: Entry rows (``pk``, ``feed_id``, ``normalized_url``, ``title``,
    ``published_at``). Returns ``{entry id: [Source, ...]}`` (empty lists
    omitted), sources ordered newest first. One query (none when ``entries`` is
    empty); at most one index probe per subscription and link, and one range
    scan per subscription over the page's time span plus 48 h either side.
    """
    if not entries:
        return {}
    urls = sorted({e.normalized_url for e in entries if e.normalized_url})
    titles = sorted({e.title for e in entries if e.title})
    if not urls and not titles:
        return {}
    params: list[Any] = []
    if urls:
        params += [user.pk, *urls]
    if titles:
        low = min(e.published_at for e in entries) - DUPLICATE_WINDOW
        high = max(e.published_at for e in entries) + DUPLICATE_WINDOW
        ops = connection.ops
        params += [user.pk, *titles]
        params += [ops.adapt_datetimefield_value(low), ops.adapt_datetimefield_value(high)]
    with connection.cursor() as cur:
        cur.execute(_sources_sql(len(urls), len(titles)), params)
        rows = cur.fetchall()
    out: dict[int, list[Source]] = {}
    for entry in entries:
        seen: set[int] = set()
        found = []
        for row in rows:
            if row[0] not in seen and _matches(entry, row):
                seen.add(row[0])
                found.append(
                    Source(
                        entry_id=row[0],
                        feed_id=row[1],
                        subscription_id=row[2],
                        subscription_title=row[3],
                        published_at=_aware(row[4]),
                        is_read=bool(row[7]),
                        hidden=bool(row[8]),
                        first_seen_at=_aware(row[9]),
                    )
                )
        if found:
            out[entry.pk] = sorted(found, key=lambda s: (s.published_at, s.entry_id), reverse=True)
    return out


def _listed(source: Source, filters: Any) -> bool:
    """Whether the list of ``filters`` would show ``source`` (status, dates, first-seen bounds)."""
    if source.hidden or (filters.status == "unread" and source.is_read):
        return False
    seen_after, seen_before = filters.first_seen_after, filters.first_seen_before
    if seen_after is not None and source.first_seen_at < seen_after:
        return False
    if seen_before is not None and source.first_seen_at >= seen_before:
        return False
    if filters.published_after is not None and source.published_at < filters.published_after:
        return False
    return filters.published_before is None or source.published_at < filters.published_before


def merge_page(*, user: Any, entries: list[Any], filters: Any) -> list[Any]:
    """``entries`` (one page of ``selectors.entry_list``) with duplicates across feeds merged.

    Every entry gets ``duplicates`` (list of ``Source``, the article's other
    sources; empty when none). An entry is left out when another source that
    the same list shows comes before it in the list's order (``filters.sort``):
    that source stands for the article (earlier on this page, or on an earlier
    page). So a page may hold fewer entries than asked; its cursor is unchanged.
    When ``applies`` is false, entries are returned as they are (with empty
    ``duplicates``) and no query is made; otherwise one query.
    """
    for entry in entries:
        entry.duplicates = []
    if not entries or not applies(user=user, filters=filters):
        return entries
    found = sources(user=user, entries=entries)
    newest = filters.sort == "newest"
    kept = []
    for entry in entries:
        entry.duplicates = found.get(entry.pk, [])
        key = (entry.published_at, entry.pk)
        earlier = [
            s
            for s in entry.duplicates
            if _listed(s, filters)
            and (
                ((s.published_at, s.entry_id) > key)
                if newest
                else ((s.published_at, s.entry_id) < key)
            )
        ]
        if not earlier:
            kept.append(entry)
    return kept


def with_duplicates(*, user: Any, entry_ids: list[int]) -> list[int]:
    """``entry_ids`` plus the ids of their duplicates across the user's feeds, sorted.

    Unchanged (and no query) when the user has not turned merging on; otherwise
    two queries. Used so that reading one source of an article reads them all.
    """
    if not entry_ids or not enabled(user):
        return entry_ids

    rows = list(
        Entry.objects.filter(pk__in=entry_ids).only(
            "id", "feed_id", "normalized_url", "title", "published_at"
        )
    )
    found = sources(user=user, entries=rows)
    extra = {s.entry_id for group in found.values() for s in group}
    return sorted(set(entry_ids) | extra)


def unread_duplicates(*, user: Any) -> int:
    """How many of the user's unread entries the merged Unread list leaves out.

    That is the unread entries that have an unread duplicate published later
    (or at the same time with a higher id) in another subscribed feed (hidden
    entries are read, so never counted). 0 without a query when merging is
    off. One query: window functions on PostgreSQL, a pass in Python on SQLite.
    """
    if not enabled(user):
        return 0
    unread = read_state.unread_sql(
        "e.id AS id, e.feed_id AS feed_id, e.normalized_url AS nu, e.title AS t, "
        "e.published_at AS p"
    )
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(_SHADOWED_SQL.format(unread=unread), [user.pk, user.pk])
            return int(cur.fetchone()[0])
        cur.execute(unread, [user.pk, user.pk])
        rows = cur.fetchall()
    return _count_shadowed(rows)


# PostgreSQL: hash the unread rows' links and titles to find the few that occur in more
# than one feed, then sort only those rows. A row is shadowed by link when a newer row has
# its link; by title when the next row of the same title (by time) is from another feed and
# at most 48 h later. Equal to the list's rule except in rare chains (a same-feed row
# between two feeds' copies of one title, or a link repeated within one feed).
_SHADOWED_SQL = (
    "WITH u AS MATERIALIZED ({unread}), "
    "dl AS (SELECT nu FROM u WHERE nu <> '' GROUP BY nu HAVING MIN(feed_id) <> MAX(feed_id)), "
    "dt AS (SELECT t FROM u WHERE t <> '' GROUP BY t HAVING MIN(feed_id) <> MAX(feed_id)), "
    "l AS (SELECT x.id FROM (SELECT u.id, ROW_NUMBER() OVER "
    "(PARTITION BY u.nu ORDER BY u.p DESC, u.id DESC) AS rn FROM u JOIN dl ON dl.nu = u.nu) x "
    "WHERE x.rn > 1), "
    "tt AS (SELECT y.id FROM (SELECT u.id, u.feed_id, u.p, LEAD(u.feed_id) OVER w AS nf, "
    "LEAD(u.p) OVER w AS np FROM u JOIN dt ON dt.t = u.t "
    "WINDOW w AS (PARTITION BY u.t ORDER BY u.p, u.id)) y "
    "WHERE y.nf <> y.feed_id AND y.np - y.p <= INTERVAL '48 hours') "
    "SELECT COUNT(*) FROM (SELECT id FROM l UNION SELECT id FROM tt) z"
)


def _count_shadowed(rows: list[tuple]) -> int:
    """Rows (id, feed_id, normalized_url, title, published_at) shadowed by a later duplicate."""
    items = [(r[0], r[1], r[2], r[3], _aware(r[4])) for r in rows]
    by_url: dict[str, list[tuple]] = {}
    by_title: dict[str, list[tuple]] = {}
    for item in items:
        if item[2]:
            by_url.setdefault(item[2], []).append(item)
        if item[3]:
            by_title.setdefault(item[3], []).append(item)
    shadowed = 0
    for item in items:
        key = (item[4], item[0])
        later = [o for o in by_url.get(item[2], []) if item[2] and o[1] != item[1]]
        later += [
            o
            for o in by_title.get(item[3], [])
            if item[3] and o[1] != item[1] and abs(o[4] - item[4]) <= DUPLICATE_WINDOW
        ]
        if any((o[4], o[0]) > key for o in later):
            shadowed += 1
    return shadowed
