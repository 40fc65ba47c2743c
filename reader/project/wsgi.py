"""WSGI entry point (gunicorn reader.project.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reader.project.settings")
application = get_wsgi_application()
