"""Search: full-text with ranking, phrases and exclusions; Chinese words found inside sentences."""

from __future__ import annotations

import re
from datetime import timedelta

import feedparser
import pytest
from django.utils import timezone

from reader import selectors
from reader.errors import InvalidInput
from tests.conftest import requires_postgres, shared_path
from tests.reader.factories import EntryFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


def titles(user, q, **kwargs) -> list[str]:
    return [e.title for e in selectors.entry_search(user=user, q=q, **kwargs).entries]


@pytest.fixture
def articles(alice):
    sub = SubscriptionFactory(user=alice)
    now = timezone.now()
    rows = [
        ("Fox news", "<p>The quick brown fox jumps. A fox again, fox!</p>", 3),
        ("Garden notes", "<p>A brown fox visited the garden, the fox left.</p>", 2),
        ("Jumping", "<p>Brown quick fox is not the phrase here.</p>", 1),
        ("Dogs only", "<p>Lazy dog sleeps <a href='https://fox.example.org'>link</a>.</p>", 0),
    ]
    for title, content, age in rows:
        EntryFactory(
            feed=sub.feed, title=title, content=content, published_at=now - timedelta(days=age)
        )
    return sub


@requires_postgres
def test_results_are_ranked_best_match_first(alice, articles):
    assert titles(alice, "fox") == ["Fox news", "Garden notes", "Jumping"]


@requires_postgres
def test_words_match_title_and_content_but_not_markup(alice, articles):
    assert sorted(titles(alice, "garden")) == ["Garden notes"]
    assert sorted(titles(alice, "FOX brown")) == ["Fox news", "Garden notes", "Jumping"]
    assert "Dogs only" not in titles(alice, "fox")  # the word sits in an href only


@requires_postgres
def test_a_quoted_phrase_matches_the_words_in_order(alice, articles):
    assert sorted(titles(alice, '"quick brown fox"')) == ["Fox news"]


@requires_postgres
def test_a_minus_word_excludes(alice, articles):
    assert sorted(titles(alice, "fox -garden")) == ["Fox news", "Jumping"]
    assert sorted(titles(alice, 'fox -"brown quick"')) == ["Fox news", "Garden notes"]


@requires_postgres
def test_search_is_a_filter_of_entry_list_too(alice, articles):
    page = selectors.entry_list(user=alice, filters={"q": "fox", "sort": "oldest"})
    assert [e.title for e in page.entries] == ["Fox news", "Garden notes", "Jumping"]


def test_words_and_exclusions_work_on_every_database(alice):
    sub = SubscriptionFactory(user=alice)
    for title, content in (("Alpha", "<p>kettle and teapot</p>"), ("Beta", "<p>teapot only</p>")):
        EntryFactory(feed=sub.feed, title=title, content=content)
    assert sorted(titles(alice, "TEAPOT")) == ["Alpha", "Beta"]
    assert titles(alice, "teapot -kettle") == ["Beta"]
    assert titles(alice, "alpha kettle") == ["Alpha"]


def test_an_empty_search_is_invalid(alice):
    with pytest.raises(InvalidInput):
        selectors.entry_search(user=alice, q="   ")


def _chinese_feed(alice):
    path = shared_path("corpus", "feeds", "rss2-gb2312-chinese-investment-news.xml")
    parsed = feedparser.parse(path.read_bytes())
    sub = SubscriptionFactory(user=alice)
    docs = {}
    for item in parsed.entries:
        entry = EntryFactory(
            feed=sub.feed,
            title=item.title,
            content=item.get("summary", ""),
            published_at=timezone.now(),
        )
        docs[entry.pk] = item.title + " " + re.sub(r"<[^>]*>", " ", item.get("summary", ""))
    return docs


@pytest.mark.parametrize("word", ["和平鸽", "原卷", "包邮", "泰山"])
def test_a_chinese_word_inside_a_sentence_is_found(alice, word):
    docs = _chinese_feed(alice)
    expected = {pk for pk, text in docs.items() if word in text}
    assert expected, "the corpus feed should contain the word"
    found = selectors.entry_search(user=alice, q=word, limit=100).entries
    assert {e.pk for e in found} == expected


def test_a_chinese_word_can_be_excluded_and_mixed_with_others(alice):
    docs = _chinese_feed(alice)
    expected = {pk for pk, t in docs.items() if "原卷" in t and "南京" not in t}
    found = selectors.entry_search(user=alice, q="原卷 -南京", limit=100).entries
    assert {e.pk for e in found} == expected
    assert len(expected) < len([t for t in docs.values() if "原卷" in t])


@requires_postgres
@pytest.mark.parametrize("q", ["包邮", "fox", '"quick brown" -garden', "猫"])
def test_searches_can_use_the_text_index(alice, articles, q):
    from django.db import connection

    from reader import search

    cond, params = search.condition_sql(q, vendor="postgresql")
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute(f"EXPLAIN SELECT e.id FROM feeds_entry e WHERE {cond}", params)  # noqa: S608
        plan = "\n".join(row[0] for row in cur.fetchall())
    assert "reader_entry_search_idx" in plan, plan


@requires_postgres
@pytest.mark.parametrize(
    "text",
    [
        "Plain words only",
        "iPhone手机很好, 北京。上海 e-mail 서울에서 人々 カタカナ・テスト 「包邮」",
        "猫",
        "a 一 b 二三 c",
    ],
)
def test_the_stored_document_splits_cjk_runs_like_the_python_twin(text):
    from django.db import connection

    from reader import search

    with connection.cursor() as cur:
        cur.execute("SELECT reader_entry_search_text(%s, '', '')", [text])
        assert cur.fetchone()[0] == search.search_text(text + " ")


def _entries(alice, texts):
    sub = SubscriptionFactory(user=alice)
    return {
        text: EntryFactory(feed=sub.feed, title=f"t{n}", content=f"<p>{text}</p>").pk
        for n, text in enumerate(texts)
    }


def _found(alice, q):
    return {e.pk for e in selectors.entry_search(user=alice, q=q, limit=100).entries}


@requires_postgres
def test_cjk_words_of_any_length_and_script_are_found_inside_sentences(alice):
    ids = _entries(
        alice,
        [
            "今天我们去北京旅游。",
            "東京の猫が好きです",
            "서울에서 만나요",
            "北京，京都",  # 北京 and 京都 in two runs: no "北京都"
            "买了一只黑猫iPhone",
        ],
    )
    assert _found(alice, "北京") == {ids["今天我们去北京旅游。"], ids["北京，京都"]}
    assert _found(alice, "京旅游") == {ids["今天我们去北京旅游。"]}
    assert _found(alice, "北京都") == set()
    assert _found(alice, "猫") == {ids["東京の猫が好きです"], ids["买了一只黑猫iPhone"]}
    assert _found(alice, "서울") == {ids["서울에서 만나요"]}
    assert _found(alice, "猫iphone") == {ids["买了一只黑猫iPhone"]}
    # Punctuation between phrase words is ignored, as for other languages.
    assert _found(alice, '"北京 京都"') == {ids["北京，京都"]}
    # Chinese is written without spaces: "北京 旅游" is 北京 followed by 旅游.
    assert _found(alice, '"北京 旅游"') == {ids["今天我们去北京旅游。"]}
    assert _found(alice, '"旅游 北京"') == set()
    assert _found(alice, "北京 -京都") == {ids["今天我们去北京旅游。"]}


@requires_postgres
def test_cjk_results_are_ranked_too(alice):
    sub = SubscriptionFactory(user=alice)
    now = timezone.now()
    EntryFactory(feed=sub.feed, title="一次", content="<p>包邮</p>", published_at=now)
    EntryFactory(
        feed=sub.feed,
        title="三次",
        content="<p>包邮，包邮，包邮</p>",
        published_at=now - timedelta(days=1),
    )
    assert titles(alice, "包邮") == ["三次", "一次"]
