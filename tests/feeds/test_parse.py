"""Parse: cases P06, P08-P11, P22, P28 (parse part) and the normalized shape."""

from __future__ import annotations

import datetime as dt
import time
import tracemalloc
from pathlib import Path

import pytest

from feeds.pipeline.parse import NotAFeedError, ParseError, parse_date, parse_feed
from tests.conftest import shared_path

UTC = dt.UTC


def case_feed(case: str, name: str, *, url="https://feeds.example.org/feed", ctype=""):
    data = shared_path("cases", case, name).read_bytes()
    return parse_feed(data, url=url, content_type=ctype)


# --- P06 ---------------------------------------------------------------------
def test_date_spellings_and_zones_are_read_as_utc_or_not_at_all():
    """Case P06: date formats and zones."""
    feed = case_feed("P06-date-formats-and-zones", "feed.xml", ctype="application/rss+xml")
    published = {e.guid: e.published for e in feed.entries}
    assert published == {
        "tz-est": dt.datetime(2013, 10, 8, 23, 30, tzinfo=UTC),
        "tz-pdt": dt.datetime(2013, 10, 9, 14, 5, tzinfo=UTC),
        "tz-z": dt.datetime(2014, 6, 19, 17, 0, tzinfo=UTC),
        "tz-ut": dt.datetime(2014, 6, 19, 17, 0, tzinfo=UTC),
        "tz-ist-numeric": dt.datetime(2014, 6, 20, 3, 45, tzinfo=UTC),
        "slash-format": dt.datetime(2016, 6, 29, 15, 7, 41, tzinfo=UTC),
        "ctime-style": dt.datetime(2012, 7, 14, 22, 15, tzinfo=UTC),
        "iso-offset": dt.datetime(2023, 12, 31, 22, 30, tzinfo=UTC),
        "garbage": None,  # the store uses the first-seen time
    }
    assert all(e.updated is None for e in feed.entries)  # pubDate is not an update time


def test_zone_less_dates_are_utc_and_nonsense_is_none():
    assert parse_date("2026-03-01T10:00:00") == dt.datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert parse_date("2026-03-01") == dt.datetime(2026, 3, 1, tzinfo=UTC)
    assert parse_date("Sat, 28 Feb 2026 09:00") == dt.datetime(2026, 2, 28, 9, tzinfo=UTC)
    assert parse_date("0000-00-00 00:00:00") is None
    assert parse_date("") is None
    assert parse_date("tomorrow-ish") is None


# --- P08 ---------------------------------------------------------------------
def test_the_http_charset_wins_over_a_wrong_declaration():
    """Case P08: charset detection."""
    feed = case_feed(
        "P08-charset-detection", "gbk-body-utf8-decl.xml", ctype="application/xml; charset=gbk"
    )
    assert feed.title == "今日新闻"
    (entry,) = feed.entries
    assert entry.title == "城市图书馆延长开放时间"
    assert entry.content_html == "周末开放到晚上九点。"


def test_a_legacy_charset_declared_only_in_xml_is_honoured():
    """Case P08: charset detection."""
    feed = case_feed("P08-charset-detection", "cp1251-decl-only.xml", ctype="application/rss+xml")
    assert feed.title == "Новости дня"
    assert feed.entries[0].title == "Открыт новый мост через реку"
    for text in (feed.title, feed.entries[0].title, feed.entries[0].content_html):
        assert "\ufffd" not in text and "Ð" not in text and "Ã" not in text


def _rss(title: str, encoding: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel>'
        f"<title>{title}</title><item><title>{title}</title><guid>1</guid></item>"
        "</channel></rss>"
    ).encode(encoding)


@pytest.mark.parametrize(
    ("encoding", "title"),
    [
        ("gb2312", "投资资讯网"),
        ("Shift_JIS", "日本語のフィード"),
        ("windows-1252", "Café “quoted” – dash"),
        ("windows-1251", "Новости"),
        ("utf-16", "Ünïcödé"),
    ],
)
def test_legacy_and_utf16_encodings_decode_correctly(encoding, title):
    feed = parse_feed(_rss(title, encoding), url="https://e.org/f", content_type="text/xml")
    assert feed.title == title
    assert feed.entries[0].title == title


def test_iso_8859_1_declared_feeds_read_windows_1252_quotes():
    data = _rss("It’s “here”", "windows-1252").replace(b"windows-1252", b"ISO-8859-1")
    assert parse_feed(data, url="https://e.org/f").title == "It’s “here”"


def test_utf8_bytes_served_with_a_latin1_default_charset_stay_utf8():
    data = _rss("Café", "utf-8")
    feed = parse_feed(data, url="https://e.org/f", content_type="text/xml; charset=iso-8859-1")
    assert feed.title == "Café"


def test_the_corpus_gb2312_feed_reads_as_chinese():
    path = shared_path("corpus", "feeds", "rss2-gb2312-chinese-investment-news.xml")
    feed = parse_feed(path.read_bytes(), url="https://e.org/f")
    assert feed.title == "投资资讯网交易在线--流通纪念币最新20篇论坛主题-全文"
    assert feed.entries[0].title == "建国35周年纪念，华表，和平鸽"
    assert all("\ufffd" not in e.title for e in feed.entries)


# --- P09 ---------------------------------------------------------------------
@pytest.mark.parametrize("name", ["with-bom.xml", "leading-newlines.xml"])
def test_a_bom_or_blank_lines_before_the_declaration_are_accepted(name):
    """Case P09: BOM and leading whitespace."""
    feed = case_feed("P09-bom-and-leading-whitespace", name, ctype="application/rss+xml")
    assert feed.bozo_message == ""
    assert len(feed.entries) == 2
    assert feed.entries[0].title == "Café opening"


# --- P10 / P11 ---------------------------------------------------------------
def test_rss_titles_escaped_twice_are_decoded_exactly_once():
    """Case P10: double escaped RSS titles."""
    feed = case_feed("P10-double-escaped-rss-titles", "feed.xml")
    assert feed.title == "Escapes & Co"
    assert {e.guid: e.title for e in feed.entries} == {
        "esc-1": "Tom & Jerry return",
        "esc-2": "Don't panic: a towel guide",
        "esc-3": "AT&T quarterly numbers",
        "esc-4": "5 < 6 and other truths",
        "esc-5": '"Quoted" headline',
    }


def test_atom_title_types_are_honoured():
    """Case P11: Atom title types."""
    feed = case_feed("P11-atom-title-types", "feed.xml")
    assert feed.title == "Tracker & Reviews"
    assert [e.title for e in feed.entries] == [
        "Issue 88: <col> not allowed inside <colgroup>",
        "Blue Lantern reviewed",
        "<3 small tools",
        "Release 2.0 notes",
        "Default type: a &lt;b&gt; tag",
    ]


# --- P22 ---------------------------------------------------------------------
@pytest.mark.parametrize("ctype", ["application/feed+json", "application/json", ""])
def test_json_feed_quirks_are_normalized(ctype):
    """Case P22: JSON feed edge cases."""
    feed = case_feed(
        "P22-json-feed-edge-cases",
        "feed.json",
        url="https://links.example.com/feed.json",
        ctype=ctype,
    )
    assert feed.title == "Link Log"
    assert len(feed.entries) == 3
    kites, tide, third = feed.entries
    assert kites.guid == "42"
    assert kites.title == "Kites over the bay"
    assert kites.published == dt.datetime(2026, 3, 3, 13, 30, tzinfo=UTC)
    assert kites.author == "R. Quill"
    assert kites.base_url == "https://links.example.com/2026/03/kites/"
    assert kites.thumbnail_url == "https://links.example.com/2026/03/kites/kite.jpg"
    assert tide.title == ""
    assert tide.content_is_text is True
    assert tide.content_html == "Short note without a title. <b>not bold</b>"
    assert tide.url == "https://links.example.com/2026/03/tide/"
    assert tide.published == dt.datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    assert tide.updated == dt.datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    assert third.guid == "https://links.example.com/2026/03/kites/"
    assert third.guid != kites.guid


def test_json_feed_ids_compare_as_strings():
    doc = b'{"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": [{"id": 42}]}'
    numeric = parse_feed(doc, url="https://e.org/f.json").entries[0]
    text = parse_feed(doc.replace(b"42", b'"42"'), url="https://e.org/f.json").entries[0]
    assert numeric.guid == text.guid == "42"


def test_invalid_json_is_a_readable_parse_error():
    with pytest.raises(ParseError, match="invalid JSON"):
        parse_feed(
            b'{"version": "https://jsonfeed.org/version/1.1", "items": [', url="https://e.org/"
        )


def test_json_that_is_not_a_json_feed_is_refused():
    with pytest.raises(ParseError, match="not a JSON Feed"):
        parse_feed(b'{"rss": {"channel": {}}}', url="https://e.org/")


# --- P28 ---------------------------------------------------------------------
def test_a_local_file_entity_is_never_expanded():
    """Case P28: XML entity attacks."""
    feed = case_feed("P28-xml-entity-attacks", "xxe-local-file.xml")
    texts = [feed.title, feed.description, feed.bozo_message]
    for entry in feed.entries:
        texts += [entry.title, entry.content_html, entry.summary_html]
    assert not any("root:" in t for t in texts)
    hostname = Path("/etc/hostname")
    hostname = hostname.read_text().strip() if hostname.exists() else ""
    if hostname:
        assert not any(hostname in t for t in texts)


def test_an_external_dtd_is_not_fetched_and_the_feed_parses():
    """Case P28: XML entity attacks."""
    feed = case_feed("P28-xml-entity-attacks", "xxe-external-dtd.xml")
    assert [e.title for e in feed.entries] == ["Bread"]


def _bounded(data: bytes):
    tracemalloc.start()
    started = time.perf_counter()
    try:
        try:
            feed = parse_feed(data, url="https://laugh.example.org/feed")
        except ParseError:
            feed = None
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return feed, elapsed, peak


def test_billion_laughs_is_not_expanded_and_stays_bounded():
    """Case P28: XML entity attacks."""
    data = shared_path("cases", "P28-xml-entity-attacks", "billion-laughs.xml").read_bytes()
    feed, elapsed, peak = _bounded(data)
    assert elapsed < 5
    assert peak < 50 * 1024 * 1024
    if feed is not None:
        for text in [feed.title, feed.description, *(e.title for e in feed.entries)]:
            assert "lollollol" not in text and len(text) < 1000


def test_entity_declarations_on_the_doctype_line_are_neutralized_too():
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10 if i else "lol"}">' for i in range(10))
    data = (
        f'<?xml version="1.0"?><!DOCTYPE rss [{laughs}<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<rss version="2.0"><channel><title>&l9;&x;</title>'
        "<item><title>&l9;</title><guid>1</guid></item></channel></rss>"
    ).encode()
    feed, elapsed, peak = _bounded(data)
    assert elapsed < 5 and peak < 50 * 1024 * 1024
    if feed is not None:
        assert "lollol" not in feed.title and "root:" not in feed.title


def test_simple_internal_entities_still_work():
    data = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY nbsp "&#160;"> <!ENTITY co "Acme">]>'
        b'<rss version="2.0"><channel><title>A&nbsp;&co;</title>'
        b"<item><title>x</title><guid>1</guid></item></channel></rss>"
    )
    assert parse_feed(data, url="https://e.org/f").title == "A Acme"  # nbsp collapsed in titles


# --- not a feed, bozo, empty ----------------------------------------------------
def test_an_html_page_is_not_a_feed():
    html = b"<!DOCTYPE html><html><head><title>Blog</title></head><body><p>hi</p></body></html>"
    with pytest.raises(NotAFeedError, match="The address returned an HTML page, not a feed"):
        parse_feed(html, url="https://e.org/", content_type="text/html")


def test_a_feed_served_as_text_html_is_still_a_feed():
    data = _rss("Served wrong", "utf-8")
    assert parse_feed(data, url="https://e.org/", content_type="text/html").title == "Served wrong"


def test_a_malformed_feed_with_entries_reports_a_warning():
    data = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>T &bogus;</title>'
        b"<item><title>One</title><guid>1</guid></item></channel></rss>"
    )
    feed = parse_feed(data, url="https://e.org/f")
    assert [e.title for e in feed.entries] == ["One"]
    assert "not well-formed" in feed.bozo_message


def test_a_malformed_feed_without_entries_raises_a_readable_error():
    with pytest.raises(ParseError, match="not well-formed XML"):
        parse_feed(
            b'<?xml version="1.0"?><rss version="2.0"><channel><title>T', url="https://e.org/"
        )


def test_an_empty_body_raises():
    with pytest.raises(ParseError, match="empty"):
        parse_feed(b"  \n", url="https://e.org/")


def test_a_well_formed_feed_without_items_has_no_entries():
    data = b'<rss version="2.0"><channel><title>Quiet</title></channel></rss>'
    feed = parse_feed(data, url="https://e.org/")
    assert (feed.title, feed.entries, feed.bozo_message) == ("Quiet", [], "")


# --- the normalized shape ------------------------------------------------------
PODCAST = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"
     xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
     xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Cast</title><link>https://cast.example.org/</link><language>en-GB</language>
<description>About &lt;b&gt;us&lt;/b&gt;</description><ttl>90</ttl>
<atom:link rel="hub" href="https://hub.example.org/"/>
<atom:link rel="self" href="https://cast.example.org/feed.xml"/>
<item><title>Ep 1</title><link>https://cast.example.org/1?utm_source=rss</link><guid>ep1</guid>
<description>Short</description>
<content:encoded><![CDATA[<p>Long <img src="/c.jpg"></p>]]></content:encoded>
<enclosure url="/audio/1.mp3" type="audio/mpeg" length="123"/>
<media:thumbnail url="https://cdn.example.org/t.jpg"/>
<category>News</category><category>News</category><category>Tech</category>
<pubDate>Mon, 02 Mar 2026 10:00:00 +0000</pubDate></item>
<item><title>Ep 2</title><link>https://cast.example.org/2</link><guid>ep2</guid>
<itunes:image href="https://cdn.example.org/ep2.jpg"/><description>x</description></item>
</channel></rss>"""


def test_rss_fields_are_normalized():
    feed = parse_feed(PODCAST, url="https://cast.example.org/feed.xml")
    assert (feed.title, feed.site_url, feed.language) == (
        "Cast",
        "https://cast.example.org/",
        "en-GB",
    )
    assert feed.description == "About us"
    assert feed.ttl_seconds == 90 * 60
    assert feed.hub_url == "https://hub.example.org/"
    assert feed.self_url == "https://cast.example.org/feed.xml"
    first, second = feed.entries
    assert first.url == "https://cast.example.org/1"
    assert first.content_html == '<p>Long <img src="/c.jpg"></p>'
    assert first.summary_html == "Short"
    assert first.base_url == "https://cast.example.org/1?utm_source=rss"
    assert first.enclosures == [
        {"url": "https://cast.example.org/audio/1.mp3", "type": "audio/mpeg", "length": 123}
    ]
    assert first.thumbnail_url == "https://cdn.example.org/t.jpg"
    assert first.categories == ["News", "Tech"]
    assert first.published == dt.datetime(2026, 3, 2, 10, tzinfo=UTC)
    assert second.thumbnail_url == "https://cdn.example.org/ep2.jpg"
    assert second.published is None


def test_sy_update_period_becomes_ttl_seconds():
    data = b"""<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
      xmlns="http://purl.org/rss/1.0/" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">
      <channel rdf:about="https://e.org/"><title>R</title><link>https://e.org/</link>
      <sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>4</sy:updateFrequency></channel>
      <item rdf:about="https://e.org/1"><title>One</title><link>https://e.org/1</link></item>
    </rdf:RDF>"""
    feed = parse_feed(data, url="https://e.org/rss")
    assert feed.ttl_seconds == 900
    assert feed.entries[0].guid == "https://e.org/1"


def test_permalink_guids_stay_as_published():
    data = b'<rss version="2.0"><channel><title>T</title><item><guid>item-7</guid></item>'
    data += b"</channel></rss>"
    assert parse_feed(data, url="https://e.org/f").entries[0].guid == "item-7"


def test_atom_content_uses_the_feed_url_as_base_without_xml_base():
    data = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
      <entry><id>1</id><title>x</title><link href="https://e.org/posts/1"/>
      <content type="html">&lt;img src="i.png"&gt;</content></entry></feed>"""
    (entry,) = parse_feed(data, url="https://e.org/feeds/atom.xml").entries
    assert entry.base_url == "https://e.org/feeds/atom.xml"
    assert entry.thumbnail_url == "https://e.org/feeds/i.png"
