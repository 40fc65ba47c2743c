"""The client APIs (Google Reader, Fever, Miniflux, Nextcloud News, Tiny Tiny RSS) give apps
proxied media addresses when MEDIA_PROXY_CLIENT_APIS is on, the published ones otherwise."""

from __future__ import annotations

import pytest
import requests

from reader.api.compat.integer_ids import integer_entry_id
from tests.compat.conftest import PASSWORD
from tests.compat.ttrss_client import Ttrss
from tests.factories import EntryFactory

pytestmark = pytest.mark.django_db(transaction=True)

PHOTO = "https://photos.example.org/dog.jpg"
EPISODE = "https://cast.example.org/ep.mp3"


@pytest.fixture
def photo_entry(world):
    return EntryFactory(
        feed=world.shared_feed,
        title="With a photo",
        content=f'<p>Look <img src="{PHOTO}" alt="dog"></p>',
        enclosures=[{"url": EPISODE, "type": "audio/mpeg", "length": 10}],
    )


def _greader_item(world, entry) -> dict:
    token = world.greader_login("alice")
    response = world.greader(
        token, "POST", "stream/items/contents", data={"i": str(entry.pk), "output": "json"}
    )
    assert response.status_code == 200, response.text
    (item,) = response.json()["items"]
    return item


def _fever_html(world, entry) -> str:
    items = world.fever("alice", "items", with_ids=str(entry.pk))["items"]
    return items[0]["html"]


def _miniflux_entry(world, entry) -> dict:
    response = requests.get(
        f"{world.base}/v1/entries/{integer_entry_id(entry.pk)}",
        auth=("alice", PASSWORD["alice"]),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()


def _nextcloud_item(world, entry) -> dict:
    response = requests.get(
        f"{world.base}/index.php/apps/news/api/v1-3/items",
        auth=("alice", PASSWORD["alice"]),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return next(i for i in response.json()["items"] if i["id"] == integer_entry_id(entry.pk))


def _ttrss_article(world, entry) -> dict:
    app = Ttrss(world.base)
    app.login("alice")
    [article] = app.ok("getArticle", article_id=str(integer_entry_id(entry.pk)))
    return article


def test_apps_get_the_published_addresses_by_default(world, photo_entry):
    assert f'src="{PHOTO}"' in _fever_html(world, photo_entry)
    item = _greader_item(world, photo_entry)
    assert f'src="{PHOTO}"' in item["content"]["content"]
    assert item["enclosure"][0]["href"] == EPISODE
    assert _nextcloud_item(world, photo_entry)["enclosureLink"] == EPISODE
    assert f'src="{PHOTO}"' in _ttrss_article(world, photo_entry)["content"]


def test_apps_get_absolute_proxied_addresses_when_the_operator_asks(world, photo_entry, settings):
    settings.MEDIA_PROXY_CLIENT_APIS = True
    settings.SITE_URL = world.base
    proxied = f'src="{world.base}/media/'
    assert proxied in _fever_html(world, photo_entry)
    item = _greader_item(world, photo_entry)
    assert proxied in item["content"]["content"]
    assert item["enclosure"][0]["href"].startswith(f"{world.base}/media/")
    miniflux = _miniflux_entry(world, photo_entry)
    assert proxied in miniflux["content"]
    assert miniflux["enclosures"][0]["url"].startswith(f"{world.base}/media/")
    nextcloud = _nextcloud_item(world, photo_entry)
    assert proxied in nextcloud["body"]
    assert nextcloud["enclosureLink"].startswith(f"{world.base}/media/")
    article = _ttrss_article(world, photo_entry)
    assert proxied in article["content"]
    assert article["attachments"][0]["content_url"].startswith(f"{world.base}/media/")
    assert PHOTO not in _fever_html(world, photo_entry)
