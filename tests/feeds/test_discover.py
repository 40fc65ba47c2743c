"""Feed discovery (feeds.pipeline.discover): case P21 and the corpus's autodiscovery pages."""

from __future__ import annotations

import time

import pytest

from feeds.pipeline.discover import FeedCandidate, discover_feeds, find_feed_links, sniff_feed
from feeds.pipeline.fetch import FetchError
from tests.conftest import shared_path

LIGHTHOUSE = "lighthouse.example.org"


def test_an_html_page_offers_exactly_the_three_feeds_with_titles():
    """Case P21: HTML instead of feed."""
    page = shared_path("cases", "P21-html-instead-of-feed", "page.html").read_bytes()
    found = find_feed_links(page, "https://lighthouse.example.org/blog/")
    assert found == [
        FeedCandidate(
            "https://lighthouse.example.org/blog/feed.xml", "Posts (RSS)", "application/rss+xml"
        ),
        FeedCandidate(
            "https://lighthouse.example.org/blog/atom.xml", "Posts (Atom)", "application/atom+xml"
        ),
        FeedCandidate(
            "https://comments.example.org/blog/comments.rss", "Comments", "application/rss+xml"
        ),
    ]


def test_discovering_feeds_in_an_html_page_over_http_resolves_against_the_page_url(feed_server):
    """Case P21: HTML instead of feed."""
    feed_server.load_case("P21", host=LIGHTHOUSE)
    found = discover_feeds(feed_server.url("/blog/", host=LIGHTHOUSE))
    base = feed_server.base_url(LIGHTHOUSE)
    assert [(c.url, c.title) for c in found] == [
        (f"{base}/blog/feed.xml", "Posts (RSS)"),
        (f"{base}/blog/atom.xml", "Posts (Atom)"),
        ("https://comments.example.org/blog/comments.rss", "Comments"),
    ]
    assert [r.path for r in feed_server.requests] == ["/blog/"]


def test_a_feed_served_as_text_html_is_recognised_as_itself(feed_server):
    feed_server.load_case("P21", host=LIGHTHOUSE)
    url = feed_server.url("/blog/feed.xml", host=LIGHTHOUSE)
    assert discover_feeds(url) == [FeedCandidate(url, "Keeper RSS", "application/rss+xml")]


def test_an_atom_feed_is_returned_with_its_title(feed_server):
    feed_server.load_case("P21", host=LIGHTHOUSE)
    url = feed_server.url("/blog/atom.xml", host=LIGHTHOUSE)
    assert discover_feeds(url) == [FeedCandidate(url, "Keeper Atom", "application/atom+xml")]


def test_a_feed_behind_a_permanent_redirect_is_offered_at_its_new_url(feed_server):
    feed_server.load_case("P16")
    [candidate] = discover_feeds(feed_server.url("/old.xml"))
    assert candidate.url == feed_server.url("/new.xml")
    assert candidate.title == "Moved Blog"


def test_common_paths_are_probed_when_the_page_has_no_links(feed_server):
    feed_server.add_route("/", body=b"<html><head><title>Home</title></head><body>hi</body></html>")
    rss = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Found</title></channel></rss>'
    feed_server.add_route("/index.xml", body=rss)
    feed_server.add_route(
        "/feed.json", body=b'{"version": "https://jsonfeed.org/version/1.1", "title": "J"}'
    )
    found = discover_feeds(feed_server.url("/"))
    assert found == [
        FeedCandidate(feed_server.url("/index.xml"), "Found", "application/rss+xml"),
        FeedCandidate(feed_server.url("/feed.json"), "J", "application/feed+json"),
    ]
    probed = [r.path for r in feed_server.requests]
    assert probed == ["/", "/feed", "/rss", "/atom.xml", "/index.xml", "/feed.json"]


def test_a_page_without_any_feed_gives_no_candidates(feed_server):
    page = shared_path("corpus", "feeds", "html-no-feed-unsung.html")
    assert find_feed_links(page.read_bytes(), "https://unsung.example.org/") == []
    feed_server.add_route("/", body=page.read_bytes(), headers={"Content-Type": "text/html"})
    assert discover_feeds(feed_server.url("/")) == []


def test_an_unreachable_url_raises_the_fetch_error(feed_server):
    feed_server.add_route("/gone", status=410)
    with pytest.raises(FetchError) as caught:
        discover_feeds(feed_server.url("/gone"))
    assert caught.value.kind == "gone"


def test_discovery_refuses_internal_addresses(feed_server):
    with pytest.raises(FetchError) as caught:
        discover_feeds("http://127.0.0.1/")
    assert caught.value.kind == "blocked"


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("html-autodiscovery-daringfireball.html", 2),
        ("html-autodiscovery-inessential.html", 2),
        ("html-autodiscovery-sixcolors.html", 1),
        ("html-autodiscovery-slashdot.html", 1),
        ("html-autodiscovery-nixos.html", 1),
        ("html-autodiscovery-scripting-news.html", 1),
        ("html-autodiscovery-cowboyprogrammer.html", 3),
    ],
)
def test_real_pages_of_the_corpus_yield_their_feed_links(page, expected):
    content = shared_path("corpus", "feeds", page).read_bytes()
    found = find_feed_links(content, "https://site.example.org/some/page.html")
    assert len(found) == expected  # MANIFEST.tsv: "[n feed alternate link(s)]"
    assert all(c.url.startswith(("http://", "https://")) for c in found)
    assert all(
        c.type in ("application/rss+xml", "application/atom+xml", "application/feed+json")
        for c in found
    )


def test_links_honour_base_dedupe_and_refuse_bad_schemes():
    html = """<html><head><base href="https://cdn.example.com/x/">
    <link rel="ALTERNATE" type="application/RSS+XML; charset=utf-8" href="a.xml">
    <link rel="alternate" type="application/rss+xml" href="a.xml" title="dup">
    <link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
    <link rel="alternate" type="application/rss+xml" href="http://10.0.0.1/feed">
    <link rel="alternate" type="application/json" href="/wp-json/wp/v2/posts/1">
    <link rel="alternate" type="application/json+oembed" href="/oembed?url=x">
    <link rel="alternate stylesheet" type="text/css" href="/s.css">
    <link rel="feed alternate" type="application/feed+json" href="/feed.json" title=" JSON  feed ">
    <title>Site</title></head></html>"""
    found = find_feed_links(html, "https://example.com/page")
    assert found == [
        FeedCandidate("https://cdn.example.com/x/a.xml", "Site", "application/rss+xml"),
        FeedCandidate("https://cdn.example.com/feed.json", "JSON feed", "application/feed+json"),
    ]


@pytest.mark.parametrize("junk", [b"", b"   ", b"\x00\x01\x02", "<p>text only</p>"])
def test_junk_input_gives_no_links(junk):
    assert find_feed_links(junk, "https://example.com/") == []


def test_sniffing_recognises_feeds_whatever_their_prolog():
    rss = b'\xef\xbb\xbf\n\n<?xml version="1.0"?>\n<!-- c --><rss><channel><title>A</title>'
    assert sniff_feed(rss + b"</channel></rss>") == ("application/rss+xml", "A")
    rdf = (
        b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b"<channel><title>R</title></channel></rdf:RDF>"
    )
    assert sniff_feed(rdf) == ("application/rdf+xml", "R")
    assert sniff_feed(b"<!DOCTYPE html><html><head><title>x</title></head></html>") is None
    assert sniff_feed(b'{"items": []}') is None
    atom = "<feed xmlns='http://www.w3.org/2005/Atom'><title>U</title></feed>".encode("utf-16")
    assert sniff_feed(atom) == ("application/atom+xml", "U")


def test_sniffing_never_expands_entities():
    bomb = b"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">
    <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
    <!ENTITY xxe SYSTEM "file:///etc/passwd">]>
    <rss><channel><title>&c;&xxe;</title></channel></rss>"""
    kind, title = sniff_feed(bomb)
    assert kind == "application/rss+xml"
    assert "aaaa" not in title and "root:" not in title


@pytest.mark.parametrize(
    "name",
    [
        "rss2-google-cloudblog.xml",
        "atom-qemu-project.xml",
        "rdf-slashdot-latin1.xml",
        "json-feed-1.1-authors.json",
        "atom03-bildblog.xml",
    ],
)
def test_every_kind_of_corpus_feed_sniffs_as_a_feed(name):
    assert sniff_feed(shared_path("corpus", "feeds", name).read_bytes()) is not None


@pytest.mark.parametrize(
    "name", ["billion-laughs.xml", "xxe-external-dtd.xml", "xxe-local-file.xml"]
)
def test_entity_attack_documents_are_discovered_without_expanding_or_fetching_anything(
    feed_server, settings, name
):
    """Case P28, discovery side: the sniffer loads no DTD, reads no file and expands no entity."""
    folder = shared_path("cases", "P28-xml-entity-attacks")
    feed_server.configure(settings, extra_hosts=("canary.example.net",))  # a DTD fetch would show
    feed_server.add_route(f"/{name}", body_file=folder / name)
    started = time.monotonic()
    [candidate] = discover_feeds(feed_server.url(f"/{name}"))
    assert time.monotonic() - started < 5
    assert candidate.type == "application/rss+xml"
    assert "root:" not in candidate.title and "lollol" not in candidate.title
    assert len(candidate.title) < 200
    assert [r.path for r in feed_server.requests] == [f"/{name}"]
