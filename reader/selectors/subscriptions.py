"""Reads of how a user organizes their reading: subscriptions, categories, OPML import jobs.

Each is scoped by ``user``; another user's id is ``reader.errors.NotFound``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from reader.errors import NotFound
from reader.models import Category, ImportJob, Subscription


def subscription_list(*, user: Any, category_id: int | None = None) -> QuerySet[Subscription]:
    """The user's subscriptions with feed and category loaded, ordered by position then id.

    Each has ``display_title`` available as ``sub.title or sub.feed.title or
    sub.feed.url``; the feed's ``last_error`` tells why it cannot be fetched.
    ``category_id=0`` lists Uncategorized only.
    """
    qs = Subscription.objects.filter(user=user).select_related("feed", "category")
    if category_id is not None:
        qs = (
            qs.filter(category__isnull=True)
            if int(category_id) == 0
            else qs.filter(category_id=category_id)
        )
    return qs.order_by("position", "id")


def subscription_get(*, user: Any, subscription_id: int) -> Subscription:
    """One of the user's subscriptions (feed, category loaded); NotFound otherwise."""
    try:
        return Subscription.objects.select_related("feed", "category").get(
            user=user, pk=int(subscription_id)
        )
    except (Subscription.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound("No such subscription.") from exc


def category_list(*, user: Any) -> QuerySet[Category]:
    """The user's categories ordered by position then title (Uncategorized is implicit)."""
    return Category.objects.filter(user=user).order_by("position", "title")


def category_get(*, user: Any, category_id: int) -> Category:
    """One of the user's categories; NotFound otherwise."""
    try:
        return Category.objects.get(user=user, pk=int(category_id))
    except (Category.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound("No such category.") from exc


def import_job_get(*, user: Any, job_id: int) -> ImportJob:
    """One of the user's OPML import jobs (progress, failures); NotFound otherwise."""
    try:
        return ImportJob.objects.defer("data").get(user=user, pk=int(job_id))
    except (ImportJob.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound("No such import.") from exc


def import_job_list(*, user: Any) -> QuerySet[ImportJob]:
    """The user's OPML import jobs, newest first (without the uploaded bytes)."""
    return ImportJob.objects.filter(user=user).defer("data").order_by("-created_at", "-id")
