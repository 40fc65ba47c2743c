"""The project layer: settings, URLs, the Celery app, WSGI/ASGI, and site-wide operations.

Importing the package loads the Celery app (``celery -A reader.project``), so that
``shared_task`` functions bind to it when Django starts (Celery's Django recipe:
https://docs.celeryq.dev/en/stable/django/first-steps-with-django.html).
"""

from __future__ import annotations

from reader.project.celery import app as celery_app

__all__ = ["celery_app"]
