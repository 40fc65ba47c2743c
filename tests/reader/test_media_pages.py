"""The reading pane with the media proxy: proxied images by the reader's choice, the player of an
episode with its duration and size, and the thumbnails of the list."""

from __future__ import annotations

import pytest
from django.test import Client

from feeds.media_proxy import url_from_media_path
from tests.factories import EntryFactory, FeedFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

PHOTO = "https://photos.example.org/cat.jpg"
EPISODE = "http://cast.example.org/ep1.mp3"


@pytest.fixture
def episode(alice):
    feed = FeedFactory(url="https://cast.example.org/feed.xml", title="Cast")
    SubscriptionFactory(user=alice, feed=feed)
    return EntryFactory(
        feed=feed,
        content=f'<p>Show notes <img src="{PHOTO}" alt="cat"></p>',
        thumbnail_url=PHOTO,
        enclosures=[{"url": EPISODE, "type": "audio/mpeg", "length": 4_096_000, "duration": 1830}],
    )


def _page(user, entry) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(f"/reader/?show=all&entry={entry.pk}")
    assert response.status_code == 200
    return response.content.decode()


def _signed(path: str) -> str:
    _empty, _media, sig, address = path.split("/")
    return url_from_media_path(sig, address)


def test_an_episode_shows_a_player_through_the_proxy_with_its_duration_and_size(alice, episode):
    page = _page(alice, episode)
    assert "data-player" in page
    assert f'data-entry-id="{episode.pk}"' in page
    src = page.split('<audio controls preload="metadata" src="', 1)[1].split('"', 1)[0]
    assert src.startswith("/media/") and _signed(src) == EPISODE
    assert "30:30" in page
    assert "3.9\xa0MB" in page or "3.9 MB" in page
    assert 'src="' + EPISODE not in page
    assert "data-player-speed" in page


def test_content_images_go_through_the_proxy_and_never_to_the_publisher(alice, episode):
    page = _page(alice, episode)
    assert f'src="{PHOTO}"' not in page
    img = page.split('alt="cat"', 1)[0].rsplit("<img", 1)[1]
    path = img.split('src="', 1)[1].split('"', 1)[0]
    assert _signed(path) == PHOTO


def test_click_to_load_keeps_the_address_aside_until_asked(alice, episode):
    alice.remote_images = "click"
    alice.save(update_fields=["remote_images"])
    page = _page(alice, episode)
    assert 'data-action="load-images"' in page
    assert "data-remote-image" in page
    assert '<img data-src="/media/' in page


def test_images_off_removes_them(alice, episode):
    alice.remote_images = "off"
    alice.save(update_fields=["remote_images"])
    page = _page(alice, episode)
    assert 'alt="cat"' not in page
    assert "e-thumb" not in page
    assert "data-player" in page  # audio is not an image: the player stays


def test_with_the_proxy_off_addresses_stay_as_published(alice, episode, settings):
    settings.MEDIA_PROXY = "off"
    page = _page(alice, episode)
    assert f'src="{PHOTO}"' in page
    assert f'src="{EPISODE}"' in page


def test_http_only_proxies_only_insecure_addresses(alice, episode, settings):
    settings.MEDIA_PROXY = "http-only"
    page = _page(alice, episode)
    assert f'src="{PHOTO}"' in page  # https: loads as published
    assert f'src="{EPISODE}"' not in page  # http: would be mixed content on an https Tidings
