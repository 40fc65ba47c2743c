"""Trigram index only on entries that contain CJK characters (PostgreSQL only).

Only terms with Chinese, Japanese or Korean characters are matched with ILIKE
(reader/search.py); every other term uses the full-text index. A partial index
``WHERE reader_entry_doc(...) ~ '[CJK]'`` serves those searches (the search adds
the same predicate) at a fraction of the build and ingest cost of the full
trigram index of 0003 (208 s against seconds on the 1M-entry benchmark).
The character class must stay equal to ``reader.search.CJK_CLASS``.
"""

from django.db import migrations

CJK_CLASS = "[" + "".join(
    f"{chr(lo)}-{chr(hi)}"
    for lo, hi in (
        (0x2E80, 0x2FDF),
        (0x3040, 0x30FF),
        (0x3100, 0x31FF),
        (0x3400, 0x4DBF),
        (0x4E00, 0x9FFF),
        (0xAC00, 0xD7AF),
        (0xF900, 0xFAFF),
        (0xFF00, 0xFFEF),
    )
) + "]"

FORWARD = [
    "DROP INDEX IF EXISTS reader_entry_trgm_idx",
    "CREATE INDEX IF NOT EXISTS reader_entry_trgm_cjk_idx ON feeds_entry USING gin "
    "(reader_entry_doc(title, summary, content) gin_trgm_ops) "
    f"WHERE reader_entry_doc(title, summary, content) ~ '{CJK_CLASS}'",
]
BACKWARD = [
    "DROP INDEX IF EXISTS reader_entry_trgm_cjk_idx",
    "CREATE INDEX IF NOT EXISTS reader_entry_trgm_idx ON feeds_entry USING gin "
    "(reader_entry_doc(title, summary, content) gin_trgm_ops)",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("reader", "0003_entry_search_and_unread_indexes")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False)]
