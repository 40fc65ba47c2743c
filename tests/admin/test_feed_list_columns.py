"""The feed health list stays narrow: long titles, URLs and errors are truncated with the full
text in a title attribute, dates are short, and every figure is still there."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from feeds.admin.display import ERROR_CHARS, URL_CHARS
from tests.admin.conftest import make_feed

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/feeds/feed/"


def test_a_long_error_and_url_are_truncated_with_the_full_text_in_a_title(admin_client, now):
    error = "The site's name could not be found. Is the address right? " * 4
    url = "http://www.example.org/" + "very-long-path/" * 8 + "rss.xml"
    make_feed(
        url,
        title="Wordy",
        last_fetched_at=now - timedelta(minutes=5),
        last_status=200,
        error_count=4,
        last_error=error.strip(),
        last_error_kind="dns",
        next_fetch_at=now + timedelta(hours=2),
    )
    html = admin_client.get(CHANGELIST).content.decode()
    cell = re.search(r'<span class="feed-error" title="([^"]*)">([^<]*)</span>', html)
    assert cell, "no error cell"
    assert cell.group(1).replace("&#x27;", "'") == error.strip()
    shown = cell.group(2).replace("&#x27;", "'")
    assert shown.startswith("4 × dns: The site's name")
    assert len(shown) <= len("4 × dns: ") + ERROR_CHARS
    small = re.search(r'<small title="([^"]*)">([^<]*)</small>', html)
    assert small.group(1) == url
    assert not small.group(2).startswith("http") and len(small.group(2)) <= URL_CHARS
    assert "· 200" in html  # last fetch time and status in one column


def test_the_list_has_seven_columns_and_no_long_dates(admin_client, now):
    make_feed("http://short.example.org/feed", title="Short", last_fetched_at=now, last_status=200)
    html = admin_client.get(CHANGELIST).content.decode()
    header = re.search(r"<thead>(.*?)</thead>", html, re.S).group(1)
    columns = re.findall(r'<th scope="col" class="([^"]*)"', header)
    assert len(columns) == 8, columns  # the action checkbox and seven columns
    for label in ("readers", "last / next fetch", "errors", "entries", "mean interval"):
        assert label in header.lower()
    shown = re.sub(r'title="[^"]*"', "", html.split("<tbody>")[1])  # full dates only in titles
    assert "a.m." not in shown and "p.m." not in shown
    assert "admin-feeds.css" in html
