"""Every corpus feed served from loopback goes through feed_refresh with EXPECTED.tsv's counts.

``../shared/corpus/EXPECTED.tsv`` gives, per file, the entry count and how many
entries have a link (titles are checked by the parse tests). Files it marks
bozo with 0 entries are broken documents: a readable parse error, nothing
stored. HTML pages (``html-*``) are pages, not feeds: refreshing one records a
"not a feed" error and stores nothing.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from feeds import scheduling
from feeds.models import Feed
from feeds.services import feed_get_or_create, feed_refresh
from tests.conftest import SHARED, shared_path

pytestmark = [pytest.mark.django_db, pytest.mark.shared]


def _rows() -> list[dict[str, str]]:
    path = SHARED / "corpus" / "EXPECTED.tsv"
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


ROWS = _rows()


@pytest.fixture(autouse=True)
def _no_host_block_leaks():
    yield
    scheduling.host_unblock("http://feeds.example.org/")


def _refresh(feed_server, name: str):
    shared_path("corpus", "feeds", name)
    feed, _ = feed_get_or_create(url=feed_server.url(f"/corpus/{name}"))
    return feed_refresh(feed_id=feed.pk, force=True), feed


@pytest.mark.parametrize(
    "row",
    [r for r in ROWS if not Path(r["file"]).name.startswith("html-")],
    ids=lambda r: r["file"],
)
def test_every_corpus_feed_stores_the_expected_entries(feed_server, row):
    result, feed = _refresh(feed_server, Path(row["file"]).name)

    feed.refresh_from_db()
    if int(row["entries"]) == 0 and row["bozo"] == "1":
        # Broken documents (truncated XML, invalid JSON, RSS-in-JSON): a readable error.
        assert result.outcome == "parse" and feed.last_error.startswith("The feed could not")
        assert feed.entries.count() == 0
        return
    assert result.outcome == "ok", result.error
    assert feed.entries.count() == int(row["entries"])
    assert feed.entries.exclude(url="").count() == int(row["entries_with_link"])
    assert feed.last_status == 200 and feed.error_count == 0


@pytest.mark.parametrize(
    "row", [r for r in ROWS if Path(r["file"]).name.startswith("html-")], ids=lambda r: r["file"]
)
def test_a_corpus_html_page_is_a_readable_not_a_feed_error(feed_server, row):
    result, feed = _refresh(feed_server, Path(row["file"]).name)

    feed.refresh_from_db()
    assert result.outcome == "not_a_feed"
    assert "not a feed" in feed.last_error
    assert feed.entries.count() == 0


def test_a_second_refresh_of_the_whole_corpus_is_all_304(feed_server):
    names = [
        Path(r["file"]).name
        for r in ROWS
        if not Path(r["file"]).name.startswith("html-") and int(r["entries"]) > 0
    ]
    if not names:
        pytest.skip("../shared/corpus is absent")
    ids = [feed_get_or_create(url=feed_server.url(f"/corpus/{n}"))[0].pk for n in names]
    first = [feed_refresh(feed_id=i, force=True).outcome for i in ids]
    counts = dict(Feed.objects.values_list("pk", "error_count"))

    second = [feed_refresh(feed_id=i, force=True).outcome for i in ids]

    assert set(first) == {"ok"}
    assert set(second) == {"not_modified"}
    assert dict(Feed.objects.values_list("pk", "error_count")) == counts
