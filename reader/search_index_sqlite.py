"""The search index of entries on SQLite (the embedded default): an FTS5 table kept by triggers.

PostgreSQL searches ``feeds_entry.search_tsv`` (migration reader 0007). SQLite gets the same
document in an FTS5 table, so that words, phrases, ``OR`` and ``-word`` behave alike
(``reader.search.condition_sql``):

- ``reader_entry_fts(doc)``: one row per entry (``rowid`` = ``feeds_entry.id``); ``doc`` is
  ``search_document(title, summary, content)``: the title, then the content (or else the
  summary) with tags replaced by spaces, first 20,000 characters, each run of CJK letters
  replaced by its bigrams and last letter (``reader.search.search_text``), exactly the text
  PostgreSQL indexes. The tokenizer is ``unicode61 remove_diacritics 0``: words split on
  spaces and punctuation, case folded, accents kept (as PostgreSQL's 'simple' configuration).
- Triggers on ``feeds_entry`` (insert, update of title/summary/content, delete) keep it
  current through the SQL function ``reader_search_document``, which ``register_functions``
  defines on every SQLite connection Django opens (a write by another program without the
  function fails rather than leave the index stale).
- ``ensure_index`` runs after every ``migrate`` (``post_migrate``): it creates the table and
  triggers when one is missing and fills the table from ``feeds_entry``. A migration that
  rebuilds ``feeds_entry`` on SQLite drops its triggers; the next ``migrate`` restores them.

SQLite documentation: https://www.sqlite.org/fts5.html (FTS5 query syntax, unicode61).
"""

from __future__ import annotations

import re

from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate

from reader.search import search_text

#: The FTS5 table of entry documents.
FTS_TABLE = "reader_entry_fts"
#: SQL function computing an entry's document (title, summary, content).
DOCUMENT_FUNCTION = "reader_search_document"
#: Characters of the document kept, as PostgreSQL's ``reader_entry_search_text``.
DOCUMENT_MAX_CHARS = 20000

_TAG = re.compile(r"<[^>]*>")

_TRIGGERS = {
    "reader_entry_fts_insert": f"""
        CREATE TRIGGER IF NOT EXISTS reader_entry_fts_insert AFTER INSERT ON feeds_entry BEGIN
          INSERT INTO {FTS_TABLE}(rowid, doc)
          VALUES (new.id, {DOCUMENT_FUNCTION}(new.title, new.summary, new.content));
        END""",
    "reader_entry_fts_update": f"""
        CREATE TRIGGER IF NOT EXISTS reader_entry_fts_update
        AFTER UPDATE OF title, summary, content ON feeds_entry BEGIN
          DELETE FROM {FTS_TABLE} WHERE rowid = old.id;
          INSERT INTO {FTS_TABLE}(rowid, doc)
          VALUES (new.id, {DOCUMENT_FUNCTION}(new.title, new.summary, new.content));
        END""",
    "reader_entry_fts_delete": f"""
        CREATE TRIGGER IF NOT EXISTS reader_entry_fts_delete AFTER DELETE ON feeds_entry BEGIN
          DELETE FROM {FTS_TABLE} WHERE rowid = old.id;
        END""",
}


def search_document(title: str | None, summary: str | None, content: str | None) -> str:
    """The searchable text of an entry, as PostgreSQL's ``reader_entry_search_text`` makes it.

    ``title + " " + (content or summary)`` with every ``<...>`` tag replaced by a space,
    cut to 20,000 characters, CJK runs turned into bigrams (``reader.search.search_text``).
    """
    body = content if content else (summary or "")
    doc = f"{title or ''} {_TAG.sub(' ', body)}"[:DOCUMENT_MAX_CHARS]
    return search_text(doc)


def register_functions(sender=None, connection=None, **kwargs) -> None:
    """``connection_created`` receiver: define ``reader_search_document`` on SQLite connections."""
    if connection is not None and connection.vendor == "sqlite":
        connection.connection.create_function(
            DOCUMENT_FUNCTION, 3, search_document, deterministic=True
        )


def ensure_index(connection) -> bool:
    """Create the FTS5 table and triggers on a SQLite ``connection`` if any is missing.

    When something was missing, the table is refilled from ``feeds_entry`` and True is
    returned; False when all was in place or the database is not SQLite.
    """
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE name IN (%s, %s, %s, %s, 'feeds_entry')",
            [FTS_TABLE, *_TRIGGERS],
        )
        present = {row[0] for row in cursor.fetchall()}
        if "feeds_entry" not in present or present >= {FTS_TABLE, *_TRIGGERS}:
            return False
        cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
        cursor.execute(
            f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
            "doc, tokenize = 'unicode61 remove_diacritics 0')"
        )
        for name, sql in _TRIGGERS.items():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(sql)
        cursor.execute(
            f"INSERT INTO {FTS_TABLE}(rowid, doc) "
            f"SELECT id, {DOCUMENT_FUNCTION}(title, summary, content) FROM feeds_entry"
        )
    return True


def _after_migrate(sender=None, using="default", **kwargs) -> None:
    from django.db import connections

    ensure_index(connections[using])


def connect_receivers(app_config) -> None:
    """Connect ``register_functions`` and the post-migrate ``ensure_index`` (from ``ready``)."""
    connection_created.connect(register_functions, dispatch_uid="reader_search_document")
    post_migrate.connect(_after_migrate, sender=app_config, dispatch_uid="reader_entry_fts")
