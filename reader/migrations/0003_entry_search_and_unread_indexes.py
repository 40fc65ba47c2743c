"""Indexes on feeds_entry that serve the reading app (search and the unread tail).

They live in the reader app because only reading needs them, and they are raw
SQL (not in the feeds models' state) so that the feeds app's migrations stay
untouched. PostgreSQL gets:

- the ``pg_trgm`` extension and an IMMUTABLE function ``reader_entry_doc`` (title
  plus content, or summary when content is empty, tags stripped, first 20,000
  characters) used by both search indexes and by the search queries;
- a GIN full-text index ``to_tsvector('simple', reader_entry_doc(...))``;
- a GIN trigram index on ``reader_entry_doc(...)`` so that a Chinese word inside
  a sentence (one token for the default parser) is found with ILIKE;
- a B-tree ``(feed_id, id) INCLUDE (published_at)``: the unread entries of a
  subscription are the id tail above its watermark.

SQLite gets only the ``(feed_id, id)`` index; its search is a plain substring match.
"""

from django.db import migrations

DOC_FUNCTION = r"""
CREATE OR REPLACE FUNCTION reader_entry_doc(title text, summary text, content text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT left(
    coalesce(title, '') || ' ' ||
    regexp_replace(
      CASE WHEN coalesce(content, '') <> '' THEN content ELSE coalesce(summary, '') END,
      '<[^>]*>', ' ', 'g'),
    20000)
$$;
"""

PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    DOC_FUNCTION,
    "CREATE INDEX IF NOT EXISTS reader_entry_fts_idx ON feeds_entry USING gin "
    "(to_tsvector('simple'::regconfig, reader_entry_doc(title, summary, content)))",
    "CREATE INDEX IF NOT EXISTS reader_entry_trgm_idx ON feeds_entry USING gin "
    "(reader_entry_doc(title, summary, content) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS reader_entry_feed_tail_idx ON feeds_entry "
    "(feed_id, id) INCLUDE (published_at)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS reader_entry_feed_tail_idx",
    "DROP INDEX IF EXISTS reader_entry_trgm_idx",
    "DROP INDEX IF EXISTS reader_entry_fts_idx",
    "DROP FUNCTION IF EXISTS reader_entry_doc(text, text, text)",
]
OTHER_FORWARD = [
    "CREATE INDEX IF NOT EXISTS reader_entry_feed_tail_idx ON feeds_entry (feed_id, id)"
]
OTHER_BACKWARD = ["DROP INDEX IF EXISTS reader_entry_feed_tail_idx"]


def _run(statements_pg, statements_other):
    def run(apps, schema_editor):
        statements = (
            statements_pg if schema_editor.connection.vendor == "postgresql" else statements_other
        )
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("feeds", "0001_initial"),
        ("reader", "0002_import_job_and_state_indexes"),
    ]

    operations = [
        migrations.RunPython(
            _run(PG_FORWARD, OTHER_FORWARD),
            _run(PG_BACKWARD, OTHER_BACKWARD),
            elidable=False,
        )
    ]
