"""A stored search vector on feeds_entry, with CJK character bigrams (PostgreSQL).

Replaces the search indexes of migrations 0003/0004 (an expression GIN index on
``to_tsvector('simple', reader_entry_doc(...))`` and a partial trigram index).
Both had to recompute the document for every candidate: a phrase (GIN has no
positions, so each candidate is rechecked) or the ranking re-parsed up to
20,000 characters per row, and a two-character Chinese word has no trigram, so
it scanned every CJK entry (2 to 3.5 s at 1M entries). Now:

- ``reader_entry_search_text(title, summary, content)``: the document of
  ``reader_entry_doc`` (title, then content or else summary, tags stripped, first
  20,000 characters) where each run of CJK letters is replaced by its character
  bigrams and its last character (``"包邮快递"`` -> ``" 包邮 邮快 快递 递 "``), so a
  run of n letters keeps n positions. ``reader.search.search_text`` is the same
  in Python; a test checks the two agree. It uses only pg_catalog functions, so
  a dump restores (restore runs with an empty search_path).
- ``feeds_entry.search_tsv``: ``to_tsvector('simple', reader_entry_search_text(...))``,
  a STORED generated column (PostgreSQL 12+), so matching, phrase rechecks and
  ``ts_rank`` read it instead of parsing the document. It is not in the Entry
  model's state: Django never selects or writes it, PostgreSQL keeps it current.
  Adding it rewrites feeds_entry once (about a minute per million entries).
- ``reader_entry_search_idx``: GIN on ``search_tsv``.
SQLite: nothing (its search is a substring match, reader.search).
"""

from importlib import import_module

from django.db import migrations

#: CJK letters (no punctuation), equal to ``reader.search.CJK_LETTERS``.
CJK_LETTERS = (
    "["
    + "".join(
        f"{chr(lo)}-{chr(hi)}"
        for lo, hi in (
            (0x1100, 0x11FF),  # Hangul Jamo
            (0x3005, 0x3007),  # 々 〆 〇
            (0x3041, 0x30FA),  # Hiragana, Katakana (not the middle dot U+30FB)
            (0x30FC, 0x30FF),
            (0x3105, 0x312F),  # Bopomofo
            (0x3131, 0x318E),  # Hangul compatibility Jamo
            (0x31F0, 0x31FF),  # Katakana phonetic extensions
            (0x3400, 0x4DBF),  # CJK extension A
            (0x4E00, 0x9FFF),  # CJK unified ideographs
            (0xAC00, 0xD7AF),  # Hangul syllables
            (0xF900, 0xFAFF),  # CJK compatibility ideographs
            (0xFF66, 0xFF9F),  # half-width Katakana
        )
    )
    + "]"
)
NOT_CJK = "[^" + CJK_LETTERS[1:]

SEARCH_TEXT_FUNCTION = rf"""
CREATE OR REPLACE FUNCTION reader_entry_search_text(title text, summary text, content text)
RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
  doc text := left(
    coalesce(title, '') || ' ' ||
    regexp_replace(
      CASE WHEN coalesce(content, '') <> '' THEN content ELSE coalesce(summary, '') END,
      '<[^>]*>', ' ', 'g'),
    20000);
BEGIN
  IF doc !~ '{CJK_LETTERS}' THEN
    RETURN doc;
  END IF;
  RETURN (
    SELECT string_agg(
      CASE WHEN m[1] IS NULL THEN m[2] ELSE ' ' || (
        SELECT string_agg(substr(m[1], i, 2), ' ' ORDER BY i)
        FROM generate_series(1, char_length(m[1])) AS i
      ) || ' ' END,
      '' ORDER BY o)
    FROM regexp_matches(doc, '({CJK_LETTERS}+)|({NOT_CJK}+)', 'g') WITH ORDINALITY AS r(m, o)
  );
END
$fn$;
"""  # noqa: S608 (constants only)

FORWARD = [
    SEARCH_TEXT_FUNCTION,
    "ALTER TABLE feeds_entry ADD COLUMN IF NOT EXISTS search_tsv tsvector GENERATED ALWAYS AS "
    "(to_tsvector('simple'::regconfig, reader_entry_search_text(title, summary, content))) STORED",
    "CREATE INDEX IF NOT EXISTS reader_entry_search_idx ON feeds_entry USING gin (search_tsv)",
    "DROP INDEX IF EXISTS reader_entry_fts_idx",
    "DROP INDEX IF EXISTS reader_entry_trgm_cjk_idx",
    "ANALYZE feeds_entry",
]
# Migration 0004's partial trigram index, recreated when going back.
_OLD_CJK_INDEX = (
    "CREATE INDEX IF NOT EXISTS reader_entry_trgm_cjk_idx ON feeds_entry USING gin "
    "(reader_entry_doc(title, summary, content) gin_trgm_ops) "
    "WHERE reader_entry_doc(title, summary, content) ~ '"
    + import_module("reader.migrations.0004_trigram_index_cjk_only").CJK_CLASS
    + "'"
)
BACKWARD = [
    "CREATE INDEX IF NOT EXISTS reader_entry_fts_idx ON feeds_entry USING gin "
    "(to_tsvector('simple'::regconfig, reader_entry_doc(title, summary, content)))",
    "DROP INDEX IF EXISTS reader_entry_search_idx",
    "ALTER TABLE feeds_entry DROP COLUMN IF EXISTS search_tsv",
    "DROP FUNCTION IF EXISTS reader_entry_search_text(text, text, text)",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("feeds", "0005_fetch_options_identity_websub_fulltext"),
        ("reader", "0006_subscription_fetch_full_text"),
    ]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False)]
