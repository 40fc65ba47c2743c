"""Celery tasks of issue 11 part A (WebSub, full text): thin, take ids, idempotent, late-acked.

Registered because ``feeds.tasks`` imports this module (Celery autodiscovers ``tasks``
modules only). The hourly ``feeds.websub_renew_leases`` is in reader/celery.py's beat
schedule. All run on the ``default`` queue.
"""

from __future__ import annotations

from celery import shared_task
from django.utils.dateparse import parse_datetime


@shared_task(name="feeds.websub_subscribe", acks_late=True, ignore_result=True)
def websub_subscribe_task(feed_id: int, hub: str, topic: str) -> str:
    """Send a WebSub subscription request (``feeds.websub.websub_subscribe``); returns the state."""
    from feeds.models import Feed
    from feeds.websub import websub_subscribe

    try:
        return websub_subscribe(feed_id=feed_id, hub=hub, topic=topic).state
    except Feed.DoesNotExist:
        return "gone"


@shared_task(name="feeds.websub_unsubscribe", acks_late=True, ignore_result=True)
def websub_unsubscribe_task(feed_id: int) -> str:
    """End the WebSub subscription of a feed nobody wants (``feeds.websub.websub_unsubscribe``)."""
    from feeds.websub import websub_unsubscribe

    sub = websub_unsubscribe(feed_id=feed_id)
    return sub.state if sub else "none"


@shared_task(name="feeds.websub_renew_leases", acks_late=True, ignore_result=True)
def websub_renew_leases() -> dict:
    """Beat, hourly: renew WebSub leases before they end (``feeds.websub.websub_renew_due``)."""
    from feeds.websub import websub_renew_due

    return websub_renew_due()


@shared_task(name="feeds.fulltext_extract_new", acks_late=True, ignore_result=True)
def fulltext_extract_new_task(feed_id: int, since: str) -> int:
    """Extract full text of a feed's entries first seen since ``since`` (ISO 8601)."""
    from feeds.fulltext import fulltext_extract_new

    when = parse_datetime(since)
    if when is None:
        return 0
    return fulltext_extract_new(feed_id=feed_id, since=when)
