"""Store: the only writer of entries. One transaction per refresh, a constant
number of SQL statements whatever the number of entries.

For a ``ParsedFeed`` of one document:

1. identities (``feeds.pipeline.identity``, policy 1) and a hash of each entry's
   raw fields are computed in Python;
2. ONE query finds the stored entries of the feed whose identity hash is in the
   document, or whose normalized link equals the link of an entry that is unique
   in the document (the "new guid, same link = update" rule, P03), or whose
   normalized link AND title equal an item's and were published in the last 7 days
   (a publisher that rewrites guids while the link is shared); a second one
   reads the tombstones of the identities still unknown (skipped when none);
3. new entries are sanitized and inserted with one ``INSERT ... VALUES ... ON
   CONFLICT DO NOTHING RETURNING id`` (what ``bulk_create(ignore_conflicts=True)``
   does, on the unique ``(feed, identity_hash)``, at half its client CPU and with
   the new ids), so a concurrent refresh cannot duplicate them;
4. stored entries whose raw hash changed are re-sanitized and updated in place
   with one ``UPDATE`` (``bulk_update``); their id, ``published_at`` and
   ``created_at`` never change, so per-user read/starred state is untouched;
   ``trackers_removed`` is the number of tracking images and link parameters the
   sanitizer removed (``sanitize_html_counted``), shown per entry;
5. unchanged entries cost neither a write nor any sanitizing;
   ``Entry.content`` holds the sanitized main body (content, else summary,
   else description); ``Entry.summary`` a sanitized summary only when the feed
   has one distinct from the content, else "";
6. the feed's title, site URL, description and language are updated (one
   ``UPDATE``) when they changed.

Dates (policy 2, P05-P07): published = the entry's published, else updated,
else the first-seen time ``now``; more than 10 minutes ahead of ``now`` is
clamped to ``now``; ``published_at`` is set once, at insert, and an ``updated``
bump never resurfaces an entry.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Q

from feeds.models import Entry, EntryTombstone, Feed
from feeds.pipeline.identity import entry_identities, link_is_unique, normalize_url
from feeds.pipeline.parse import ParsedEntry, ParsedFeed
from feeds.pipeline.sanitize import sanitize_html_counted, text_to_html

__all__ = ["FUTURE_TOLERANCE", "StoreResult", "raw_hash", "store_parsed"]

FUTURE_TOLERANCE = dt.timedelta(minutes=10)
# A new guid with the link and title of an entry this recent is that entry.
SAME_LINK_TITLE_WINDOW = dt.timedelta(days=7)
# Feed.identity_policy values under which the link-based update rules apply (not "guid":
# the admin chose it for feeds whose distinct items share links and titles).
_LINK_RULE_POLICIES = frozenset({"auto", "link"})
_LINK_TITLE_RULE_POLICIES = frozenset({"auto", "link", "title_link"})
_MAX_URL = 2048
_UPDATED_FIELDS = [
    "identity_hash",
    "guid",
    "url",
    "normalized_url",
    "title",
    "author",
    "summary",
    "content",
    "raw_hash",
    "updated_at",
    "enclosures",
    "categories",
    "thumbnail_url",
    "trackers_removed",
]


@dataclass(frozen=True, slots=True)
class StoreResult:
    """Counts of one ``store_parsed`` call.

    ``new``: entries inserted (an insert lost to a concurrent refresh of the same
    feed is still counted); ``updated``: stored entries rewritten because their
    raw fields changed; ``unchanged``: stored entries left untouched;
    ``skipped``: items dropped (tombstoned identity, or a duplicate of an earlier
    item of the same document). ``new_ids``: ids of the rows this call inserted
    (those lost to a concurrent refresh are not in it), from the INSERT's RETURNING.
    """

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    new_ids: tuple[int, ...] = ()


def raw_hash(entry: ParsedEntry) -> str:
    """SHA-256 hex of every raw field that the stored row is derived from.

    The published date is left out on purpose: it is fixed at first sight.
    """
    payload = [
        entry.guid,
        entry.url,
        entry.title,
        entry.author,
        entry.summary_html,
        entry.content_html,
        entry.content_is_text,
        entry.base_url,
        entry.updated.isoformat() if entry.updated else "",
        entry.enclosures,
        entry.categories,
        entry.thumbnail_url,
    ]
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()


def _clamp(value: dt.datetime | None, now: dt.datetime) -> dt.datetime | None:
    if value is None:
        return None
    return now if value > now + FUTURE_TOLERANCE else value


def _url(value: str) -> str:
    return value if value and len(value) <= _MAX_URL else ""


def _rendered_fields(entry: ParsedEntry, *, identity: str, digest: str, now: dt.datetime) -> dict:
    """The sanitized column values of an entry (the costly part: nh3 runs here)."""
    trackers = 0
    if entry.content_is_text:
        content = text_to_html(entry.content_html, base_url=entry.base_url)
    else:
        cleaned = sanitize_html_counted(entry.content_html, base_url=entry.base_url)
        content, trackers = cleaned.html, cleaned.trackers_removed
    cleaned_summary = sanitize_html_counted(entry.summary_html, base_url=entry.base_url)
    summary = cleaned_summary.html
    if summary == content:
        summary = ""
    # The summary usually repeats the content's trackers: count the larger, not the sum.
    trackers = min(max(trackers, cleaned_summary.trackers_removed), 32767)
    url = _url(entry.url)
    return {
        "identity_hash": identity,
        "guid": entry.guid[:2048],
        "url": url,
        "normalized_url": normalize_url(url),
        "title": entry.title,
        "author": entry.author[:512],
        "summary": summary,
        "content": content,
        "raw_hash": digest,
        "updated_at": _clamp(entry.updated, now),
        "enclosures": entry.enclosures,
        "categories": entry.categories,
        "thumbnail_url": _url(entry.thumbnail_url),
        "trackers_removed": trackers,
    }


@dataclass(slots=True)
class _Plan:
    inserts: list[Entry]
    updates: list[Entry]
    unchanged: int = 0
    skipped: int = 0


def _lookup(
    feed: Feed,
    hashes: list[str],
    links: set[str],
    recent_links: set[str] | None = None,
    since: dt.datetime | None = None,
) -> tuple[dict, dict, dict]:
    """ONE query: stored rows matching an identity hash, a unique link, or a link
    of ``recent_links`` on an entry published at or after ``since``.

    Returns ({identity_hash: (id, raw_hash)}, {normalized_url: id},
    {(normalized_url, title): id}); for a link (or link and title) shared by several
    stored rows the newest row wins.
    """
    condition = Q(identity_hash__in=hashes)
    if links:
        condition |= Q(normalized_url__in=links)
    if recent_links and since is not None:
        condition |= Q(normalized_url__in=recent_links, published_at__gte=since)
    rows = (
        Entry.objects.filter(feed_id=feed.pk)
        .filter(condition)
        .order_by("-id")
        .values_list("id", "identity_hash", "normalized_url", "raw_hash", "title", "published_at")
    )
    by_hash: dict[str, tuple[int, str]] = {}
    by_link: dict[str, int] = {}
    by_link_title: dict[tuple[str, str], int] = {}
    for pk, identity, link, digest, title, published in rows:
        by_hash[identity] = (pk, digest)
        if link in links:
            by_link.setdefault(link, pk)
        if since is not None and link and published >= since:
            by_link_title.setdefault((link, title), pk)
    return by_hash, by_link, by_link_title


def _plan(feed: Feed, entries: list[ParsedEntry], now: dt.datetime) -> _Plan:
    policy = getattr(feed, "identity_policy", "") or "auto"
    identities = entry_identities(entries, policy=policy)
    unique_link = link_is_unique(entries)
    link_rule = policy in _LINK_RULE_POLICIES
    title_rule = policy in _LINK_TITLE_RULE_POLICIES
    items = []
    seen: set[str] = set()
    duplicates = 0
    for entry, identity, unique in zip(entries, identities, unique_link, strict=True):
        if identity in seen:
            duplicates += 1
            continue
        seen.add(identity)
        items.append((entry, identity, normalize_url(entry.url) if unique and link_rule else ""))
    links = {link for _, _, link in items if link}
    all_links = {normalize_url(e.url) for e, _, _ in items} - {""} if title_rule else set()
    since = now - SAME_LINK_TITLE_WINDOW if title_rule else None
    by_hash, by_link, by_link_title = _lookup(
        feed, [identity for _, identity, _ in items], links, all_links, since
    )
    unknown = [identity for _, identity, _ in items if identity not in by_hash]
    tombstoned = (
        set(
            EntryTombstone.objects.filter(feed_id=feed.pk, identity_hash__in=unknown).values_list(
                "identity_hash", flat=True
            )
        )
        if unknown
        else set()
    )
    plan = _Plan(inserts=[], updates=[], skipped=duplicates)
    claimed = {by_hash[identity][0] for _, identity, _ in items if identity in by_hash}
    for entry, identity, link in items:
        digest = raw_hash(entry)
        if identity in by_hash:
            pk, stored_digest = by_hash[identity]
            if stored_digest == digest:
                plan.unchanged += 1
            else:
                plan.updates.append(_updated_row(pk, entry, identity, digest, now))
        elif identity in tombstoned:
            plan.skipped += 1
        elif link and by_link.get(link) is not None and by_link[link] not in claimed:
            pk = by_link[link]
            claimed.add(pk)
            plan.updates.append(_updated_row(pk, entry, identity, digest, now))
        elif (pk := _same_link_and_title(entry, by_link_title, claimed)) is not None:
            claimed.add(pk)
            plan.updates.append(_updated_row(pk, entry, identity, digest, now))
        else:
            plan.inserts.append(_new_row(feed, entry, identity, digest, now))
    return plan


def _same_link_and_title(
    entry: ParsedEntry, by_link_title: dict[tuple[str, str], int], claimed: set[int]
) -> int | None:
    """The recent stored entry with this item's normalized link and title, if not yet claimed."""
    if not by_link_title:
        return None
    pk = by_link_title.get((normalize_url(entry.url), entry.title))
    return pk if pk is not None and pk not in claimed else None


def _updated_row(pk: int, entry: ParsedEntry, identity: str, digest: str, now) -> Entry:
    return Entry(pk=pk, **_rendered_fields(entry, identity=identity, digest=digest, now=now))


def _new_row(feed: Feed, entry: ParsedEntry, identity: str, digest: str, now) -> Entry:
    published = _clamp(entry.published or entry.updated, now) or now
    return Entry(
        feed_id=feed.pk,
        published_at=published,
        created_at=now,
        **_rendered_fields(entry, identity=identity, digest=digest, now=now),
    )


_INSERT_FIELDS = [f for f in Entry._meta.concrete_fields if not f.primary_key]
# Rows per INSERT statement: one statement for any ordinary feed, bounded for huge ones.
_INSERT_BATCH = 1000


def _db_value(field: Any) -> Callable[[Any, Any], Any]:
    """How ``_insert`` turns an attribute into a query parameter: the field's own
    ``get_db_prep_save``, except on PostgreSQL, where our str/int/aware-datetime/None
    values pass as they are and JSON goes as its text (coerced to jsonb by the INSERT):
    the same stored values at a fifth of the cost."""
    if connection.vendor != "postgresql":
        return field.get_db_prep_save
    if field.get_internal_type() == "JSONField":
        return lambda value, _connection: json.dumps(value)
    return lambda value, _connection: value


@functools.cache
def _server_bound_cursor_class() -> type:
    import psycopg

    class ServerBoundCursor(psycopg.Cursor):
        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=False, binary=binary)

    return ServerBoundCursor


def _insert_cursor():
    """A Django cursor for ``_insert``: on PostgreSQL (psycopg 3) one that binds its parameters
    on the server, without prepared statements (a connection pooler may not keep them).

    Django's psycopg cursors bind client-side: psycopg quotes every value into the statement's
    text, and for a statement of 1,000 placeholders (over the 4 KiB it caches the parse of) it
    re-parses the text each time; sending the values apart costs a worker about 3 ms less per
    50-entry INSERT (bench.production). Wrapped as Django wraps its own (execute wrappers,
    query logging), so statement counts and error translation are unchanged.
    """
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    raw = _server_bound_cursor_class()(connection.connection)
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)
    return connection.make_cursor(raw)


def _insert(rows: list[Entry]) -> list[int]:
    """Insert ``rows`` (unsaved Entry objects) with ``INSERT ... VALUES (...), (...) ON CONFLICT
    DO NOTHING RETURNING id``; returns the ids of the rows actually inserted.

    What ``bulk_create(ignore_conflicts=True)`` does, without its per-object SQL compilation
    (about half of its client CPU) and with the new ids in the same statement, so the
    ``entries_stored`` hook needs no query to find them. One statement per 1,000 rows
    (per the backend's variable limit on SQLite). Values are prepared by each field's
    ``get_db_prep_save`` as Django would (``_db_value``). Without RETURNING support (old SQLite) the
    rows are inserted and the ids read back by ``(feed, created_at)``.
    """
    ops = connection.ops
    table = ops.quote_name(Entry._meta.db_table)
    columns = ", ".join(ops.quote_name(f.column) for f in _INSERT_FIELDS)
    placeholders = "(" + ", ".join(["%s"] * len(_INSERT_FIELDS)) + ")"
    returning = connection.features.can_return_rows_from_bulk_insert
    batch = max(1, min(_INSERT_BATCH, ops.bulk_batch_size(_INSERT_FIELDS, rows)))
    prepared = [(f.attname, _db_value(f)) for f in _INSERT_FIELDS]
    ids: list[int] = []
    with _insert_cursor() as cursor:
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            params = [
                prep(getattr(row, name), connection) for row in chunk for name, prep in prepared
            ]
            sql = (
                f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608 (no user input)
                + ", ".join([placeholders] * len(chunk))
                + " ON CONFLICT DO NOTHING"
                + (" RETURNING id" if returning else "")
            )
            cursor.execute(sql, params)
            if returning:
                ids.extend(row[0] for row in cursor.fetchall())
    if not returning:
        first = rows[0]
        ids = list(
            Entry.objects.filter(feed_id=first.feed_id, created_at=first.created_at).values_list(
                "id", flat=True
            )
        )
    return ids


def _feed_changes(feed: Feed, parsed: ParsedFeed) -> dict[str, str]:
    """Metadata fields whose new non-empty value differs from the stored one."""
    wanted = {
        "title": parsed.title[:512],
        "site_url": _url(parsed.site_url),
        "description": parsed.description,
        "language": parsed.language[:35],
    }
    return {name: value for name, value in wanted.items() if value and getattr(feed, name) != value}


def store_parsed(*, feed: Feed, parsed: ParsedFeed, now: dt.datetime) -> StoreResult:
    """Insert new, update changed and skip unchanged entries of ``parsed`` for ``feed``.

    ``feed``: a saved Feed; ``parsed``: the ParsedFeed of one fetched document;
    ``now``: aware datetime of the fetch (first-seen time, clamp reference).
    Runs in one transaction with at most 5 SQL statements (lookup, tombstones,
    insert, update, feed update), whatever the entry count; inside a caller's
    transaction it joins it (no savepoint: a database error rolls the caller's
    transaction back, which is what ``feed_refresh`` wants: that feed only). Feed
    metadata (title, site_url, description, language) is updated when a new
    non-empty value differs. Returns a ``StoreResult``.
    Database errors propagate (the transaction is rolled back: this feed only).
    """
    new_ids: list[int] = []
    with transaction.atomic(savepoint=False):
        plan = _plan(feed, parsed.entries, now) if parsed.entries else _Plan(inserts=[], updates=[])
        if plan.inserts:
            new_ids = _insert(plan.inserts)
        if plan.updates:
            Entry.objects.bulk_update(plan.updates, _UPDATED_FIELDS)
        changes = _feed_changes(feed, parsed)
        if changes:
            Feed.objects.filter(pk=feed.pk).update(**changes)
            for name, value in changes.items():
                setattr(feed, name, value)
    return StoreResult(
        new=len(plan.inserts),
        updated=len(plan.updates),
        unchanged=plan.unchanged,
        skipped=plan.skipped,
        new_ids=tuple(new_ids),
    )
