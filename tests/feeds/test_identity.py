"""Entry identity: policy 1 of ../shared/cases/README.md (P01-P04)."""

from __future__ import annotations

import datetime as dt

import pytest

from feeds.pipeline.identity import entry_identities, normalize_url
from feeds.pipeline.parse import ParsedEntry, parse_feed
from tests.conftest import shared_path


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("HTTPS://Blog.Example.ORG:443/post/7", "https://blog.example.org/post/7"),
        ("http://example.org:80", "http://example.org/"),
        ("http://example.org:8080/a", "http://example.org:8080/a"),
        (
            "https://blog.example.org/post/7?utm_source=rss&utm_medium=feed&utm_campaign=daily#xtor=RSS-3",
            "https://blog.example.org/post/7",
        ),
        (
            "https://blog.example.org/archive?page=2&fbclid=AbC123",
            "https://blog.example.org/archive?page=2",
        ),
        ("https://e.org/a?gclid=1&b=2&mc_cid=x&mc_eid=y&xtor=z", "https://e.org/a?b=2"),
        ("https://e.org/a?UTM_Source=x&q=Caf%C3%A9", "https://e.org/a?q=Caf%C3%A9"),
        ("https://e.org/a#section-2", "https://e.org/a#section-2"),
        ("https://e.org/café", "https://e.org/caf%C3%A9"),
        ("  https://e.org/p/2  ", "https://e.org/p/2"),
        ("", ""),
        ("http://[::1", ""),
    ],
)
def test_links_are_normalized(raw, normalized):
    assert normalize_url(raw) == normalized


def test_normalizing_is_idempotent():
    url = "HTTPS://E.org:443/a?b=1&utm_x=2#xtor=3"
    assert normalize_url(normalize_url(url)) == normalize_url(url)


def entry(**fields) -> ParsedEntry:
    return ParsedEntry(**fields)


def test_the_guid_is_the_identity_when_unique():
    a, b = entry_identities(
        [entry(guid="1", url="https://e.org/x"), entry(guid="2", url="https://e.org/x")]
    )
    assert a != b
    (again,) = entry_identities([entry(guid="1", url="https://e.org/elsewhere")])
    assert again == a


def test_repeated_guids_fall_back_to_unique_links():
    """Case P02: duplicate GUID in document."""
    data = shared_path("cases", "P02-duplicate-guid-in-document", "feed.xml").read_bytes()
    entries = parse_feed(data, url="https://shop.example.com/feed").entries
    hashes = entry_identities(entries)
    assert len(set(hashes)) == 4
    by_link = entry_identities([entry(url=e.url) for e in entries])
    assert hashes == by_link


def test_items_without_guid_are_identified_by_link_whatever_their_order():
    """Case P01: no GUID link identity."""
    case = "P01-no-guid-link-identity"
    first = parse_feed(shared_path("cases", case, "fetch1.xml").read_bytes(), url="https://g.org/")
    second = parse_feed(shared_path("cases", case, "fetch2.xml").read_bytes(), url="https://g.org/")
    assert set(entry_identities(first.entries)) == set(entry_identities(second.entries))


def test_tracking_parameters_do_not_change_the_identity():
    """Case P04: tracking params."""
    case = "P04-tracking-params"
    first = parse_feed(shared_path("cases", case, "fetch1.xml").read_bytes(), url="https://b.org/")
    second = parse_feed(shared_path("cases", case, "fetch2.xml").read_bytes(), url="https://b.org/")
    assert entry_identities(first.entries) == entry_identities(second.entries)


def test_without_guid_or_unique_link_the_content_is_the_identity():
    when = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    same_link = "https://e.org/"
    a, b, c = entry_identities(
        [
            entry(url=same_link, title="A", content_html="x", published=when),
            entry(url=same_link, title="B", content_html="x", published=when),
            entry(url=same_link, title="A", content_html="x", published=when),
        ]
    )
    assert a != b
    assert a == c  # true duplicates: the store keeps the first


def test_identities_are_sha256_hex():
    (digest,) = entry_identities([entry(guid="x")])
    assert len(digest) == 64 and int(digest, 16) >= 0
