"""Every real-world feed of ../shared/corpus/feeds parsed and stored, checked
against ../shared/corpus/EXPECTED.tsv.

Where EXPECTED.tsv and the raw file disagree, the raw file wins (``RAW_WINS``
below says why for each one): EXPECTED's titles come from feedparser with its
own sanitizer on, while our titles follow policy 3 of ../shared/cases/README.md
(plain text, type="html" reduced to its text, entities decoded exactly once,
whitespace collapsed).
"""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from feeds.models import Entry, Feed
from feeds.pipeline.parse import NotAFeedError, ParseError, parse_feed
from feeds.pipeline.store import store_parsed
from tests.conftest import SHARED, shared_path

NOW = dt.datetime(2026, 3, 5, 12, 0, tzinfo=dt.UTC)

# file -> {column: value as the raw file says it, per policy}
RAW_WINS = {
    # <title type="html">...&lt;b&gt;Slack&lt;/b&gt;...: an HTML title is reduced to its text.
    "feeds/atom-google-alerts.xml": {
        "first_entry_title": "Report offers Prediction of Automotive Slack Market by Top key "
        "players like Haldex, Meritor, Bendix ..."
    },
    # <title type="html">... &amp;#8211; ...: XML-decoded to "&#8211;", which as HTML is an en dash.
    "feeds/atom-hnapp-hacker-news.xml": {
        "feed_title": "type:story score>36 -bitcoin -ethereum -cryptocurrency -blockchain "
        "-snowden -hiring -ask – hnapp",
        "first_entry_title": "37 – Spectre Mitigations in Microsoft's C/C++ Compiler",
    },
    # Two spaces in the raw channel title; titles have their whitespace collapsed.
    "feeds/rss2-bbc-urdu-rtl.xml": {
        "feed_title": "BBC News اردو - پاکستان کے لیے امریکی امداد کی بہار و خزاں"
    },
}
# Documents that must be refused, with the error class (EXPECTED lists 0 entries for them).
REFUSED = {
    # Truncated by a server error before the first <item>: malformed and nothing to store.
    "feeds/rss2-reuters-truncated-server-error.xml": ParseError,
    "feeds/json-feed-1.0-truncated-invalid.json": ParseError,
    "feeds/json-rss-in-json-scriptingnews.json": ParseError,
}


def expected_rows() -> list[dict[str, str]]:
    path = SHARED / "corpus" / "EXPECTED.tsv"
    if not path.exists():
        return [{"file": "(../shared absent)"}]
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@pytest.mark.django_db
@pytest.mark.parametrize("row", expected_rows(), ids=lambda row: row["file"].split("/")[-1])
def test_each_corpus_feed_parses_and_stores_as_expected(row):
    path = shared_path("corpus", row["file"])
    expected = {**row, **RAW_WINS.get(row["file"], {})}
    url = f"https://corpus.example.org/{path.name}"
    data = path.read_bytes()
    if row["file"].startswith("feeds/html-"):
        with pytest.raises(NotAFeedError):
            parse_feed(data, url=url, content_type="text/html; charset=utf-8")
        return
    if row["file"] in REFUSED:
        with pytest.raises(REFUSED[row["file"]]) as error:
            parse_feed(data, url=url)
        assert str(error.value)  # a readable message
        return

    parsed = parse_feed(data, url=url)
    feed = Feed.objects.create(url=url)
    result = store_parsed(feed=feed, parsed=parsed, now=NOW)

    count = int(expected["entries"])
    assert parsed.title == expected["feed_title"]
    assert len(parsed.entries) == count
    assert (result.new, result.skipped) == (count, 0)
    assert Entry.objects.filter(feed=feed).count() == count
    assert sum(1 for e in parsed.entries if e.url) == int(expected["entries_with_link"])
    dated = sum(1 for e in parsed.entries if e.published or e.updated)
    assert dated == int(expected["entries_with_date"])
    if count:
        first = Entry.objects.filter(feed=feed).order_by("id").first()
        assert first.title == expected["first_entry_title"]
        feed.refresh_from_db()
        assert feed.title == expected["feed_title"]
    # A second store of the same document changes nothing.
    again = store_parsed(feed=feed, parsed=parsed, now=NOW)
    assert (again.new, again.updated, again.unchanged) == (0, 0, count)


def test_every_corpus_feed_file_is_listed_in_expected():
    listed = {row["file"] for row in expected_rows()}
    on_disk = {f"feeds/{p.name}" for p in shared_path("corpus", "feeds").iterdir()}
    assert on_disk == listed
    assert len([f for f in on_disk if not f.startswith("feeds/html-")]) == 71
