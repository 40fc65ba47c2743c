"""The pipeline's speed-ups change nothing that is stored or returned (issue 3, "Performance")."""

from __future__ import annotations

import dataclasses
import io

import feedparser
import feedparser.api
import feedparser.parsers.strict
import pytest

from feeds.pipeline import saxdriver
from feeds.pipeline.parse import parse_feed
from tests.conftest import shared_path


def _feedparser(data: bytes, *, buffered: bool):
    def parse():
        return feedparser.parse(
            io.BytesIO(data),
            sanitize_html=False,
            resolve_relative_uris=False,
            response_headers={"content-type": "application/xml; charset=utf-8"},
        )

    if not buffered:
        return parse()
    with saxdriver.buffered():
        return parse()


def test_buffered_expat_gives_feedparser_the_same_result_on_every_corpus_feed():
    folder = shared_path("corpus", "feeds")
    files = sorted(p for p in folder.iterdir() if p.suffix in (".xml", ".rss", ".atom", ".rdf"))
    assert files
    for path in files:
        data = path.read_bytes()
        stock, buffered = _feedparser(data, buffered=False), _feedparser(data, buffered=True)
        assert buffered.entries == stock.entries, path.name
        assert buffered.feed == stock.feed, path.name
        assert buffered.get("version") == stock.get("version"), path.name
        assert bool(buffered.get("bozo")) == bool(stock.get("bozo")), path.name
        assert str(buffered.get("bozo_exception")) == str(stock.get("bozo_exception")), path.name


def test_text_split_by_references_and_lines_reaches_feedparser_in_one_piece_when_buffered():
    body = "&lt;p&gt;" + "x &amp; y\n" * 500 + "&lt;/p&gt;"
    data = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<item><guid>g</guid><description>{body}</description></item></channel></rss>"
    ).encode()
    calls = {"n": 0}
    original = feedparser.parsers.strict._StrictFeedParser.characters

    def counting(self, text):
        calls["n"] += 1
        return original(self, text)

    feedparser.parsers.strict._StrictFeedParser.characters = counting
    try:
        stock = _feedparser(data, buffered=False)
        stock_calls, calls["n"] = calls["n"], 0
        buffered = _feedparser(data, buffered=True)
    finally:
        feedparser.parsers.strict._StrictFeedParser.characters = original
    assert buffered.entries == stock.entries
    assert buffered.entries[0].summary.startswith("<p>x & y")
    assert calls["n"] < 10 < stock_calls


def test_feedparser_outside_parse_feed_keeps_stock_expat_behaviour():
    assert saxdriver._BUFFER_TEXT.get() is False
    parser = saxdriver.create_parser()
    parser._source = type("S", (), {"getEncoding": lambda self: None})()
    parser.reset()
    assert parser._parser.buffer_text is False


@pytest.mark.parametrize("name", ["rss2-theguardian-world-malformed.xml", "atom-qemu-project.xml"])
def test_parse_feed_result_is_the_same_with_and_without_buffered_text(name, monkeypatch):
    data = shared_path("corpus", "feeds", name).read_bytes()
    fast = parse_feed(data, url="https://example.com/feed")
    # Without our driver in feedparser's list, xml.sax falls back to the stock expat reader.
    monkeypatch.setattr(feedparser.api, "PREFERRED_XML_PARSERS", ["drv_libxml2"])
    slow = parse_feed(data, url="https://example.com/feed")
    assert dataclasses.asdict(fast) == dataclasses.asdict(slow)
