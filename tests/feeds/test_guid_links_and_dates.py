"""A guid is a link only when it is one; two-digit years are read as RFC 5322 says.

RSS 2.0 ``guid`` (``isPermaLink`` defaults to true) stands for the item's link only
when it is an absolute http(s) URL: a numeric guid (``1568222173893``) is never
resolved against the feed URL. RFC 5322 section 4.3: a two-digit year 00-49 is
20xx, 50-99 is 19xx; a parse is kept whenever it is consistent with the text.
"""

from __future__ import annotations

import datetime as dt

import pytest

from feeds.pipeline.identity import guid_link
from feeds.pipeline.parse import parse_date, parse_feed
from feeds.services import feed_get_or_create
from feeds.tasks import refresh_feed

UTC = dt.UTC
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}


def _items(*items: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        f"<link>https://w.example.org/</link>{''.join(items)}</channel></rss>"
    ).encode()


def _links(data: bytes) -> list[str]:
    return [e.url for e in parse_feed(data, url="https://w.example.org/feed/rss.xml").entries]


# --- guid -> link ----------------------------------------------------------------------------


def test_a_numeric_guid_never_becomes_a_link():
    data = _items("<item><title>A</title><guid>1568222173893</guid></item>")
    assert _links(data) == [""]
    assert parse_feed(data, url="https://w.example.org/f").entries[0].guid == "1568222173893"


@pytest.mark.parametrize(
    "guid",
    ["item-7", "/posts/7", "tag:w.example.org,2024:7", "urn:uuid:1234", "ftp://w.example.org/7"],
)
def test_a_guid_that_is_not_an_absolute_http_url_never_becomes_a_link(guid):
    assert _links(_items(f"<item><title>A</title><guid>{guid}</guid></item>")) == [""]


def test_an_absolute_http_guid_is_the_link_unless_it_is_not_a_permalink():
    permalink = (
        '<item><title>A</title><guid isPermaLink="true">https://w.example.org/a</guid></item>'
    )
    default = "<item><title>B</title><guid>http://w.example.org/b</guid></item>"
    not_permalink = (
        '<item><title>C</title><guid isPermaLink="false">https://w.example.org/c</guid></item>'
    )
    assert _links(_items(permalink, default, not_permalink)) == [
        "https://w.example.org/a",
        "http://w.example.org/b",
        "",
    ]


def test_an_items_own_link_wins_over_its_guid_before_or_after_it():
    before = "<item><title>A</title><guid>42</guid><link>https://w.example.org/a</link></item>"
    after = "<item><title>B</title><link>https://w.example.org/b</link><guid>43</guid></item>"
    assert _links(_items(before, after)) == ["https://w.example.org/a", "https://w.example.org/b"]


def test_guid_link_keeps_only_absolute_http_urls_with_a_host():
    assert guid_link(" https://w.example.org/x ") == "https://w.example.org/x"
    assert guid_link("HTTP://W.example.org/x") == "HTTP://W.example.org/x"
    assert guid_link("https://w.example.org/x", is_permalink=False) == ""
    for value in (
        "",
        "1568222173893",
        "http://",
        "https:///path",
        "//w.example.org/x",
        "mailto:a@b",
    ):
        assert guid_link(value) == "", value


# --- Two-digit years -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Tue, 10 Jun 03 09:41:01 GMT", dt.datetime(2003, 6, 10, 9, 41, 1, tzinfo=UTC)),
        ("10 Jun 03 09:41 +0200", dt.datetime(2003, 6, 10, 7, 41, tzinfo=UTC)),
        ("Thu, 01 Jan 49 00:00:00 GMT", dt.datetime(2049, 1, 1, tzinfo=UTC)),
        ("Sun, 01 Jan 50 00:00:00 GMT", dt.datetime(1950, 1, 1, tzinfo=UTC)),
        ("Wed, 31 Dec 89 23:00:00 GMT", dt.datetime(1989, 12, 31, 23, tzinfo=UTC)),
        ("Fri, 31 Dec 99 23:30:00 -0100", dt.datetime(2000, 1, 1, 0, 30, tzinfo=UTC)),
        ("Sat, 01 Jan 00 00:00:00 +0100", dt.datetime(1999, 12, 31, 23, tzinfo=UTC)),
    ],
)
def test_two_digit_years_are_read_as_rfc_5322_says(raw, expected):
    assert parse_date(raw) == expected


def test_four_digit_years_and_nonsense_are_unchanged():
    assert parse_date("Tue, 10 Jun 2003 09:41:01 GMT") == dt.datetime(
        2003, 6, 10, 9, 41, 1, tzinfo=UTC
    )
    assert parse_date("Thu, 31 Dec 2009 23:00:00 -0500") == dt.datetime(2010, 1, 1, 4, tzinfo=UTC)
    assert parse_date("sometime last tuesday") is None
    assert parse_date("Tue, 10 Foo 03 09:41:01 GMT") is None


def test_a_two_digit_year_feed_item_keeps_its_date():
    data = _items(
        "<item><title>A</title><guid>a</guid><pubDate>Tue, 10 Jun 03 09:41:01 GMT</pubDate></item>"
    )
    entry = parse_feed(data, url="https://w.example.org/f").entries[0]
    assert entry.published == dt.datetime(2003, 6, 10, 9, 41, 1, tzinfo=UTC)


# --- Over loopback HTTP, through the worker's task -------------------------------------------


@pytest.mark.django_db
def test_guid_links_and_two_digit_years_over_http_through_the_worker_task(feed_server):
    body = _items(
        "<item><title>Numeric</title><guid>1568222173893</guid>"
        "<pubDate>Tue, 10 Jun 03 09:41:01 GMT</pubDate></item>",
        "<item><title>Permalink</title><guid>https://w.example.org/p</guid>"
        "<pubDate>Sun, 01 Jan 95 12:00:00 GMT</pubDate></item>",
    )
    feed_server.add_route("/guids.xml", body=body, headers=RSS)
    feed, _ = feed_get_or_create(url=feed_server.url("/guids.xml"))
    assert refresh_feed.apply(args=[feed.pk], kwargs={"force": True}).get() == "ok"
    stored = {e.title: e for e in feed.entries.all()}
    assert stored["Numeric"].url == ""
    assert stored["Numeric"].published_at == dt.datetime(2003, 6, 10, 9, 41, 1, tzinfo=UTC)
    assert stored["Permalink"].url == "https://w.example.org/p"
    assert stored["Permalink"].published_at == dt.datetime(1995, 1, 1, 12, tzinfo=UTC)
