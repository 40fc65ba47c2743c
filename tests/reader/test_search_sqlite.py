"""Search on SQLite, the embedded default: the FTS5 index matches as PostgreSQL does.

Words are whole words in the text (not the HTML), phrases run across tags, ``OR`` joins
neighbours, ``-word`` excludes, Chinese words are found inside sentences, and the index
follows updates and deletes. The cases run when the suite runs on SQLite; on another
database one test runs this file again in a subprocess with ``TIDINGS_TEST_BACKEND=sqlite``.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection

from reader import selectors
from reader.search_index_sqlite import FTS_TABLE, ensure_index
from tests.procs import pytest_child
from tests.reader.factories import EntryFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

on_sqlite = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="SQLite cases (run in a subprocess with TIDINGS_TEST_BACKEND=sqlite otherwise)",
)


def _entries(user, rows):
    sub = SubscriptionFactory(user=user)
    return {
        title: EntryFactory(feed=sub.feed, title=title, content=content).pk
        for title, content in rows
    }


def _found(user, q):
    return {e.title for e in selectors.entry_search(user=user, q=q, limit=100).entries}


@pytest.fixture
def articles(alice):
    return _entries(
        alice,
        [
            ("Fox news", "<p>The <b>quick</b> brown fox jumps. Foxes again!</p>"),
            ("Garden notes", "<p>A brown fox visited the garden.</p>"),
            ("Kettle", "<p>kettle and teapot</p>"),
            ("Dogs only", "<p>Lazy dog <a href='https://fox.example.org'>link</a>.</p>"),
        ],
    )


@on_sqlite
def test_a_phrase_matches_across_tags_and_markup_is_not_text(alice, articles):
    assert _found(alice, '"the quick brown fox"') == {"Fox news"}
    assert _found(alice, '"quick fox"') == set()
    assert _found(alice, "fox") == {"Fox news", "Garden notes"}  # not the href of Dogs only
    assert _found(alice, "b") == set()  # the tag's name is not a word of the text


@on_sqlite
def test_words_are_whole_and_case_insensitive(alice, articles):
    assert _found(alice, "FOX Brown") == {"Fox news", "Garden notes"}
    assert _found(alice, "foxes") == {"Fox news"}
    assert _found(alice, "teapo") == set()


@on_sqlite
def test_or_joins_neighbours_before_the_other_words(alice, articles):
    assert _found(alice, "teapot OR garden") == {"Kettle", "Garden notes"}
    assert _found(alice, "teapot OR garden brown") == {"Garden notes"}
    assert _found(alice, '"quick brown" OR kettle') == {"Fox news", "Kettle"}


@on_sqlite
def test_minus_excludes_words_and_phrases(alice, articles):
    assert _found(alice, "fox -garden") == {"Fox news"}
    assert _found(alice, 'brown -"quick brown"') == {"Garden notes"}
    assert _found(alice, "-fox") == {"Kettle", "Dogs only"}


@on_sqlite
def test_chinese_words_are_found_inside_sentences(alice):
    ids = _entries(
        alice,
        [
            ("a", "今天我们去北京旅游。"),
            ("b", "東京の猫が好きです"),
            ("c", "서울에서 만나요"),
            ("d", "北京，京都"),
            ("e", "买了一只黑猫iPhone"),
        ],
    )
    assert set(ids) == {"a", "b", "c", "d", "e"}
    assert _found(alice, "北京") == {"a", "d"}
    assert _found(alice, "京旅游") == {"a"}
    assert _found(alice, "北京都") == set()
    assert _found(alice, "猫") == {"b", "e"}
    assert _found(alice, "서울") == {"c"}
    assert _found(alice, "猫iphone") == {"e"}
    assert _found(alice, '"北京 京都"') == {"d"}
    assert _found(alice, '"北京 旅游"') == {"a"}
    assert _found(alice, '"旅游 北京"') == set()
    assert _found(alice, "北京 -京都") == {"a"}
    assert _found(alice, "京都 OR 旅游") == {"a", "d"}


@on_sqlite
def test_the_index_follows_updates_and_deletes(alice):
    from feeds.models import Entry

    ids = _entries(alice, [("One", "<p>walrus</p>"), ("Two", "<p>narwhal</p>")])
    Entry.objects.filter(pk=ids["One"]).update(content="<p>beluga</p>")
    assert _found(alice, "walrus") == set()
    assert _found(alice, "beluga") == {"One"}
    Entry.objects.filter(pk=ids["Two"]).delete()
    assert _found(alice, "narwhal") == set()


@on_sqlite
def test_a_lost_index_is_rebuilt_after_migrate(alice):
    _entries(alice, [("Kept", "<p>okapi</p>")])
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER reader_entry_fts_insert")
        cursor.execute(f"DELETE FROM {FTS_TABLE}")  # noqa: S608
    assert ensure_index(connection) is True
    assert ensure_index(connection) is False
    assert _found(alice, "okapi") == {"Kept"}


@pytest.mark.slow
@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3",
    reason="the cases above run directly on SQLite",
)
def test_the_cases_pass_in_a_run_forced_onto_sqlite():
    done = pytest_child(
        __file__, env={"TIDINGS_TEST_BACKEND": "sqlite"}, deselect="forced_onto_sqlite"
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "7 passed" in done.stdout, done.stdout[-3000:]
