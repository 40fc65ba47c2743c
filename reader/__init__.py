"""Tidings: the Django project package and the reading app (subscriptions, read state)."""

from reader.celery import app as celery_app

__all__ = ["celery_app"]
