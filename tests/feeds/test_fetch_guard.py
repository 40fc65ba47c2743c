"""The SSRF guard of feeds.pipeline.fetch: cases P26 and P27 of ../shared/cases, on real sockets."""

from __future__ import annotations

import itertools

import pytest

from feeds.pipeline.fetch import FetchError, check_url, fetch, is_blocked_address
from tests.conftest import shared_path
from tests.feedserver import Canary

BLOCKED_ADDRESSES = [
    "0.0.0.0",
    "0.255.255.255",
    "10.0.0.1",
    "10.255.255.255",
    "100.64.0.1",
    "100.127.255.255",
    "127.0.0.1",
    "127.255.255.254",
    "169.254.169.254",
    "172.16.0.1",
    "172.31.255.255",
    "192.0.0.8",
    "192.168.1.1",
    "198.18.0.1",
    "198.19.255.255",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "::",
    "::1",
    "fc00::1",
    "fd12:3456::1",
    "fe80::1",
    "fe80::1%1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:a9fe:a9fe",
    "::ffff:10.0.0.5",
    "::127.0.0.1",
    "::10.0.0.1",
    "64:ff9b::7f00:1",
    "64:ff9b::a00:5",
    "::ffff:0:7f00:1",
    "2002:7f00:1::1",
    "2002:a9fe:a9fe::",
]
PUBLIC_ADDRESSES = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "100.63.255.255",
    "100.128.0.0",
    "172.15.255.255",
    "172.32.0.0",
    "192.0.1.1",
    "198.17.255.255",
    "198.20.0.0",
    "223.255.255.255",
    "2606:4700:4700::1111",
    "2001:4860:4860::8888",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2002:808:808::1",
]


@pytest.mark.parametrize("address", BLOCKED_ADDRESSES)
def test_it_blocks_every_reserved_range_and_ipv6_forms_embedding_them(address):
    assert is_blocked_address(address)


@pytest.mark.parametrize("address", PUBLIC_ADDRESSES)
def test_it_allows_public_addresses_just_outside_the_ranges(address):
    assert not is_blocked_address(address)


def test_allowed_networks_exempt_only_their_addresses(settings):
    settings.FETCH_ALLOWED_NETWORKS = ["10.1.0.0/16"]
    assert not is_blocked_address("10.1.2.3")
    assert not is_blocked_address("::ffff:10.1.2.3")
    assert is_blocked_address("10.2.0.1")
    assert is_blocked_address("127.0.0.1")


def _p26_urls() -> list[str]:
    path = shared_path("cases", "P26-ssrf-address-checks", "urls.txt")
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_every_private_address_url_is_refused_before_any_connection(feed_server):
    """Case P26: each URL is refused (blocked, or invalid for non-URLs), with the resolver pointing
    internal-alias.example.net at loopback and only feeds.example.org allowed by name."""
    urls = _p26_urls()
    assert len(urls) == 24
    for url in urls:
        for attempt in (check_url, fetch):
            with pytest.raises(FetchError) as caught:
                attempt(url)
            assert caught.value.kind in ("blocked", "invalid_url"), (url, caught.value)
            if url.startswith("http"):
                assert caught.value.kind == "blocked", url
                assert "not allowed" in caught.value.message
    assert feed_server.requests == []


def test_non_web_schemes_are_refused_as_not_allowed():
    for url in ("file:///etc/passwd", "gopher://127.0.0.1:25/_HELO", "ftp://ftp.example.org/f.xml"):
        with pytest.raises(FetchError) as caught:
            check_url(url)
        assert caught.value.kind == "blocked"
        assert "http" in caught.value.message


@pytest.mark.parametrize(
    "spelling",
    ["2130706433", "0x7f000001", "0177.0.0.1", "0x7f.0.0.1", "0x7f.1", "127.1", "017700000001"],
)
def test_numeric_ipv4_spellings_are_refused_even_inside_allowed_networks(settings, spelling):
    settings.FETCH_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    with pytest.raises(FetchError) as caught:
        check_url(f"http://{spelling}/feed.xml")
    assert caught.value.kind == "blocked"


def test_the_canary_sees_no_connection_for_loopback_spellings_of_its_own_port(feed_server):
    """P26 with a live listener: the name exemption of feeds.example.org must not leak to the IP
    it resolves to, nor to other names resolving there, nor to IPv6 or numeric forms."""
    with Canary() as canary:
        port = canary.port
        urls = [
            f"http://127.0.0.1:{port}/feed.xml",
            f"http://localhost:{port}/feed.xml",
            f"http://[::ffff:127.0.0.1]:{port}/feed.xml",
            f"http://[::1]:{port}/feed.xml",
            f"http://2130706433:{port}/feed.xml",
            f"http://0x7f.1:{port}/feed.xml",
            f"http://internal-alias.example.net:{port}/feed.xml",
        ]
        messages = set()
        for url in urls:
            with pytest.raises(FetchError) as caught:
                fetch(url)
            assert caught.value.kind == "blocked", url
            messages.add(caught.value.message.split(" is not allowed")[1])
    assert canary.connections == 0
    assert len(messages) == 1  # same message whatever the port state


def test_the_control_url_on_the_allowed_host_still_works(feed_server):
    feed_server.load_case("P16")
    result = fetch(feed_server.url("/new.xml"))
    assert result.status == 200
    assert b"Moved Blog" in result.content


def test_the_host_exemption_is_by_name_only(feed_server, settings):
    """feeds.example.org is allowed by name; its own IP literal on the same port is not."""
    feed_server.add_route("/x.xml", body=b"<rss/>")
    assert fetch(feed_server.url("/x.xml")).content == b"<rss/>"
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/x.xml", host="127.0.0.1"))
    assert caught.value.kind == "blocked"
    settings.FETCH_ALLOWED_HOSTS = ["127.0.0.1"]  # an IP literal in the host list exempts nothing
    with pytest.raises(FetchError):
        fetch(feed_server.url("/x.xml", host="127.0.0.1"))
    assert feed_server.hits("/x.xml") == 1


def test_an_allowed_network_lets_the_operator_reach_an_intranet_address(feed_server, settings):
    feed_server.add_route("/x.xml", body=b"<rss/>")
    settings.FETCH_ALLOWED_HOSTS = []
    settings.FETCH_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    assert fetch(feed_server.url("/x.xml", host="127.0.0.1")).content == b"<rss/>"


def test_the_address_checked_is_the_address_connected_to(feed_server, settings):
    """DNS rebinding: the first lookup answers a public address, the next one loopback. The guard
    must check the address the socket connects to, so the fetch is refused and nothing connects."""
    with Canary() as canary:
        answers = itertools.chain(["203.0.113.7"], itertools.repeat("127.0.0.1"))
        settings.FETCH_TEST_HOST_MAP = {"rebind.example.com": lambda: next(answers)}
        with pytest.raises(FetchError) as caught:
            fetch(f"http://rebind.example.com:{canary.port}/feed.xml")
        assert caught.value.kind == "blocked"
    assert canary.connections == 0


def test_a_name_with_any_blocked_address_is_refused(settings):
    """Every address of a name is checked, not just the first."""
    import socket

    real = socket.getaddrinfo

    def two_answers(host, port, *args, **kwargs):
        if host == "multi.example.com":
            return real("8.8.8.8", port, *args, **kwargs) + real("10.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    socket.getaddrinfo = two_answers
    try:
        with pytest.raises(FetchError) as caught:
            check_url("http://multi.example.com/feed.xml")
    finally:
        socket.getaddrinfo = real
    assert caught.value.kind == "blocked"


# --- P27: redirects to internal addresses ------------------------------------------------------


@pytest.mark.parametrize("path", ["/innocent.xml", "/innocent-2.xml", "/innocent-3.xml"])
def test_a_redirect_to_a_disallowed_address_or_scheme_is_refused(feed_server, path):
    feed_server.load_case("P27")
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url(path))
    assert caught.value.kind == "blocked"
    assert "redirect" in caught.value.message or "http" in caught.value.message
    assert [r.path for r in feed_server.requests] == [path]


def test_a_redirect_to_the_canary_makes_no_connection(feed_server):
    with Canary() as canary:
        for location in (
            f"http://127.0.0.1:{canary.port}/admin",
            f"http://[::ffff:127.0.0.1]:{canary.port}/admin",
            f"http://internal-alias.example.net:{canary.port}/admin",
        ):
            feed_server.add_route("/hop.xml", status=302, headers={"Location": location})
            with pytest.raises(FetchError) as caught:
                fetch(feed_server.url("/hop.xml"))
            assert caught.value.kind == "blocked"
    assert canary.connections == 0


def test_the_image_post_itself_fetches_fine(feed_server):
    feed_server.load_case("P27")
    result = fetch(feed_server.url("/img-post.xml"))
    assert b"Internal picture" in result.content


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/admin/secret.png", "http://[::ffff:10.0.0.5]/x.png"]
)
def test_content_urls_of_the_image_post_are_refused_for_server_side_fetches(feed_server, url):
    with pytest.raises(FetchError) as caught:
        fetch(url)
    assert caught.value.kind == "blocked"


def test_check_url_cleans_the_address():
    assert (
        check_url(" HTTP://Example.COM:80/a?b=1#frag ", resolve=False) == "http://example.com/a?b=1"
    )
    assert check_url("https://example.com", resolve=False) == "https://example.com/"
    assert check_url("https://bücher.example/x", resolve=False) == "https://xn--bcher-kva.example/x"
    assert (
        check_url("http://[2606:4700::1111]:8080/", resolve=False)
        == "http://[2606:4700::1111]:8080/"
    )


@pytest.mark.parametrize(
    "url", ["", "feeds.example.org/rss", "http://", "http://exa mple.com/", "http://x:99999/"]
)
def test_check_url_refuses_what_is_not_an_absolute_web_address(url):
    with pytest.raises(FetchError) as caught:
        check_url(url, resolve=False)
    assert caught.value.kind == "invalid_url"
