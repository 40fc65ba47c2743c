"""HTTP behaviour of feeds.pipeline.fetch on the loopback server: cases P16-P20 and status codes."""

from __future__ import annotations

import gzip
import re
import time
import zlib
from datetime import UTC, datetime

import brotli
import pytest
import time_machine
from django.conf import settings as django_settings

from feeds.pipeline.fetch import ACCEPT_ENCODING, FetchError, fetch, parse_retry_after
from tests.conftest import shared_path

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


# --- P16: redirects ----------------------------------------------------------------------------


def test_a_permanent_redirect_reports_the_new_url(feed_server):
    feed_server.load_case("P16")
    result = fetch(feed_server.url("/old.xml"))
    new_url = feed_server.url("/new.xml")
    assert result.status == 200
    assert result.final_url == new_url
    assert result.permanent_redirect == new_url
    assert result.content.count(b"<item>") == 2
    assert result.url == feed_server.url("/old.xml")


def test_a_temporary_redirect_keeps_the_url(feed_server):
    feed_server.load_case("P16")
    result = fetch(feed_server.url("/rotating.xml"))
    assert result.final_url == feed_server.url("/mirror.xml")
    assert result.permanent_redirect is None
    assert result.content.count(b"<item>") == 2


def test_a_chain_of_permanent_then_temporary_is_not_permanent(feed_server):
    feed_server.load_case("P16")
    result = fetch(feed_server.url("/chain.xml"))
    assert result.final_url == feed_server.url("/new.xml")
    assert result.permanent_redirect is None
    assert [r.path for r in feed_server.requests] == ["/chain.xml", "/chain-2.xml", "/new.xml"]


def test_a_redirect_loop_fails_quickly_after_few_requests(feed_server):
    feed_server.load_case("P16")
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/loop-a.xml"))
    assert caught.value.kind == "too_many_redirects"
    assert "redirect" in caught.value.message.lower()
    assert len(feed_server.requests) <= 10
    assert time.monotonic() - started < 5


def _chain(feed_server, length: int, status: int = 301) -> str:
    for n in range(length):
        feed_server.add_route(
            f"/hop{n}.xml", status=status, headers={"Location": f"/hop{n + 1}.xml"}
        )
    feed_server.add_route(f"/hop{length}.xml", body=b"<rss/>")
    return feed_server.url("/hop0.xml")


def test_five_redirect_hops_are_followed(feed_server):
    result = fetch(_chain(feed_server, 5, status=308))
    assert result.content == b"<rss/>"
    assert result.permanent_redirect == feed_server.url("/hop5.xml")


def test_a_sixth_hop_is_too_many(feed_server):
    with pytest.raises(FetchError) as caught:
        fetch(_chain(feed_server, 6))
    assert caught.value.kind == "too_many_redirects"
    assert len(feed_server.requests) == 6


@pytest.mark.parametrize("status", [302, 303, 307])
def test_temporary_redirect_statuses_never_count_as_permanent(feed_server, status):
    result = fetch(_chain(feed_server, 1, status=status))
    assert result.permanent_redirect is None


def test_a_redirect_without_location_is_an_http_error(feed_server):
    feed_server.add_route("/nowhere.xml", status=301)
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/nowhere.xml"))
    assert caught.value.kind == "http"
    assert caught.value.status == 301


def test_a_redirect_to_another_host_drops_credentials(feed_server):
    target = feed_server.url("/x.xml", host="www.example.org")
    feed_server.add_route("/auth.xml", status=302, headers={"Location": target})
    feed_server.add_route("/x.xml", body=b"<rss/>")
    fetch(feed_server.url("/auth.xml"), extra_headers={"Authorization": "Basic dTpw"})
    first, second = feed_server.requests
    assert first.headers["Authorization"] == "Basic dTpw"
    assert "Authorization" not in second.headers
    assert second.host == "www.example.org"


# --- P17: conditional GET ----------------------------------------------------------------------


def test_validators_are_sent_back_and_304_is_success(feed_server):
    feed_server.load_case("P17")
    url = feed_server.url("/cache.xml")
    etag = last_modified = ""
    results = []
    for _ in range(4):
        result = fetch(url, etag=etag, last_modified=last_modified)
        results.append(result)
        etag = result.etag or etag
        last_modified = result.last_modified or last_modified
    sent = [
        (r.headers.get("If-None-Match"), r.headers.get("If-Modified-Since"))
        for r in feed_server.requests
    ]
    assert sent == [
        (None, None),
        ('"v1"', "Sun, 01 Mar 2026 10:00:00 GMT"),
        ('"v2"', "Sun, 01 Mar 2026 10:00:00 GMT"),
        ('"v2"', "Sun, 01 Mar 2026 10:00:00 GMT"),
    ]
    assert [r.status for r in results] == [200, 200, 304, 304]
    assert results[1].etag == '"v2"'
    assert results[2].content == b""
    assert results[2].etag == '"v2"'
    assert results[2].last_modified == "Sun, 01 Mar 2026 10:00:00 GMT"


def test_weak_validators_are_sent_byte_for_byte(feed_server):
    feed_server.add_route(
        "/weak.xml", body=b"<rss/>", etag='W/"a b"', last_modified="Sat, 28 Feb 2026 09:00:00 GMT"
    )
    first = fetch(feed_server.url("/weak.xml"))
    assert first.etag == 'W/"a b"'
    second = fetch(feed_server.url("/weak.xml"), etag=first.etag, last_modified=first.last_modified)
    assert feed_server.requests[1].headers["If-None-Match"] == 'W/"a b"'
    assert feed_server.requests[1].headers["If-Modified-Since"] == "Sat, 28 Feb 2026 09:00:00 GMT"
    assert second.status == 304


def test_corpus_files_are_served_with_validators_and_304(feed_server):
    shared_path("corpus", "feeds")
    url = feed_server.url("/corpus/atom-qemu-project.xml")
    first = fetch(url)
    assert first.status == 200 and first.etag and first.last_modified
    assert fetch(url, etag=first.etag).status == 304
    assert fetch(url, last_modified=first.last_modified).status == 304


# --- P18: User-Agent, Accept, challenge pages ---------------------------------------------------


def test_the_user_agent_names_the_product_version_and_an_info_url(feed_server):
    feed_server.load_case("P18")
    result = fetch(feed_server.url("/picky.xml"))
    assert result.content.count(b"<item>") == 2
    request = feed_server.requests[0]
    assert request.headers["User-Agent"] == django_settings.USER_AGENT
    assert re.fullmatch(r"Tidings/\d+\.\d+\.\d+ \(\+https://\S+\)", request.headers["User-Agent"])
    accept = request.headers["Accept"]
    for media_type in ("application/rss+xml", "application/atom+xml", "application/feed+json"):
        assert media_type in accept


def test_a_bare_library_user_agent_would_have_been_refused(feed_server):
    feed_server.load_case("P18")
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/picky.xml"), user_agent="python-requests/2.32")
    assert caught.value.kind == "http"
    assert caught.value.status == 403


def test_a_challenge_page_is_a_403_error_that_mentions_bot_protection(feed_server):
    feed_server.load_case("P18")
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/guarded.xml"))
    error = caught.value
    assert (error.kind, error.status) == ("http", 403)
    assert "403" in error.message
    assert "bot protection" in error.message
    assert "XML" not in error.message


def test_a_plain_403_says_access_was_refused(feed_server):
    feed_server.add_route(
        "/private.xml", status=403, body="Forbidden", headers={"Content-Type": "text/plain"}
    )
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/private.xml"))
    assert "403" in caught.value.message
    assert "bot protection" not in caught.value.message


# --- P19: rate limits ----------------------------------------------------------------------------


def test_429_is_rate_limited_with_retry_after_in_seconds(feed_server):
    feed_server.load_case("P19")
    url = feed_server.url("/busy.xml")
    with time_machine.travel(T0, tick=False):
        assert fetch(url).status == 200
    later = datetime(2026, 3, 1, 12, 15, tzinfo=UTC)
    with time_machine.travel(later, tick=False), pytest.raises(FetchError) as caught:
        fetch(url)
    error = caught.value
    assert (error.kind, error.status) == ("rate_limited", 429)
    assert error.retry_after == datetime(2026, 3, 1, 13, 15, tzinfo=UTC)
    assert "13:15" in error.message


def test_503_with_an_http_date_retry_after_is_rate_limited(feed_server):
    feed_server.add_route(
        "/down.xml", status=503, headers={"Retry-After": "Sun, 01 Mar 2026 14:00:00 GMT"}
    )
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/down.xml"))
    assert caught.value.kind == "rate_limited"
    assert caught.value.retry_after == datetime(2026, 3, 1, 14, 0, tzinfo=UTC)


def test_429_without_retry_after_has_no_retry_time(feed_server):
    feed_server.add_route("/busy.xml", status=429)
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/busy.xml"))
    assert caught.value.kind == "rate_limited"
    assert caught.value.retry_after is None


def test_retry_after_parsing():
    assert parse_retry_after("120", now=T0) == datetime(2026, 3, 1, 12, 2, tzinfo=UTC)
    assert parse_retry_after("Sun, 01 Mar 2026 13:15:00 GMT") == datetime(
        2026, 3, 1, 13, 15, tzinfo=UTC
    )
    assert parse_retry_after("Sunday, 01-Mar-26 13:15:00 GMT") == datetime(
        2026, 3, 1, 13, 15, tzinfo=UTC
    )
    for junk in ("", "soon", "-5", "1.5"):
        assert parse_retry_after(junk, now=T0) is None


# --- status codes --------------------------------------------------------------------------------


def test_410_is_gone(feed_server):
    feed_server.add_route("/gone.xml", status=410)
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/gone.xml"))
    assert (caught.value.kind, caught.value.status) == ("gone", 410)


@pytest.mark.parametrize("status", [400, 401, 404, 500, 502])
def test_other_errors_are_http_errors_with_their_status(feed_server, status):
    feed_server.add_route("/e.xml", status=status)
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/e.xml"))
    assert (caught.value.kind, caught.value.status) == ("http", status)
    assert str(status) in caught.value.message


def test_the_result_carries_lower_case_headers_and_the_content_type(feed_server):
    feed_server.add_route(
        "/h.xml", body=b"<rss/>", headers={"Content-Type": "text/html", "X-Thing": "1"}
    )
    result = fetch(feed_server.url("/h.xml"))
    assert result.content_type == "text/html"
    assert result.headers["x-thing"] == "1"
    assert result.elapsed > 0


# --- P20: content encodings ----------------------------------------------------------------------

FEED_BYTES_P20 = "P20-content-encoding-gzip-br"


def test_only_decodable_codings_are_advertised(feed_server):
    feed_server.add_route("/x.xml", body=b"<rss/>")
    fetch(feed_server.url("/x.xml"))
    advertised = {c.strip() for c in feed_server.requests[0].headers["Accept-Encoding"].split(",")}
    assert (
        advertised == {"gzip", "deflate", "br"} == {c.strip() for c in ACCEPT_ENCODING.split(",")}
    )


@pytest.mark.parametrize("path", ["/always-gzip.xml", "/brotli.xml"])
def test_gzip_and_brotli_bodies_are_decoded(feed_server, path):
    folder = feed_server.load_case(FEED_BYTES_P20)
    result = fetch(feed_server.url(path))
    assert result.content == (folder / "feed.xml").read_bytes()
    assert b"<title>Compressed item 1</title>" in result.content


def test_gzip_sent_unasked_is_decoded(feed_server):
    feed_server.load_case(FEED_BYTES_P20)
    result = fetch(
        feed_server.url("/always-gzip.xml"), extra_headers={"Accept-Encoding": "identity"}
    )
    assert b"Compressed item 1" in result.content


@pytest.mark.parametrize(
    ("coding", "encode"),
    [
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send
        ("gzip", lambda b: gzip.compress(b[:10]) + gzip.compress(b[10:])),  # two gzip members
        ("gzip, br", lambda b: brotli.compress(gzip.compress(b))),
    ],
)
def test_deflate_multi_member_gzip_and_stacked_codings_are_decoded(feed_server, coding, encode):
    body = b"<rss><channel><title>plain</title></channel></rss>" * 50
    feed_server.add_route("/c.xml", body=encode(body), headers={"Content-Encoding": coding})
    assert fetch(feed_server.url("/c.xml")).content == body


def test_an_unknown_coding_is_an_error_not_garbage(feed_server):
    feed_server.add_route("/z.xml", body=b"xxxx", headers={"Content-Encoding": "zstd"})
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/z.xml"))
    assert "zstd" in caught.value.message


def test_a_corrupt_gzip_body_is_an_error(feed_server):
    feed_server.add_route(
        "/bad.xml",
        body=b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"\xff" * 20,
        headers={"Content-Encoding": "gzip"},
    )
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/bad.xml"))
    assert "decompress" in caught.value.message


@pytest.mark.parametrize("name", ["rss2-google-cloudblog.xml", "atom-yakubin-huge-entries.xml"])
def test_static_corpus_files_come_back_identical_whatever_the_compression(feed_server, name):
    """The 871 KB file decodes to more than one bounded piece: every piece must come out."""
    path = shared_path("corpus", "feeds", name)
    url = feed_server.url(f"/corpus/{name}")
    for accept in ("br", "gzip", "identity"):
        result = fetch(url, extra_headers={"Accept-Encoding": accept})
        assert result.content == path.read_bytes()


@pytest.mark.parametrize("status", [300, 305, 204])
def test_statuses_that_carry_no_feed_are_not_silently_accepted(feed_server, status):
    feed_server.add_route("/odd.xml", status=status, body=b"<rss/>" if status != 204 else b"")
    if status == 204:
        assert fetch(feed_server.url("/odd.xml")).content == b""
        return
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/odd.xml"))
    assert (caught.value.kind, caught.value.status) == ("http", status)


def test_a_refused_connection_is_worded_in_the_readers_language_not_the_c_librarys(settings):
    """The reason of "Could not connect" came from strerror(), English on a Chinese page."""
    import socket

    from django.utils import translation

    settings.FETCH_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/feed.xml"
    for language, expected in (("en", "connection refused"), ("zh-hans", "连接被拒绝")):
        with translation.override(language), pytest.raises(FetchError) as caught:
            fetch(url)
        assert caught.value.kind == "connect"
        assert expected in caught.value.message, caught.value.message
    assert "connection refused" not in caught.value.message
