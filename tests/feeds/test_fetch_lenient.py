"""Fetching as browsers do: lying Content-Encoding labels, cookie-gated redirects, oversized
headers, and one DNS resolution per connection; over loopback HTTP and through the worker's
refresh task."""

from __future__ import annotations

import gzip
import zlib

import brotli
import pytest

from feeds import scheduling
from feeds.models import Feed
from feeds.pipeline.fetch import FetchError, fetch
from feeds.tasks import refresh_feed
from tests.feedserver import INTERNAL_HOSTS, TEST_HOSTS

pytestmark = pytest.mark.django_db

RSS = {"Content-Type": "application/rss+xml"}
FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Lenient</title>'
    b"<link>https://feeds.example.org/</link><description>d</description>"
    b"<item><title>One</title><guid>one</guid></item>"
    b"<item><title>Two</title><guid>two</guid></item></channel></rss>"
)


@pytest.fixture(autouse=True)
def _no_host_block_leaks():
    yield
    scheduling.host_unblock("http://feeds.example.org/")


def _refresh_as_the_worker_does(feed_server, path: str) -> Feed:
    feed = Feed.objects.create(url=feed_server.url(path))
    outcome = refresh_feed(feed.pk)  # the task body a worker runs
    feed.refresh_from_db()
    assert outcome == "ok", (outcome, feed.last_error)
    return feed


# --- Content-Encoding labels that lie --------------------------------------------------------


@pytest.mark.parametrize("label", ["aws-chunked", "UTF-8", "none", "binary", "identity, utf-8"])
def test_an_unknown_content_coding_token_means_identity(feed_server, label):
    feed_server.add_route("/f.xml", body=FEED, headers={**RSS, "Content-Encoding": label})
    assert fetch(feed_server.url("/f.xml")).content == FEED


@pytest.mark.parametrize("label", ["gzip", "x-gzip", "deflate", "br", "gzip, br"])
def test_a_body_labelled_compressed_that_is_not_is_used_as_is(feed_server, label):
    feed_server.add_route("/f.xml", body=FEED, headers={**RSS, "Content-Encoding": label})
    assert fetch(feed_server.url("/f.xml")).content == FEED


@pytest.mark.parametrize(
    ("label", "encode"),
    [("gzip", gzip.compress), ("deflate", zlib.compress), ("br", brotli.compress)],
)
def test_bodies_that_are_compressed_are_still_decoded(feed_server, label, encode):
    feed_server.add_route("/f.xml", body=encode(FEED), headers={"Content-Encoding": label})
    assert fetch(feed_server.url("/f.xml")).content == FEED


def test_a_plain_body_with_a_bom_and_whitespace_labelled_br_is_used_as_is(feed_server):
    body = b"\xef\xbb\xbf\n  " + FEED
    feed_server.add_route("/f.xml", body=body, headers={"Content-Encoding": "br"})
    assert fetch(feed_server.url("/f.xml")).content == body


def test_the_size_cap_counts_decoded_bytes_whatever_the_label(feed_server):
    big = FEED + b"<!--" + b"x" * 200_000 + b"-->"
    feed_server.add_route("/plain.xml", body=big, headers={"Content-Encoding": "aws-chunked"})
    feed_server.add_route(
        "/bomb.xml", body=gzip.compress(big), headers={"Content-Encoding": "gzip"}
    )
    for path in ("/plain.xml", "/bomb.xml"):
        with pytest.raises(FetchError) as caught:
            fetch(feed_server.url(path), max_bytes=100_000)
        assert caught.value.kind == "too_large", path
    assert fetch(feed_server.url("/bomb.xml"), max_bytes=300_000).content == big


def test_a_feed_with_a_lying_coding_label_is_stored_by_the_worker(feed_server):
    feed_server.add_route("/aws.xml", body=FEED, headers={**RSS, "Content-Encoding": "aws-chunked"})
    feed_server.add_route("/fake-gzip.xml", body=FEED, headers={**RSS, "Content-Encoding": "gzip"})
    for path in ("/aws.xml", "/fake-gzip.xml"):
        feed = _refresh_as_the_worker_does(feed_server, path)
        assert sorted(feed.entries.values_list("title", flat=True)) == ["One", "Two"]


# --- Cookies within one fetch ----------------------------------------------------------------


def _cookie_gate(name: str, target: str | None = None):
    """A handler: with cookie ``name`` the feed, else set it and redirect (to itself)."""

    def handler(request):
        if f"{name}=ok" in request.headers.get("Cookie", ""):
            return {"status": 200, "headers": RSS, "body": FEED}
        location = target or request.path
        return {
            "status": 302,
            "headers": {"Set-Cookie": f"{name}=ok; Path=/", "Location": location},
        }

    return handler


def test_a_redirect_to_itself_that_sets_a_cookie_is_followed_with_the_cookie(feed_server):
    feed_server.add_route("/gated.xml", handler=_cookie_gate("gate"))
    result = fetch(feed_server.url("/gated.xml"))
    assert result.content == FEED
    first, second = feed_server.requests_for("/gated.xml")
    assert "Cookie" not in first.headers
    assert second.headers["Cookie"] == "gate=ok"


def test_a_to_b_to_a_with_a_cookie_set_on_the_way_is_no_loop(feed_server):
    def page_a(request):
        if "cdn=ok" in request.headers.get("Cookie", ""):
            return {"status": 200, "headers": RSS, "body": FEED}
        return {"status": 302, "headers": {"Location": "/b"}}

    feed_server.add_route("/a.xml", handler=page_a)
    feed_server.add_route("/b", handler=_cookie_gate("cdn", target="/a.xml"))
    assert fetch(feed_server.url("/a.xml")).content == FEED
    assert [r.path for r in feed_server.requests] == ["/a.xml", "/b", "/a.xml"]


def test_a_revisit_with_the_same_cookies_is_still_a_loop(feed_server):
    feed_server.add_route(
        "/same.xml",
        status=302,
        headers={"Set-Cookie": "s=1; Path=/", "Location": "/same.xml"},
    )
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/same.xml"))
    assert caught.value.kind == "too_many_redirects"
    assert feed_server.hits("/same.xml") == 2  # the second visit carried the cookie; same state


def test_a_cookie_that_changes_every_time_ends_at_the_hop_limit(feed_server):
    counter = iter(range(100))

    def fresh_cookie(request):
        return {
            "status": 302,
            "headers": {"Set-Cookie": f"n={next(counter)}; Path=/", "Location": "/n.xml"},
        }

    feed_server.add_route("/n.xml", handler=fresh_cookie)
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/n.xml"))
    assert caught.value.kind == "too_many_redirects"
    assert feed_server.hits("/n.xml") == 6  # the first request and five redirects


def test_cookies_go_to_no_other_site_and_do_not_outlive_the_fetch(feed_server):
    other = "example.net"
    assert other in TEST_HOSTS
    feed_server.add_route(
        "/away.xml",
        status=302,
        headers={"Set-Cookie": "mine=secret; Path=/", "Location": feed_server.url("/x.xml", other)},
    )
    feed_server.add_route("/x.xml", host=other, body=FEED, headers=RSS)
    assert fetch(feed_server.url("/away.xml")).content == FEED
    assert "Cookie" not in feed_server.requests_for("/x.xml", host=other)[0].headers

    feed_server.add_route("/gated.xml", handler=_cookie_gate("gate"))
    fetch(feed_server.url("/gated.xml"))
    fetch(feed_server.url("/gated.xml"))
    visits = feed_server.requests_for("/gated.xml")
    assert ["Cookie" in r.headers for r in visits] == [False, True, False, True]


def test_a_cookie_gated_feed_is_stored_by_the_worker(feed_server):
    feed_server.add_route("/gated.xml", handler=_cookie_gate("gate"))
    feed = _refresh_as_the_worker_does(feed_server, "/gated.xml")
    assert feed.entries.count() == 2
    assert feed.last_error == ""


# --- Over-long response headers --------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{"X-Huge": "a" * 70_000}, {f"X-Many-{n}": "x" for n in range(150)}],
    ids=["long-line", "too-many"],
)
def test_over_long_response_headers_get_their_own_readable_error(feed_server, headers):
    feed_server.add_route("/h.xml", body=FEED, headers=headers)
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/h.xml"))
    assert caught.value.kind == "too_large"
    assert "headers that are too long" in caught.value.message
    feed = Feed.objects.create(url=feed_server.url("/h.xml"))
    assert refresh_feed(feed.pk) == "too_large"
    feed.refresh_from_db()
    assert "headers that are too long" in feed.last_error


# --- One DNS resolution per connection, checked by the guard ---------------------------------


def _counting_resolver(settings, answer: str = "127.0.0.1") -> dict[str, int]:
    counts: dict[str, int] = {}

    def resolver_for(host):
        def resolve():
            counts[host] = counts.get(host, 0) + 1
            return answer

        return resolve

    settings.FETCH_TEST_HOST_MAP = {
        host: resolver_for(host) for host in (*TEST_HOSTS, *INTERNAL_HOSTS)
    }
    return counts


def test_a_fetch_resolves_its_host_once(feed_server, settings):
    counts = _counting_resolver(settings)
    feed_server.add_route("/f.xml", body=FEED, headers=RSS)
    assert fetch(feed_server.url("/f.xml")).content == FEED
    assert counts == {"feeds.example.org": 1}


def test_a_redirect_to_another_host_resolves_each_host_once(feed_server, settings):
    counts = _counting_resolver(settings)
    feed_server.add_route(
        "/away.xml", status=302, headers={"Location": feed_server.url("/x.xml", "example.net")}
    )
    feed_server.add_route("/x.xml", body=FEED, headers=RSS)
    assert fetch(feed_server.url("/away.xml")).content == FEED
    assert counts == {"feeds.example.org": 1, "example.net": 1}


def test_the_one_resolution_is_checked_by_the_guard_before_connecting(feed_server, settings):
    counts = _counting_resolver(settings)
    feed_server.add_route("/f.xml", body=FEED, headers=RSS)
    host = INTERNAL_HOSTS[0]  # resolves to the server, but is not allowed
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/f.xml", host))
    assert caught.value.kind == "blocked"
    assert counts == {host: 1}
    assert feed_server.requests == []
