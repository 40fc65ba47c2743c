"""The unread-tail index carries first-seen time too: ``(feed_id, id) INCLUDE (published_at, created_at)``.

Google Reader's ``stream/items/ids`` gives each id its first-seen time
(``timestampUsec``). For the unread list, the id tail above each watermark is read
from this index alone; with ``created_at`` in it, that stays an index-only scan
instead of one heap probe per id. PostgreSQL only (SQLite has no INCLUDE; its
index from 0003 stays as it is). The index is rebuilt under a temporary name and
swapped, so the unread lists are never without it.
"""

from django.db import migrations

FORWARD = [
    "CREATE INDEX IF NOT EXISTS reader_entry_feed_tail_idx_new ON feeds_entry "
    "(feed_id, id) INCLUDE (published_at, created_at)",
    "DROP INDEX IF EXISTS reader_entry_feed_tail_idx",
    "ALTER INDEX reader_entry_feed_tail_idx_new RENAME TO reader_entry_feed_tail_idx",
]
BACKWARD = [
    "CREATE INDEX IF NOT EXISTS reader_entry_feed_tail_idx_old ON feeds_entry "
    "(feed_id, id) INCLUDE (published_at)",
    "DROP INDEX IF EXISTS reader_entry_feed_tail_idx",
    "ALTER INDEX reader_entry_feed_tail_idx_old RENAME TO reader_entry_feed_tail_idx",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("reader", "0009_importjob_report")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
