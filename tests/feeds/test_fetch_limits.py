"""Resource limits and network failures of feeds.pipeline.fetch: case P29, drops, DNS, TLS.

Time caps are shortened with settings in most tests (a 30 s drip would slow the suite); one test
checks the stated defaults of P29 and the size-cap tests run at the default 10 MiB.
"""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
import time
import tracemalloc
import zlib

import brotli
import pytest
from django.conf import settings as django_settings

from feeds.pipeline.fetch import FetchError, fetch
from tests.feedserver import FeedServer

MiB = 1024 * 1024


def test_the_default_caps_are_the_resource_limits_policy():
    """Case P29 and cases/README.md rule 7: 10 MiB after decompression (1-50 accepted), 30 s per
    fetch (at most 60 accepted), 10 s to connect."""
    max_bytes = django_settings.FETCH_MAX_BYTES
    assert max_bytes == 10 * MiB
    assert 1 * MiB <= max_bytes <= 50 * MiB
    assert django_settings.FETCH_TIMEOUT_TOTAL == 30
    assert django_settings.FETCH_TIMEOUT_CONNECT == 10


def test_a_gzip_bomb_stops_at_the_decompressed_cap_with_bounded_memory(feed_server):
    feed_server.load_case("P29")
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(FetchError) as caught:
            fetch(feed_server.url("/bomb.xml"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.kind == "too_large"
    assert "too large" in caught.value.message
    assert peak < 40 * MiB  # the cap is 10 MiB; a full inflate would be 128 MiB
    assert time.monotonic() - started < 10


def test_a_smaller_cap_stops_the_bomb_sooner(feed_server):
    feed_server.load_case("P29")
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/bomb.xml"), max_bytes=100_000)
    assert caught.value.kind == "too_large"


def test_an_endless_body_stops_at_the_size_cap(feed_server):
    feed_server.load_case("P29")
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/endless.xml"))
    assert caught.value.kind == "too_large"
    assert time.monotonic() - started < 10


def test_a_declared_content_length_over_the_cap_is_refused_without_reading(feed_server):
    feed_server.add_route("/big.xml", body=b"x" * 2000)
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/big.xml"), max_bytes=1000)
    assert caught.value.kind == "too_large"


def test_a_body_exactly_at_the_cap_is_accepted(feed_server):
    feed_server.add_route("/exact.xml", body=b"x" * 1000, compress=True)
    assert len(fetch(feed_server.url("/exact.xml"), max_bytes=1000).content) == 1000


def test_a_slow_drip_ends_at_the_total_time_cap_not_an_idle_timeout(feed_server, settings):
    """P29 /drip.xml: bytes keep coming (every 0.2 s here, so no read timeout ever trips);
    only the wall-clock cap ends it."""
    settings.FETCH_TIMEOUT_TOTAL = 2
    feed_server.load_case("P29", interval=0.2)
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/drip.xml"))
    elapsed = time.monotonic() - started
    assert caught.value.kind == "timeout"
    assert caught.value.message == "The server took longer than 2 s to answer."
    assert 1.9 <= elapsed < 3.5


def test_headers_dripped_one_byte_at_a_time_also_end_at_the_cap(feed_server, settings):
    settings.FETCH_TIMEOUT_TOTAL = 2
    feed_server.add_route("/slow-headers.xml", behaviour="drip_headers", interval=0.05)
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/slow-headers.xml"))
    assert caught.value.kind == "timeout"
    assert time.monotonic() - started < 3.5


def test_the_time_cap_covers_all_redirect_hops_together(feed_server, settings):
    settings.FETCH_TIMEOUT_TOTAL = 2
    feed_server.add_route("/r.xml", status=302, headers={"Location": "/drip.xml"})
    feed_server.add_route("/drip.xml", behaviour="drip", interval=0.2)
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/r.xml"))
    assert caught.value.kind == "timeout"
    assert time.monotonic() - started < 3.5


def test_a_silent_server_ends_within_the_time_cap(feed_server, settings):
    settings.FETCH_TIMEOUT_TOTAL = 2
    feed_server.load_case("P29")
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/silent.xml"))
    assert caught.value.kind == "timeout"
    assert time.monotonic() - started < 3.5


def test_other_fetches_still_work_after_a_hostile_one(feed_server, settings):
    settings.FETCH_TIMEOUT_TOTAL = 1
    feed_server.load_case("P29")
    feed_server.add_route("/ok.xml", body=b"<rss/>")
    with pytest.raises(FetchError):
        fetch(feed_server.url("/silent.xml"))
    assert fetch(feed_server.url("/ok.xml")).content == b"<rss/>"


def test_a_connection_dropped_mid_body_is_a_connect_error(feed_server):
    feed_server.add_route("/drop.xml", behaviour="drop")
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/drop.xml"))
    assert caught.value.kind == "connect"
    assert "before the response was complete" in caught.value.message


def test_a_connection_closed_without_an_answer_is_a_connect_error(feed_server):
    feed_server.add_route("/reset.xml", behaviour="reset")
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/reset.xml"))
    assert caught.value.kind == "connect"


def test_a_refused_connection_is_a_connect_error(settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connections are refused
        settings.FETCH_TEST_HOST_MAP = {"closed.example.org": "127.0.0.1"}
        settings.FETCH_ALLOWED_HOSTS = ["closed.example.org"]
        with pytest.raises(FetchError) as caught:
            fetch(f"http://closed.example.org:{port}/feed.xml")
    assert caught.value.kind == "connect"
    assert "refused" in caught.value.message


def test_a_name_that_does_not_resolve_is_a_dns_error():
    with pytest.raises(FetchError) as caught:
        fetch("http://no-such-host.invalid/feed.xml")
    assert caught.value.kind == "dns"
    assert "no-such-host.invalid" in caught.value.message


def test_a_connect_timeout_is_reported_as_a_timeout(settings):
    """A listener whose backlog is full never completes the handshake."""
    settings.FETCH_TIMEOUT_CONNECT = 1
    settings.FETCH_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port = server.getsockname()[1]
        fillers = []
        try:
            for _ in range(8):  # fill the accept queue (Linux accepts backlog+1 handshakes)
                filler = socket.socket()
                filler.setblocking(False)
                filler.connect_ex(("127.0.0.1", port))
                fillers.append(filler)
            time.sleep(0.1)
            started = time.monotonic()
            with pytest.raises(FetchError) as caught:
                fetch(f"http://127.0.0.1:{port}/feed.xml")
        finally:
            for filler in fillers:
                filler.close()
    assert caught.value.kind == "timeout"
    assert time.monotonic() - started < 3


# --- TLS -----------------------------------------------------------------------------------------


@pytest.fixture
def tls_files(tmp_path):
    """A test CA and a certificate for feeds.example.org signed by it (openssl CLI)."""

    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=tmp_path)

    try:
        run(
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=Test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        )
        run(
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=feeds.example.org",
            "-keyout",
            "site.key",
            "-out",
            "site.csr",
        )
        (tmp_path / "ext.cnf").write_text("subjectAltName=DNS:feeds.example.org\n")
        run(
            "x509",
            "-req",
            "-in",
            "site.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
            "-out",
            "site.pem",
        )
    except (FileNotFoundError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"openssl unavailable: {exc}")
    return tmp_path


def _tls_server(tls_files, settings, names: list[str]) -> FeedServer:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls_files / "site.pem", tls_files / "site.key")
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    server = FeedServer(tls=context).start()
    server.configure(settings)
    server.add_route("/feed.xml", body=b"<rss/>")
    return server


def test_tls_uses_the_host_name_for_sni_and_verification(tls_files, settings):
    names: list[str] = []
    server = _tls_server(tls_files, settings, names)
    try:
        settings.FETCH_CA_BUNDLE = str(tls_files / "ca.pem")
        result = fetch(server.url("/feed.xml"))
    finally:
        server.stop()
    assert result.content == b"<rss/>"
    assert result.final_url.startswith("https://feeds.example.org:")
    assert names == ["feeds.example.org"]


def test_an_untrusted_certificate_is_a_tls_error(tls_files, settings):
    server = _tls_server(tls_files, settings, [])
    try:
        with pytest.raises(FetchError) as caught:
            fetch(server.url("/feed.xml"))
    finally:
        server.stop()
    assert caught.value.kind == "tls"
    assert "secure connection" in caught.value.message


def test_a_certificate_for_another_name_is_a_tls_error(tls_files, settings):
    server = _tls_server(tls_files, settings, [])
    try:
        settings.FETCH_CA_BUNDLE = str(tls_files / "ca.pem")
        with pytest.raises(FetchError) as caught:
            fetch(server.url("/feed.xml", host="www.example.org"))
    finally:
        server.stop()
    assert caught.value.kind == "tls"


def test_concurrent_fetches_keep_their_own_time_caps(feed_server, settings):
    """The watchdog of one fetch never cuts another fetch's socket."""
    settings.FETCH_TIMEOUT_TOTAL = 1
    feed_server.add_route("/drip.xml", behaviour="drip", interval=0.1)
    feed_server.add_route("/ok.xml", body=b"<rss/>" * 1000)
    outcomes: dict[str, object] = {}

    def slow():
        try:
            fetch(feed_server.url("/drip.xml"))
        except FetchError as exc:
            outcomes["slow"] = exc.kind

    thread = threading.Thread(target=slow)
    thread.start()
    for _ in range(20):
        assert len(fetch(feed_server.url("/ok.xml")).content) == 6000
    thread.join(5)
    assert outcomes == {"slow": "timeout"}


def test_a_slow_dns_answer_ends_at_the_connect_cap(settings, monkeypatch):
    """The system resolver is simulated: it answers this one name after 5 s."""
    real = socket.getaddrinfo

    def slow(host, *args, **kwargs):
        if host == "slow-dns.example.com":
            time.sleep(5)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", slow)
    settings.FETCH_TIMEOUT_CONNECT = 1
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch("http://slow-dns.example.com/feed.xml")
    assert caught.value.kind == "dns"
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("coding", ["br", "deflate"])
def test_brotli_and_deflate_bombs_also_stop_at_the_cap(feed_server, coding):
    zeros = b"\0" * (24 * MiB)
    body = brotli.compress(zeros, quality=1) if coding == "br" else zlib.compress(zeros, 9)
    assert len(body) < MiB
    feed_server.add_route("/bomb.xml", body=body, headers={"Content-Encoding": coding})
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/bomb.xml"))
    assert caught.value.kind == "too_large"


def _fetch_kind_in_child(url: str, results) -> None:
    try:
        fetch(url)
        results.put("ok")
    except FetchError as exc:
        results.put(exc.kind)


def test_the_time_cap_still_works_in_a_forked_worker(feed_server, settings):
    """Celery's prefork pool forks after the parent may have fetched: the watchdog restarts."""
    import multiprocessing

    settings.FETCH_TIMEOUT_TOTAL = 1
    feed_server.add_route("/ok.xml", body=b"<rss/>")
    feed_server.add_route("/drip.xml", behaviour="drip", interval=0.1)
    fetch(feed_server.url("/ok.xml"))  # the parent's watchdog is running now
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(
        target=_fetch_kind_in_child, args=(feed_server.url("/drip.xml"), results)
    )
    started = time.monotonic()
    child.start()
    child.join(10)
    assert results.get(timeout=1) == "timeout"
    assert time.monotonic() - started < 4
