"""WSGI entry point (gunicorn reader.project.wsgi).

The URLconf, and with it every view module (REST, client APIs, pages), is imported here rather
than at the first request: under ``gunicorn --preload`` (docker/compose.yml) that happens once in
the master, whose memory the forked workers share, instead of once in each worker.
"""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reader.project.settings")
application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018 (imports every view module now)
