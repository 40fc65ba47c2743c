"""Privacy and media in a real Chromium: entry images load through Tidings' media proxy and the
page asks no other origin; an enclosure plays through the proxy, seeks, and its position survives
a reload and shows through the REST API.

The "publisher" is the loopback feed server reached by IP (``fetch_loopback`` lets the live
server's proxy fetch from 127.0.0.0/8); it logs every request it gets, so the test can tell
Tidings' requests (User-Agent ``Tidings/...``) from the browser's.
"""

from __future__ import annotations

import io
import struct
import uuid
import wave
import zlib

import pytest

from feeds.models import Entry
from reader.models import PlaybackPosition
from tests.ui.conftest import make_reader, seed_subscription, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def png(width: int, height: int) -> bytes:
    """A valid RGB PNG of ``width`` x ``height`` red pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + b"\xc8\x1e\x1e" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def wav(seconds: int, rate: int = 22050) -> bytes:
    """A mono 16-bit PCM WAV of ``seconds`` of a quiet square wave."""
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        period = rate // 220
        frame = b"".join(
            struct.pack("<h", 800 if (i % period) < period // 2 else -800) for i in range(period)
        )
        writer.writeframes(frame * (rate * seconds // period))
    return out.getvalue()


def ranged_handler(body: bytes, content_type: str):
    """A feed-server handler answering ``Range: bytes=a-b`` with 206, like a media host."""

    def handle(request):
        spec = request.headers.get("Range", "")
        headers = {"Content-Type": content_type, "Accept-Ranges": "bytes"}
        if not spec.startswith("bytes="):
            return {"status": 200, "headers": headers, "body": body}
        start, _dash, end = spec[6:].split(",")[0].partition("-")
        first = int(start or 0)
        last = min(int(end), len(body) - 1) if end else len(body) - 1
        headers["Content-Range"] = f"bytes {first}-{last}/{len(body)}"
        return {"status": 206, "headers": headers, "body": body[first : last + 1]}

    return handle


def foreign_requests(urls: list[str], origin: str) -> list[str]:
    """The requests of ``urls`` that went to another origin than ``origin``."""
    return [u for u in urls if not u.startswith(origin + "/") and not u.startswith("data:")]


def test_entry_images_load_through_tidings_and_the_page_asks_no_other_origin(
    open_page, fetch_loopback
):
    user = make_reader("alice")
    slug = uuid.uuid4().hex[:10]
    publisher = fetch_loopback.base_url("127.0.0.1")
    for name, size in (("a.png", (40, 30)), ("b.png", (80, 60)), ("c.png", (20, 20))):
        fetch_loopback.add_route(
            f"/{slug}/{name}", body=png(*size), headers={"Content-Type": "image/png"}
        )
    content = (
        f'<p>A photo: <img src="{publisher}/{slug}/a.png" alt="a" width="40" height="30"></p>'
        f'<picture><source srcset="{publisher}/{slug}/b.png 2x">'
        f'<img src="{publisher}/{slug}/c.png" alt="c"></picture>'
    )
    subscription = seed_subscription(user, "Photo Blog", entries=1, content=content)
    entry = Entry.objects.get(feed=subscription.feed)
    page = open_page()
    seen: list[str] = []
    page.page.on("request", lambda request: seen.append(request.url))
    page.login("alice")
    page.go(f"/reader/?show=all&entry={entry.pk}")
    page.page.wait_for_function(
        "() => { const images = [...document.querySelectorAll('.pane-entry .entry-content img')];"
        " return images.length === 2 && images.every(i => i.complete && i.naturalWidth > 0); }"
    )
    sources = page.page.eval_on_selector_all(
        ".pane-entry .entry-content img", "images => images.map(i => i.currentSrc)"
    )
    assert all(src.startswith(page.base_url + "/media/") for src in sources), sources
    assert foreign_requests(seen, page.base_url) == []
    logged = [r for r in fetch_loopback.requests if r.path.startswith(f"/{slug}/")]
    assert logged, "Tidings fetched nothing from the publisher"
    assert all(r.headers.get("User-Agent", "").startswith("Tidings/") for r in logged)
    page.shot("media-proxy-images")


def test_click_to_load_shows_images_only_after_the_click(open_page, fetch_loopback):
    user = make_reader("bob", remote_images="click")
    slug = uuid.uuid4().hex[:10]
    publisher = fetch_loopback.base_url("127.0.0.1")
    fetch_loopback.add_route(
        f"/{slug}/d.png", body=png(30, 30), headers={"Content-Type": "image/png"}
    )
    content = f'<p><img src="{publisher}/{slug}/d.png" alt="d"></p>'
    subscription = seed_subscription(user, "Lazy Blog", entries=1, content=content)
    entry = Entry.objects.get(feed=subscription.feed)
    page = open_page()
    page.login("bob")
    page.go(f"/reader/?show=all&entry={entry.pk}")
    image = page.page.locator(".pane-entry .entry-content img")
    assert image.get_attribute("src") is None
    assert not image.is_visible()
    assert fetch_loopback.hits(f"/{slug}/d.png") == 0
    page.page.click(".pane-entry [data-action=load-images]")
    page.page.wait_for_function(
        "() => { const i = document.querySelector('.pane-entry .entry-content img');"
        " return i.complete && i.naturalWidth === 30; }"
    )
    assert fetch_loopback.hits(f"/{slug}/d.png") == 1
    assert image.is_visible()
    assert not page.page.locator(".pane-entry [data-action=load-images]").is_visible()


def test_an_enclosure_plays_through_the_proxy_seeks_and_its_position_survives_a_reload(
    open_page, fetch_loopback
):
    user = make_reader("charlie", mark_read_on_open=False)
    slug = uuid.uuid4().hex[:10]
    audio = wav(30)
    fetch_loopback.add_route(f"/{slug}/episode.wav", handler=ranged_handler(audio, "audio/wav"))
    address = fetch_loopback.url(f"/{slug}/episode.wav", host="127.0.0.1")
    subscription = seed_subscription(user, "Podcast", entries=1)
    entry = Entry.objects.get(feed=subscription.feed)
    entry.enclosures = [{"url": address, "type": "audio/wav", "length": len(audio), "duration": 30}]
    entry.save(update_fields=["enclosures"])
    page = open_page()
    seen: list[str] = []
    page.page.on("request", lambda request: seen.append(request.url))
    page.login("charlie")
    page.go(f"/reader/?show=all&entry={entry.pk}")
    player = page.page.locator(".pane-entry [data-player]")
    assert "0:30" in player.inner_text()
    assert player.locator("audio").get_attribute("src").startswith("/media/")
    page.page.wait_for_selector('.pane-entry [data-player][data-restored="1"]')
    page.page.evaluate(
        """async () => {
            const a = document.querySelector('.pane-entry [data-player] audio');
            a.muted = true;
            await a.play();
            const seeked = new Promise(done => a.addEventListener('seeked', done, {once: true}));
            a.currentTime = 17;
            await seeked;
            a.pause();
        }"""
    )
    assert wait_until(
        lambda: PlaybackPosition.objects.filter(user=user, entry=entry, position__gte=16).exists(),
        timeout=15,
    )
    logged = [r for r in fetch_loopback.requests if r.path == f"/{slug}/episode.wav"]
    assert any(r.headers.get("Range", "").startswith("bytes=") for r in logged)
    assert all(r.headers.get("User-Agent", "").startswith("Tidings/") for r in logged)

    page.page.reload()
    page.page.wait_for_selector('.pane-entry [data-player][data-restored="1"]')
    position = page.page.eval_on_selector(".pane-entry [data-player] audio", "a => a.currentTime")
    assert 16 <= position <= 18
    page.shot("media-player")
    answer = page.page.request.get(f"{page.base_url}/api/v1/entries/{entry.pk}/playback/")
    assert answer.ok
    assert 16 <= answer.json()["position"] <= 18

    # Played to the end: the entry is marked read (the preference is on by default).
    page.page.wait_for_selector('.pane-entry [data-entry-view][data-read="0"]')
    page.page.evaluate(
        """async () => {
            const a = document.querySelector('.pane-entry [data-player] audio');
            a.muted = true;
            a.currentTime = 28.5;
            const ended = new Promise(done => a.addEventListener('ended', done, {once: true}));
            await a.play();
            await ended;
        }"""
    )
    page.page.wait_for_selector('.pane-entry [data-entry-view][data-read="1"]')
    entry_json = page.page.request.get(f"{page.base_url}/api/v1/entries/{entry.pk}/").json()
    assert entry_json["read"] is True
    assert foreign_requests(seen, page.base_url) == []
