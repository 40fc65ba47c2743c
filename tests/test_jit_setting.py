"""DATABASE_JIT: Tidings' PostgreSQL connections run without JIT compilation.

The unread counts of a user with 200 subscriptions have an estimated cost above
PostgreSQL's jit_above_cost, and compiling them took ~20 ms for a ~5 ms query
(bench/pages.py); reader/project/settings.py sets jit=off through the connection's startup options.
"""

from __future__ import annotations

import pytest
from django.db import connection


@pytest.mark.django_db
def test_postgres_connections_start_with_jit_off():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
