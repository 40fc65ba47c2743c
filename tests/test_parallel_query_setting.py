"""DATABASE_PARALLEL_WORKERS: Tidings' PostgreSQL connections run without parallel query.

The unread list and the unread counts get parallel plans (Gather over a parallel seq scan of
reader_subscription) that take 2-4x longer than the serial index plans when a few cores serve
concurrent requests (bench/load.py); reader/project/settings.py sets max_parallel_workers_per_gather
through the connection's startup options.
"""

from __future__ import annotations

import pytest
from django.db import connection


@pytest.mark.django_db
def test_postgres_connections_start_with_parallel_query_off():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"
