"""The media proxy (/media/<signature>/<address>): what it serves, streams and refuses.

Real HTTP over loopback: the "publisher" is tests/feedserver.py, reached by the example host
names the fetch guard's test resolver maps to it; the Django test client asks Tidings.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import tracemalloc

import pytest
from django.test import Client

from feeds.media_proxy import media_path, media_url_for, signature

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(range(256)) * 40


@pytest.fixture
def client() -> Client:
    return Client()


def _body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def test_a_signed_image_address_is_served_with_strict_headers_and_no_cookie(client, feed_server):
    feed_server.add_route("/img/a.png", body=PNG, headers={"Content-Type": "image/png"})
    response = client.get(media_path(feed_server.url("/img/a.png")))
    assert response.status_code == 200
    assert _body(response) == PNG
    assert response["Content-Type"] == "image/png"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert "sandbox" in response["Content-Security-Policy"]
    assert "max-age=" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert not response.cookies
    assert "Set-Cookie" not in response


def test_a_signed_in_reader_costs_no_query_and_gets_no_vary_cookie(
    client, feed_server, alice, django_assert_num_queries
):
    feed_server.add_route("/img/s.png", body=PNG, headers={"Content-Type": "image/png"})
    client.force_login(alice)
    path = media_path(feed_server.url("/img/s.png"))
    with django_assert_num_queries(0):
        response = client.get(path)
        assert _body(response) == PNG
    assert "Cookie" not in response.get("Vary", "")
    assert "Set-Cookie" not in response


def test_the_publisher_sees_only_tidings_and_nothing_of_the_reader(client, feed_server):
    feed_server.add_route("/img/b.png", body=PNG, headers={"Content-Type": "image/png"})
    client.cookies["sessionid"] = "reader-session"
    client.get(
        media_path(feed_server.url("/img/b.png")),
        HTTP_USER_AGENT="ReadersBrowser/1.0",
        HTTP_REFERER="https://tidings.example/reader/?entry=1",
    )
    (seen,) = feed_server.requests_for("/img/b.png")
    assert seen.headers["User-Agent"].startswith("Tidings/")
    assert "Cookie" not in seen.headers
    assert "Referer" not in seen.headers


def test_an_unsigned_or_tampered_address_is_refused_without_fetching(client, feed_server):
    feed_server.add_route("/img/c.png", body=PNG, headers={"Content-Type": "image/png"})
    good = media_path(feed_server.url("/img/c.png"))
    other = media_path(feed_server.url("/img/other.png"))
    _prefix, _media, sig, address = good.split("/")
    tampered_sig = ("A" if sig[0] != "A" else "B") + sig[1:]
    for path in (
        f"/media/{tampered_sig}/{address}",
        f"/media/{sig}/{other.rsplit('/', 1)[1]}",
        f"/media/{sig}/{address}AA",
        f"/media/{sig}/not*base64",
        "/media/x/aHR0cDovL2V4YW1wbGUub3JnLw",
    ):
        response = client.get(path)
        assert response.status_code == 403, path
        assert response["Content-Type"].startswith("text/plain")
    assert feed_server.hits("/img/c.png") == 0
    assert feed_server.hits("/img/other.png") == 0


def test_a_signature_made_with_a_previous_secret_key_still_works(client, feed_server, settings):
    feed_server.add_route("/img/d.png", body=PNG, headers={"Content-Type": "image/png"})
    path = media_path(feed_server.url("/img/d.png"))
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-for-the-media-proxy-test-0123456789-abcdef"
    assert client.get(path).status_code == 200


@pytest.mark.parametrize(
    "address",
    [
        "http://127.0.0.1:{port}/img/e.png",
        "http://[::1]:{port}/img/e.png",
        "http://10.0.0.1:{port}/img/e.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://internal-alias.example.net:{port}/img/e.png",
    ],
)
def test_private_and_loopback_addresses_are_refused(client, feed_server, address):
    feed_server.add_route("/img/e.png", body=PNG, headers={"Content-Type": "image/png"})
    response = client.get(media_path(address.format(port=feed_server.port)))
    assert response.status_code == 403
    assert feed_server.hits("/img/e.png") == 0
    assert b"127.0.0.1" not in response.content and b"internal" not in response.content


def test_the_operator_allowlist_lets_a_loopback_address_through(client, feed_server, settings):
    feed_server.add_route("/img/f.png", body=PNG, headers={"Content-Type": "image/png"})
    address = feed_server.url("/img/f.png", host="127.0.0.1")
    assert client.get(media_path(address)).status_code == 403
    settings.FETCH_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    response = client.get(media_path(address))
    assert response.status_code == 200
    assert _body(response) == PNG


def test_a_redirect_to_a_private_address_is_refused(client, feed_server):
    target = feed_server.url("/img/g.png", host="127.0.0.1")
    feed_server.add_route("/img/g.png", body=PNG, headers={"Content-Type": "image/png"})
    feed_server.add_route("/img/moved.png", status=302, headers={"Location": target})
    response = client.get(media_path(feed_server.url("/img/moved.png")))
    assert response.status_code == 403
    assert feed_server.hits("/img/moved.png") == 1
    assert feed_server.hits("/img/g.png") == 0


@pytest.mark.parametrize(
    "content_type",
    ["text/html; charset=utf-8", "image/svg+xml", "application/javascript", "text/plain"],
)
def test_a_body_that_is_not_image_audio_or_video_is_refused(client, feed_server, content_type):
    body = b"<html><script>alert(document.cookie)</script></html>"
    feed_server.add_route("/img/h", body=body, headers={"Content-Type": content_type})
    address = feed_server.url("/img/h")
    response = client.get(media_path(address))
    assert response.status_code == 502
    assert response["Content-Type"].startswith("text/plain")
    assert b"<script" not in response.content
    assert address.encode() not in response.content
    assert b"feeds.example.org" not in response.content


def test_an_unlabelled_body_is_served_when_its_first_bytes_say_it_is_media(client, feed_server):
    feed_server.add_route(
        "/audio/episode", body=MP3, headers={"Content-Type": "application/octet-stream"}
    )
    feed_server.add_route(
        "/audio/page",
        body=b"<html>hello</html>",
        headers={"Content-Type": "application/octet-stream"},
    )
    response = client.get(media_path(feed_server.url("/audio/episode")))
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/mpeg"
    assert _body(response) == MP3
    assert client.get(media_path(feed_server.url("/audio/page"))).status_code == 502


def test_a_declared_body_over_the_cap_is_refused_before_it_is_read(client, feed_server, settings):
    settings.MEDIA_PROXY_MAX_BYTES = 1000
    feed_server.add_route("/img/big.png", body=PNG * 4, headers={"Content-Type": "image/png"})
    response = client.get(media_path(feed_server.url("/img/big.png")))
    assert response.status_code == 502
    assert b"too large" in response.content


def test_an_undeclared_body_is_cut_at_the_cap(client, settings):
    """A body without Content-Length (read until the server closes) ends at the cap."""
    settings.MEDIA_PROXY_MAX_BYTES = 200_000
    settings.FETCH_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _address = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: audio/mpeg\r\nConnection: close\r\n\r\n"
            )
            with contextlib.suppress(OSError):
                for _ in range(40):
                    conn.sendall(MP3)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        response = client.get(media_path(f"http://127.0.0.1:{port}/long.mp3"))
        assert response.status_code == 200
        received = _body(response)
    finally:
        listener.close()
        thread.join(5)
    assert 0 < len(received) <= 200_000 < len(MP3) * 40


def test_a_range_request_is_passed_on_and_answered_with_partial_content(client, feed_server):
    def ranged(request):
        spec = request.headers.get("Range", "")
        if spec.startswith("bytes="):
            start, _dash, end = spec[6:].partition("-")
            first, last = int(start), int(end) if end else len(MP3) - 1
            return {
                "status": 206,
                "headers": {
                    "Content-Type": "audio/mpeg",
                    "Accept-Ranges": "bytes",
                    "Content-Range": f"bytes {first}-{last}/{len(MP3)}",
                },
                "body": MP3[first : last + 1],
            }
        return {"status": 200, "headers": {"Content-Type": "audio/mpeg"}, "body": MP3}

    feed_server.add_route("/audio/seek.mp3", handler=ranged)
    response = client.get(
        media_path(feed_server.url("/audio/seek.mp3")), HTTP_RANGE="bytes=100-199"
    )
    assert response.status_code == 206
    assert _body(response) == MP3[100:200]
    assert response["Content-Range"] == f"bytes 100-199/{len(MP3)}"
    assert response["Accept-Ranges"] == "bytes"
    (seen,) = feed_server.requests_for("/audio/seek.mp3")
    assert seen.headers["Range"] == "bytes=100-199"


def test_a_revalidation_is_passed_on_and_answered_not_modified(client, feed_server):
    feed_server.add_route(
        "/img/cached.png", body=PNG, headers={"Content-Type": "image/png"}, etag='"v1"'
    )
    path = media_path(feed_server.url("/img/cached.png"))
    first = client.get(path)
    assert first["ETag"] == '"v1"'
    again = client.get(path, HTTP_IF_NONE_MATCH='"v1"')
    assert again.status_code == 304
    assert again.content == b""


def test_a_missing_file_is_a_404_and_a_broken_server_a_502(client, feed_server):
    feed_server.add_route("/img/missing.png", status=404, body=b"nope")
    feed_server.add_route("/img/broken.png", status=500, body=b"oops")
    assert client.get(media_path(feed_server.url("/img/missing.png"))).status_code == 404
    assert client.get(media_path(feed_server.url("/img/broken.png"))).status_code == 502


def test_only_get_and_head_are_answered(client, feed_server):
    feed_server.add_route("/img/i.png", body=PNG, headers={"Content-Type": "image/png"})
    path = media_path(feed_server.url("/img/i.png"))
    head = client.head(path)
    assert head.status_code == 200
    assert head["Content-Type"] == "image/png"
    assert client.post(path).status_code == 405


def test_a_large_file_streams_in_constant_memory(client, feed_server, settings):
    size = 48 * 1024 * 1024
    big = b"\x00\x00\x00\x18ftypmp42" + bytes(size - 12)
    feed_server.add_route("/video/big.mp4", body=big, headers={"Content-Type": "video/mp4"})
    path = media_path(feed_server.url("/video/big.mp4"))
    tracemalloc.start()
    try:
        response = client.get(path)
        received = 0
        for piece in response.streaming_content:
            received += len(piece)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert received == size
    assert peak < 4 * 1024 * 1024, f"peak {peak / 1048576:.1f} MiB while streaming 48 MiB"


def test_addresses_follow_the_proxy_mode():
    http_url, https_url = "http://example.org/a.png", "https://example.org/b.png"
    assert media_url_for(https_url, mode="off") == https_url
    assert media_url_for(http_url, mode="http-only").startswith("/media/")
    assert media_url_for(https_url, mode="http-only") == https_url
    assert media_url_for(https_url, mode="all").startswith("/media/")
    assert media_url_for(https_url, mode="all", origin="https://t.example").startswith(
        "https://t.example/media/"
    )
    assert media_url_for("", mode="all") == ""


def test_a_signature_depends_on_the_whole_address():
    assert signature("https://example.org/a.png") != signature("https://example.org/a.png?")
    assert len(signature("https://example.org/a.png")) == 24
