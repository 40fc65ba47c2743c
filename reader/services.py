"""Writes of per-user reading state: subscriptions, categories, read and starred marks.

Pages, the REST API, the Google Reader/Fever APIs, tasks and commands call these
and only these (STYLE.md rule 1). Every function takes ``user`` and touches only
that user's rows; another user's ids are ``NotFound`` (single objects) or
silently skipped (batches), never told apart from unknown ids.

Read state follows DESIGN.md "Read state that scales": a per-subscription
watermark ``read_max_id`` (entry ids are in first-seen order) plus
``unread_since`` (a new subscriber's old entries), with sparse ``EntryState``
exceptions. Mark-all-read is one UPDATE of watermarks plus one DELETE and one
UPDATE of now-redundant exceptions, whatever the number of entries.
OPML import/export live in ``reader.opml`` and are re-exported here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from feeds.models import Entry, Feed
from feeds.pipeline.fetch import FetchError, check_url
from feeds.services import (
    FeedAddressInvalid,
    FeedAddressUnreachable,
    FeedChoiceNeeded,
    FeedNotFoundAtAddress,
    feed_address_clean,
    feed_for_url,
)
from reader import duplicates
from reader.errors import (
    CategoryExists,
    DiscoveryChoice,
    FeedNotFound,
    FeedUnreachable,
    InvalidInput,
    InvalidURL,
    NotFound,
    SubscriptionExists,
)
from reader.models import Category, EntryState, HiddenEntry, Subscription
from reader.selectors import category_get, subscription_get

logger = logging.getLogger(__name__)

#: Most entry ids accepted by one batch call.
MAX_BATCH_IDS = 1000

#: Marker for "argument not given" in updates (None is a real value: no category).
UNSET: Any = object()


# --- Subscriptions ---------------------------------------------------------------


def _clean_url(url: str) -> str:
    """The URL stripped, ``https://`` added if no scheme; InvalidURL unless http(s) with a host.

    A bare path (``/feed.xml``, as relative OPML ``xmlUrl`` values are) is refused, not
    read as a host name; a protocol-relative ``//host/path`` gets ``https:``.
    """
    url = (url or "").strip()
    if url.startswith("/") and not url.startswith("//"):  # a path, e.g. a relative OPML xmlUrl
        raise InvalidURL(f"{url[:200]} is a path, not a full web address.")
    if url and "://" not in url and not url.lower().startswith(("javascript:", "data:")):
        url = "https://" + url.lstrip("/")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or len(url) > 2048:
        raise InvalidURL("Enter a web address starting with http:// or https://.")
    try:  # the fetcher's cleaning (case, default port, empty path), so lookups match
        return check_url(url, resolve=False)
    except FetchError as exc:
        raise InvalidURL(str(exc)) from exc


def feeds_discover(*, url: str) -> list[Any]:
    """Feed candidates (FeedCandidate: url, title, type) at ``url``, without subscribing.

    ``url`` itself when it is a feed, else the feeds its page links to
    (autodiscovery, then common paths). The URL is cleaned as by
    ``subscription_create`` (``https://`` assumed). Raises ``InvalidURL`` (not
    http(s), or refused by the SSRF guard), ``FeedUnreachable`` (fetch failed:
    message from the fetcher) or ``FeedNotFound`` (no feed there).
    """
    return _discover(_clean_url(url))


def _discover(url: str) -> list[Any]:
    from feeds.pipeline.discover import discover_feeds

    try:
        candidates = discover_feeds(url)
    except FetchError as exc:
        if exc.kind in ("invalid_url", "blocked"):
            raise InvalidURL(str(exc)) from exc
        raise FeedUnreachable(f"Could not fetch {url}: {exc}", kind=exc.kind) from exc
    if not candidates:
        raise FeedNotFound(f"No feed found at {url}.")
    return list(candidates)


def _find_feed_url(url: str) -> str:
    """The feed URL behind ``url``: itself if a feed, else the one feed its page links to.

    Raises ``DiscoveryChoice`` (several candidates), ``FeedNotFound`` (none),
    ``InvalidURL`` or ``FeedUnreachable`` (see ``feeds_discover``).
    """
    candidates = _discover(url)
    if len(candidates) > 1:
        raise DiscoveryChoice("This site offers several feeds; pick one.", candidates=candidates)
    return candidates[0].url


def _feed_for_url(url: str, *, discover: bool) -> tuple[Feed, bool]:
    """(feed, created): the existing Feed of ``url``, else via discovery, else a new one.

    A URL that Tidings already fetches is reused without any fetch.
    """
    existing = Feed.objects.filter(url=url).first()
    if existing is not None:
        return existing, False
    from feeds.services import feed_get_or_create

    if discover:
        url = _find_feed_url(url)
    try:
        return feed_get_or_create(url=url, resolve=discover)
    except FetchError as exc:
        if exc.kind in ("invalid_url", "blocked"):
            raise InvalidURL(str(exc)) from exc
        raise FeedUnreachable(str(exc), kind=exc.kind) from exc


def _initial_watermark(feed_id: int, unread_since: datetime) -> int:
    """Highest id below which every entry of the feed is older than ``unread_since``.

    Entries at or below it are read anyway (published before ``unread_since``);
    starting the watermark there keeps the unread tail short.
    """
    agg = Entry.objects.filter(feed_id=feed_id, published_at__gte=unread_since).aggregate(
        first=Min("id")
    )
    if agg["first"] is not None:
        return agg["first"] - 1
    return Entry.objects.filter(feed_id=feed_id).aggregate(last=Max("id"))["last"] or 0


def subscription_create(
    *,
    user: Any,
    url: str,
    category: Category | int | None = None,
    title: str = "",
    discover: bool = True,
    interactive: bool = True,
) -> Subscription:
    """Subscribe ``user`` to the feed at ``url`` (a feed URL, or a site URL via autodiscovery).

    Reuses the Feed when Tidings already fetches that URL (no second fetch);
    otherwise creates it and enqueues ``feeds.tasks.refresh_feed`` on commit,
    so entries appear within seconds (a failure is then shown by the feed's
    ``last_error``). Entries published in the last
    ``settings.NEW_SUBSCRIPTION_UNREAD_DAYS`` days are unread, older ones read.
    ``category``: a Category or id of this user (None: Uncategorized). ``title``:
    per-user title ("" follows the feed). ``discover=False`` (OPML import) skips
    discovery and DNS: the URL is taken as the feed's. ``interactive`` sends that first
    refresh to queue ``interactive`` (a person is waiting); OPML imports pass False
    (queue ``feeds``, behind no one's single subscription).

    Raises ``InvalidURL``, ``DiscoveryChoice`` (``.candidates``: FeedCandidate
    list), ``FeedNotFound``, ``FeedUnreachable``, ``SubscriptionExists``
    (``.subscription``; API 409), ``NotFound`` (foreign category).
    """
    # feeds' front door (feeds.services.address) finds or creates the feed and sends its
    # first fetch when the subscription commits; its errors become the reading app's.
    try:
        url = feed_address_clean(url)
        if isinstance(category, int):
            category = category_get(user=user, category_id=category)
        elif category is not None and category.user_id != user.pk:
            raise NotFound("No such category.")
        existing = Subscription.objects.filter(user=user, feed__url=url).first()
        if existing is not None:
            raise SubscriptionExists("You already follow this feed.", subscription=existing)
        with feed_for_url(url=url, discover=discover, interactive=interactive) as feed:
            now = timezone.now()
            unread_since = now - timedelta(days=settings.NEW_SUBSCRIPTION_UNREAD_DAYS)
            sub_id = _insert_subscription(
                user_id=user.pk,
                feed_id=feed.pk,
                category_id=category.pk if category else None,
                title=(title or "").strip()[:512],
                read_max_id=_initial_watermark(feed.pk, unread_since),
                unread_since=unread_since,
                created_at=now,
            )
            if sub_id is None:
                raise SubscriptionExists(
                    "You already follow this feed.",
                    subscription=Subscription.objects.get(user=user, feed=feed),
                )
    except FeedAddressInvalid as exc:
        raise InvalidURL(exc.message) from exc
    except FeedChoiceNeeded as exc:
        raise DiscoveryChoice(exc.message, candidates=exc.candidates) from exc
    except FeedNotFoundAtAddress as exc:
        raise FeedNotFound(exc.message) from exc
    except FeedAddressUnreachable as exc:
        raise FeedUnreachable(exc.message, kind=exc.kind) from exc
    return subscription_get(user=user, subscription_id=sub_id)


def _insert_subscription(**values: Any) -> int | None:
    """INSERT ... ON CONFLICT (user, feed) DO NOTHING; the new id, or None if it existed.

    Columns come from the model (defaults of fields added later included), so
    the upsert stays in step with reader/models.py.
    """
    values["position"] = (
        Subscription.objects.filter(user_id=values["user_id"]).aggregate(m=Max("position"))["m"]
        or 0
    ) + 1
    obj = Subscription(**values)
    fields = [f for f in Subscription._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    params = [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO reader_subscription ({columns}) VALUES "
            f"({', '.join(['%s'] * len(fields))}) "
            "ON CONFLICT (user_id, feed_id) DO NOTHING RETURNING id",
            params,
        )
        row = cur.fetchone()
    return row[0] if row else None


def subscription_update(
    *,
    user: Any,
    subscription_id: int,
    title: str = UNSET,
    category_id: int | None = UNSET,
    position: int = UNSET,
) -> Subscription:
    """Change the user's title ("" follows the feed), category (None: Uncategorized) or position.

    Only the arguments given change. Raises ``NotFound`` for a foreign or
    unknown subscription or category.
    """
    sub = subscription_get(user=user, subscription_id=subscription_id)
    changed = []
    if title is not UNSET:
        sub.title = (title or "").strip()[:512]
        changed.append("title")
    if category_id is not UNSET:
        sub.category = (
            None if category_id is None else category_get(user=user, category_id=category_id)
        )
        changed.append("category")
    if position is not UNSET:
        sub.position = int(position)
        changed.append("position")
    if changed:
        sub.save(update_fields=changed)
    return sub


def subscription_delete(*, user: Any, subscription_id: int) -> None:
    """Unsubscribe. Starred entries of the feed stay readable under Starred; other marks go.

    Raises ``NotFound`` for a foreign or unknown subscription.
    """
    sub = subscription_get(user=user, subscription_id=subscription_id)
    with transaction.atomic():
        EntryState.objects.filter(user=user, entry__feed_id=sub.feed_id, starred=False).delete()
        sub.delete()


# --- Categories ------------------------------------------------------------------


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())[:255]
    if not title:
        raise InvalidInput("The category needs a name.")
    return title


def category_create(*, user: Any, title: str, position: int | None = None) -> Category:
    """A new category for ``user``. Raises ``CategoryExists`` (same title) or ``InvalidInput``."""
    title = _clean_title(title)
    existing = Category.objects.filter(user=user, title=title).first()
    if existing is not None:
        raise CategoryExists(f"You already have a category named {title!r}.", category=existing)
    if position is None:
        position = (Category.objects.filter(user=user).aggregate(m=Max("position"))["m"] or 0) + 1
    return Category.objects.create(user=user, title=title, position=position)


def category_get_or_create(*, user: Any, title: str) -> tuple[Category, bool]:
    """The user's category named ``title`` (whitespace collapsed), created if missing."""
    title = _clean_title(title)
    existing = Category.objects.filter(user=user, title=title).first()
    if existing is not None:
        return existing, False
    return category_create(user=user, title=title), True


def category_rename(*, user: Any, category_id: int, title: str) -> Category:
    """Rename one of the user's categories. Raises NotFound, CategoryExists, InvalidInput."""
    category = category_get(user=user, category_id=category_id)
    title = _clean_title(title)
    clash = Category.objects.filter(user=user, title=title).exclude(pk=category.pk).first()
    if clash is not None:
        raise CategoryExists(f"You already have a category named {title!r}.", category=clash)
    category.title = title
    category.save(update_fields=["title"])
    return category


def category_update_position(*, user: Any, category_id: int, position: int) -> Category:
    """Move one of the user's categories in the list. Raises NotFound."""
    category = category_get(user=user, category_id=category_id)
    category.position = int(position)
    category.save(update_fields=["position"])
    return category


def category_delete(*, user: Any, category_id: int) -> int:
    """Delete a category; its subscriptions move to Uncategorized (never deleted).

    Returns how many subscriptions moved. Raises ``NotFound``.
    """
    category = category_get(user=user, category_id=category_id)
    with transaction.atomic():
        moved = Subscription.objects.filter(user=user, category=category).update(category=None)
        category.delete()
    return moved


# --- Read and starred marks ------------------------------------------------------


def _clean_ids(entry_ids: Iterable[Any]) -> list[int]:
    ids = []
    for value in entry_ids:
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if 0 < number < 2**63:
            ids.append(number)
    ids = sorted(set(ids))
    if len(ids) > MAX_BATCH_IDS:
        raise InvalidInput(f"At most {MAX_BATCH_IDS} entries per call.")
    return ids


def _visible_defaults(user: Any, ids: list[int]) -> list[tuple[int, bool, bool]]:
    """(entry_id, read by default, starred) for the ids the user may see; others dropped."""
    if not ids:
        return []
    marks = ", ".join(["%s"] * len(ids))
    sql = (
        "SELECT e.id, CASE WHEN s.id IS NULL THEN TRUE ELSE (e.id <= s.read_max_id OR "
        "(s.unread_since IS NOT NULL AND e.published_at < s.unread_since)) END, "
        "COALESCE(x.starred, FALSE) FROM feeds_entry e "
        "LEFT JOIN reader_subscription s ON s.feed_id = e.feed_id AND s.user_id = %s "
        "LEFT JOIN reader_entrystate x ON x.entry_id = e.id AND x.user_id = %s "
        f"WHERE e.id IN ({marks}) AND (s.id IS NOT NULL OR x.starred = TRUE)"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [user.pk, user.pk, *ids])
        return [(row[0], bool(row[1]), bool(row[2])) for row in cur.fetchall()]


def entries_set_read(*, user: Any, entry_ids: Iterable[int], read: bool) -> list[int]:
    """Mark up to 1,000 entries read (``read=True``) or unread; returns the ids applied.

    Ids of entries the user cannot see (other users' feeds, unknown ids, junk)
    are silently skipped. An exception row is written only when the wish differs
    from the watermark's verdict; a redundant one is removed. Four queries.
    With ``User.merge_duplicates`` the same article in the user's other feeds
    is marked too (``reader.duplicates``: two more queries); marking unread also
    unhides entries a rule hid (one more query). Raises ``InvalidInput`` for
    more than 1,000 ids.
    """
    ids = duplicates.with_duplicates(user=user, entry_ids=_clean_ids(entry_ids))
    if not read:
        HiddenEntry.objects.filter(user=user, entry_id__in=ids).delete()
    visible = _visible_defaults(user, ids)
    needed = [entry_id for entry_id, default, _ in visible if default != bool(read)]
    redundant = [entry_id for entry_id, default, _ in visible if default == bool(read)]
    now = timezone.now()
    with transaction.atomic():
        if needed:
            EntryState.objects.bulk_create(
                [
                    EntryState(user=user, entry_id=i, read=bool(read), updated_at=now)
                    for i in needed
                ],
                update_conflicts=True,
                unique_fields=["user", "entry"],
                update_fields=["read", "updated_at"],
            )
        if redundant:
            states = EntryState.objects.filter(user=user, entry_id__in=redundant)
            states.filter(starred=False).delete()
            states.filter(read__isnull=False).update(read=None, updated_at=now)
    return [entry_id for entry_id, _, _ in visible]


def entries_set_starred(*, user: Any, entry_ids: Iterable[int], starred: bool) -> list[int]:
    """Star or unstar up to 1,000 entries; returns the ids applied (others silently skipped).

    Starring keeps the first ``starred_at``. Starred entries are never pruned by
    retention and stay readable after unsubscribing. Raises ``InvalidInput``
    for more than 1,000 ids.
    """
    visible = _visible_defaults(user, _clean_ids(entry_ids))
    now = timezone.now()
    with transaction.atomic():
        if starred:
            new = [entry_id for entry_id, _, is_starred in visible if not is_starred]
            if new:
                EntryState.objects.bulk_create(
                    [
                        EntryState(
                            user=user, entry_id=i, starred=True, starred_at=now, updated_at=now
                        )
                        for i in new
                    ],
                    update_conflicts=True,
                    unique_fields=["user", "entry"],
                    update_fields=["starred", "starred_at", "updated_at"],
                )
        else:
            ids = [entry_id for entry_id, _, is_starred in visible if is_starred]
            if ids:
                states = EntryState.objects.filter(user=user, entry_id__in=ids)
                states.update(starred=False, starred_at=None, updated_at=now)
                states.filter(read__isnull=True).delete()
    return [entry_id for entry_id, _, _ in visible]


def mark_all_read(
    *,
    user: Any,
    subscription_id: int | None = None,
    category_id: int | None = None,
    before: datetime | None = None,
    max_entry_id: int | None = None,
) -> int:
    """Mark everything read in one subscription, one category (0: Uncategorized) or all.

    Upper bound (P25): only entries that existed when the request was made are
    marked, never later ones; narrower with ``max_entry_id`` (the highest entry
    id the client saw) and/or ``before`` (an aware datetime: entries first seen
    at or before it). Cost does not grow with the number of entries: one UPDATE
    of the watermarks, then one DELETE and one UPDATE of the user's now
    redundant exception rows. Returns how many subscriptions moved their
    watermark. Raises ``NotFound`` for a foreign or unknown subscription/category.
    """
    scope, params = "s.user_id = %s", [user.pk]
    if subscription_id is not None:
        scope += " AND s.id = %s"
        params.append(subscription_get(user=user, subscription_id=subscription_id).pk)
    elif category_id is not None and int(category_id) == 0:
        scope += " AND s.category_id IS NULL"
    elif category_id is not None:
        scope += " AND s.category_id = %s"
        params.append(category_get(user=user, category_id=category_id).pk)
    bound = Entry.objects.aggregate(m=Max("id"))["m"] or 0
    if max_entry_id is not None:
        bound = max(0, min(bound, int(max_entry_id)))
    with transaction.atomic(), connection.cursor() as cur:
        moved = _raise_watermarks(cur, scope, params, bound=bound, before=before)
        _drop_redundant_exceptions(cur, scope, params, user_id=user.pk)
    return moved


def _raise_watermarks(cur, scope: str, params: list, *, bound: int, before: datetime | None) -> int:
    if before is None:
        new = "%s"
        new_params = [bound]
    else:
        # Newest entry of the feed first seen at or before `before` (one index probe).
        new = (
            "COALESCE((SELECT e.id FROM feeds_entry e WHERE e.feed_id = s.feed_id "
            "AND e.created_at <= %s AND e.id <= %s ORDER BY e.created_at DESC, e.id DESC "
            "LIMIT 1), 0)"
        )
        new_params = [connection.ops.adapt_datetimefield_value(before), bound]
    sql = (
        f"UPDATE reader_subscription SET read_max_id = {new} WHERE id IN "
        f"(SELECT s.id FROM reader_subscription s WHERE {scope}) AND read_max_id < {new}"
    )
    # Alias s inside the SET subquery must name the updated row: rename it.
    sql = sql.replace("e.feed_id = s.feed_id", "e.feed_id = reader_subscription.feed_id")
    cur.execute(sql, [*new_params, *params, *new_params])
    return cur.rowcount


def _drop_redundant_exceptions(cur, scope: str, params: list, *, user_id: int) -> None:
    below = (
        "SELECT x.entry_id FROM reader_entrystate x JOIN feeds_entry e ON e.id = x.entry_id "
        "JOIN reader_subscription s ON s.feed_id = e.feed_id AND s.user_id = x.user_id "
        f"WHERE x.user_id = %s AND x.read IS NOT NULL AND e.id <= s.read_max_id AND {scope}"
    )
    cur.execute(
        "DELETE FROM reader_entrystate WHERE user_id = %s AND starred = FALSE "
        f"AND entry_id IN ({below})",
        [user_id, user_id, *params],
    )
    cur.execute(
        "UPDATE reader_entrystate SET read = NULL WHERE user_id = %s AND starred = TRUE "
        f"AND entry_id IN ({below})",
        [user_id, user_id, *params],
    )


# OPML lives in its own module; exported here so every face imports services only.
from reader.opml import opml_export, opml_import_run, opml_import_start  # noqa: E402

__all__ = [
    "MAX_BATCH_IDS",
    "UNSET",
    "category_create",
    "category_delete",
    "category_get_or_create",
    "category_rename",
    "category_update_position",
    "entries_set_read",
    "entries_set_starred",
    "feeds_discover",
    "mark_all_read",
    "opml_export",
    "opml_import_run",
    "opml_import_start",
    "subscription_create",
    "subscription_delete",
    "subscription_update",
]
