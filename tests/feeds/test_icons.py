"""Feed icons (feeds.pipeline.icons) through the loopback server, and the letter avatar."""

from __future__ import annotations

import struct
import zlib

import pytest

from feeds.models import Feed, FeedIcon
from feeds.pipeline.icons import (
    ICON_MAX_BYTES,
    find_icon_links,
    icon_for_feed,
    icon_refresh,
    letter_avatar,
    sniff_image_type,
)

pytestmark = pytest.mark.django_db


def png(size: int = 1) -> bytes:
    """A valid size x size black PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + b"\x00" * (size * 3) for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


ICO = b"\x00\x00\x01\x00\x01\x00\x10\x10" + b"\x00" * 100


def page(links: str) -> bytes:
    return (
        f"<!doctype html><html><head><title>Site</title>{links}</head><body></body></html>".encode()
    )


@pytest.fixture
def feed(feed_server):
    return Feed.objects.create(
        url=feed_server.url("/feed.xml"), site_url=feed_server.url("/"), title="Harbour News"
    )


def test_the_page_icon_link_is_fetched_and_stored(feed_server, feed):
    feed_server.add_route("/", body=page('<link rel="shortcut icon" href="/img/fav.png">'))
    feed_server.add_route("/img/fav.png", body=png(), headers={"Content-Type": "image/png"})
    icon = icon_refresh(feed=feed)
    assert icon is not None
    stored = FeedIcon.objects.get(feed=feed)
    assert (stored.url, stored.content_type, bytes(stored.data)) == (
        feed_server.url("/img/fav.png"),
        "image/png",
        png(),
    )
    accept = feed_server.requests_for("/img/fav.png")[0].headers["Accept"]
    assert accept.startswith("image/")


def test_without_a_link_the_favicon_ico_is_used(feed_server, feed):
    feed_server.add_route("/", body=page(""))
    feed_server.add_route("/favicon.ico", body=ICO, headers={"Content-Type": "text/plain"})
    icon_refresh(feed=feed)
    assert icon_for_feed(Feed.objects.select_related("icon").get(pk=feed.pk)) == (
        "image/x-icon",
        ICO,
    )


def test_apple_touch_icons_come_after_plain_icon_links(feed_server):
    html = page(
        '<link rel="apple-touch-icon" href="/touch.png">'
        '<link rel="icon" type="image/png" href="/i.png">'
    )
    assert find_icon_links(html, "https://example.org/") == [
        "https://example.org/i.png",
        "https://example.org/touch.png",
    ]


def test_an_apple_touch_icon_is_used_when_it_is_the_only_link(feed_server, feed):
    feed_server.add_route("/", body=page('<link rel="apple-touch-icon" href="touch.png">'))
    feed_server.add_route("/touch.png", body=png(2))
    assert icon_refresh(feed=feed).url == feed_server.url("/touch.png")


def test_svg_icons_html_soft_404s_and_oversized_images_are_not_stored(feed_server, feed):
    feed_server.add_route(
        "/",
        body=page(
            '<link rel="icon" href="/i.svg"><link rel="icon" href="/soft404.png">'
            '<link rel="icon" href="/huge.png">'
        ),
    )
    feed_server.add_route(
        "/i.svg", body=b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    )
    feed_server.add_route("/soft404.png", body=page(""), headers={"Content-Type": "image/png"})
    feed_server.add_route("/huge.png", body=png() + b"\x00" * ICON_MAX_BYTES)
    feed_server.add_route("/favicon.ico", status=404)
    assert icon_refresh(feed=feed) is None
    assert not FeedIcon.objects.filter(feed=feed).exists()
    assert feed_server.hits("/i.svg") == 0


def test_icon_links_to_internal_addresses_are_never_fetched(feed_server, feed):
    feed_server.add_route("/", body=page('<link rel="icon" href="http://127.0.0.1:9/x.png">'))
    feed_server.add_route("/favicon.ico", body=ICO)
    assert (
        find_icon_links(page('<link rel="icon" href="http://10.0.0.1/x.png">'), "https://e.org/")
        == []
    )
    assert icon_refresh(feed=feed).url == feed_server.url("/favicon.ico")


def test_a_failed_refresh_keeps_the_existing_icon(feed_server, feed):
    FeedIcon.objects.create(
        feed=feed, url="https://old.example/i.png", content_type="image/png", data=png()
    )
    feed_server.add_route("/", status=500)
    assert icon_refresh(feed=feed) is None
    assert bytes(FeedIcon.objects.get(feed=feed).data) == png()


def test_the_site_falls_back_to_the_feed_origin(feed_server):
    feed = Feed.objects.create(url=feed_server.url("/blog/feed.xml"))
    feed_server.add_route("/favicon.ico", body=ICO)
    assert icon_refresh(feed=feed) is not None
    assert feed_server.hits("/") == 1


def test_a_feed_without_icon_gets_a_letter_avatar(feed):
    content_type, data = icon_for_feed(feed)
    assert content_type == "image/svg+xml"
    svg = data.decode()
    assert svg.startswith("<svg") and ">H</text>" in svg
    assert "<script" not in svg


def test_the_avatar_letter_is_escaped_and_the_colour_stable():
    assert letter_avatar("Harbour") == letter_avatar("Harbour")
    assert letter_avatar("Harbour") != letter_avatar("Lighthouse")
    assert b">?</text>" in letter_avatar("<&>")
    assert b">\xc3\x89</text>" in letter_avatar("  étoile")
    hostile = letter_avatar('"><script>alert(1)</script>')
    assert b"<script" not in hostile and b">S</text>" in hostile


def test_the_avatar_uses_the_host_when_the_feed_has_no_title():
    feed = Feed(url="https://zebra.example.org/feed.xml", title="")
    assert b">Z</text>" in icon_for_feed(feed)[1]
    untitled = Feed(url="http://www.smbc-comics.com/rss.php", title="")  # not yet fetched
    assert b">S</text>" in icon_for_feed(untitled)[1]


def test_icon_for_feed_costs_no_query_with_select_related(feed, django_assert_num_queries):
    FeedIcon.objects.create(feed=feed, url="https://x/i.png", content_type="image/png", data=png())
    loaded = Feed.objects.select_related("icon").get(pk=feed.pk)
    with django_assert_num_queries(0):
        assert icon_for_feed(loaded) == ("image/png", png())


def test_image_types_are_sniffed_from_magic_bytes():
    assert sniff_image_type(png()) == "image/png"
    assert sniff_image_type(b"GIF89a....") == "image/gif"
    assert sniff_image_type(b"\xff\xd8\xff\xe0....") == "image/jpeg"
    assert sniff_image_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff_image_type(ICO) == "image/x-icon"
    assert sniff_image_type(b"<svg></svg>") is None
    assert sniff_image_type(b"<html>") is None
