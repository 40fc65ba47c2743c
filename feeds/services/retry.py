"""The one-click "retry" of a failing or self-disabled feed."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from feeds.models import Feed
from feeds.tasks import refresh_feed_enqueue

__all__ = ["FeedRetryRefused", "feed_retry"]


class FeedRetryRefused(Exception):
    """``feed_retry`` of a feed that an administrator disabled (only an admin may re-enable)."""


def feed_retry(*, feed_id: int, now: datetime | None = None) -> Feed:
    """Make a feed due now and enqueue its refresh: the one-click "retry" of every subscriber.

    A feed that Tidings disabled itself (410 Gone, FEED_DISABLE_AFTER_DAYS of failures:
    ``auto_disabled``) is re-enabled; its error count and back-off are reset so the first
    attempt happens at once (a further failure backs off again from the start, and the
    30 days count afresh). The refresh is sent to queue ``interactive`` on commit (forced, so
    it still honours a host's Retry-After). Returns the updated Feed. Raises
    ``Feed.DoesNotExist`` for an unknown id and ``FeedRetryRefused`` for a feed an
    administrator disabled.
    """
    now = now or timezone.now()
    feed = Feed.objects.get(pk=feed_id)
    if feed.disabled and not feed.auto_disabled:
        raise FeedRetryRefused(feed.disabled_reason or _("Disabled by an administrator."))

    fields = {"next_fetch_at": now, "leased_until": None, "updated_at": now}
    if feed.disabled:
        fields.update(
            disabled=False,
            auto_disabled=False,
            disabled_reason="",
            error_count=0,
            first_error_at=None,
        )
    Feed.objects.filter(pk=feed.pk).update(**fields)
    refresh_feed_enqueue(feed_id=feed.pk, force=True, interactive=True)
    feed.refresh_from_db()
    return feed
