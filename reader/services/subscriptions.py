"""Writes of how a user organizes their reading: subscriptions and categories.

Subscribing (URL cleaning, discovery, the feed's get-or-create and first fetch),
per-user titles, categories and positions, unsubscribing. Every function takes
``user`` and touches only that user's rows; another user's ids are ``NotFound``.
A new subscription starts its read state as ``reader.read_state`` describes:
entries published in the last ``NEW_SUBSCRIPTION_UNREAD_DAYS`` days unread, or
everything, or nothing, as the subscriber chooses (``read_state.starting_point``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from feeds.services import (
    FeedAddressInvalid,
    FeedAddressUnreachable,
    FeedChoiceNeeded,
    FeedNotFoundAtAddress,
    feed_address_clean,
    feed_candidates,
    feed_for_url,
)
from reader import read_state
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
from reader.models import Category, EntryState, Subscription
from reader.selectors import category_get, subscription_get

logger = logging.getLogger(__name__)

#: Marker for "argument not given" in updates (None is a real value: no category).
UNSET: Any = object()


# --- Subscriptions ---------------------------------------------------------------


@contextmanager
def _feed_errors_as_reader_errors() -> Iterator[None]:
    """Turn the errors of feeds' front door into the reading app's (same messages)."""
    try:
        yield
    except FeedAddressInvalid as exc:
        raise InvalidURL(exc.message) from exc
    except FeedChoiceNeeded as exc:
        raise DiscoveryChoice(exc.message, candidates=exc.candidates) from exc
    except FeedNotFoundAtAddress as exc:
        raise FeedNotFound(exc.message) from exc
    except FeedAddressUnreachable as exc:
        raise FeedUnreachable(exc.message, kind=exc.kind) from exc


def feeds_discover(*, url: str) -> list[Any]:
    """Feed candidates (FeedCandidate: url, title, type) at ``url``, without subscribing.

    ``url`` itself when it is a feed, else the feeds its page links to
    (autodiscovery, then common paths). The URL is cleaned as by
    ``subscription_create`` (``https://`` assumed). Raises ``InvalidURL`` (not
    http(s), or refused by the SSRF guard), ``FeedUnreachable`` (fetch failed:
    message from the fetcher) or ``FeedNotFound`` (no feed there).
    """
    with _feed_errors_as_reader_errors():
        return feed_candidates(feed_address_clean(url))


def subscription_create(
    *,
    user: Any,
    url: str,
    category: Category | int | None = None,
    title: str = "",
    discover: bool = True,
    interactive: bool = True,
    unread_start: str = read_state.START_RECENT,
    enqueue: bool = True,
) -> Subscription:
    """Subscribe ``user`` to the feed at ``url`` (a feed URL, or a site URL via autodiscovery).

    Reuses the Feed when Tidings already fetches that URL (no second fetch);
    otherwise creates it and enqueues ``feeds.tasks.refresh_feed`` on commit,
    so entries appear within seconds (a failure is then shown by the feed's
    ``last_error``). ``unread_start`` chooses what starts unread
    (``reader.read_state.starting_point``): ``"recent"`` (default) the entries
    published in the last ``settings.NEW_SUBSCRIPTION_UNREAD_DAYS`` days, older ones
    read; ``"all"`` everything; ``"none"`` nothing published before now.
    ``category``: a Category or id of this user (None: Uncategorized). ``title``:
    per-user title ("" follows the feed). ``discover=False`` (OPML import) skips
    discovery and DNS: the URL is taken as the feed's. ``interactive`` sends that first
    refresh to queue ``interactive`` (a person is waiting); False sends it to queue
    ``feeds``, behind no one's single subscription. ``enqueue=False`` (OPML import) sends
    no first refresh: the new feed is due, and the caller sends many together
    (``feeds.tasks.refresh_feeds_enqueue``).

    Raises ``InvalidInput`` (unknown ``unread_start``), ``InvalidURL``, ``DiscoveryChoice``
    (``.candidates``: FeedCandidate list), ``FeedNotFound``, ``FeedUnreachable``,
    ``SubscriptionExists`` (``.subscription``; API 409), ``NotFound`` (foreign category).
    """
    if unread_start not in read_state.START_CHOICES:
        raise InvalidInput("Choose recent, all or none for what starts unread.")
    # feeds' front door (feeds.services.address) finds or creates the feed and sends its
    # first fetch when the subscription commits; its errors become the reading app's.
    with _feed_errors_as_reader_errors():
        url = feed_address_clean(url)
        if isinstance(category, int):
            category = category_get(user=user, category_id=category)
        elif category is not None and category.user_id != user.pk:
            raise NotFound("No such category.")
        existing = Subscription.objects.filter(user=user, feed__url=url).first()
        if existing is not None:
            raise SubscriptionExists(_("You already follow this feed."), subscription=existing)
        with feed_for_url(
            url=url, discover=discover, interactive=interactive, enqueue=enqueue
        ) as feed:
            now = timezone.now()
            read_max_id, unread_since = read_state.starting_point(
                feed_id=feed.pk,
                choice=unread_start,
                now=now,
                recent_days=settings.NEW_SUBSCRIPTION_UNREAD_DAYS,
            )
            sub_id = _insert_subscription(
                user_id=user.pk,
                feed_id=feed.pk,
                category_id=category.pk if category else None,
                title=(title or "").strip()[:512],
                read_max_id=read_max_id,
                unread_since=unread_since,
                created_at=now,
            )
            if sub_id is None:
                raise SubscriptionExists(
                    _("You already follow this feed."),
                    subscription=Subscription.objects.get(user=user, feed=feed),
                )
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
        raise InvalidInput(_("The category needs a name."))
    return title


def category_create(*, user: Any, title: str, position: int | None = None) -> Category:
    """A new category for ``user``. Raises ``CategoryExists`` (same title) or ``InvalidInput``."""
    title = _clean_title(title)
    existing = Category.objects.filter(user=user, title=title).first()
    if existing is not None:
        raise CategoryExists(category_exists_message(title), category=existing)
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
        raise CategoryExists(category_exists_message(title), category=clash)

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


def category_exists_message(title: str) -> str:
    """The error for a category title the user already has, in the active language."""
    return _("You already have a category named %(title)s.") % {"title": repr(title)}
