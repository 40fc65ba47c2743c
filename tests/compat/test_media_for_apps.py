"""The client APIs give apps proxied media addresses when MEDIA_PROXY_CLIENT_APIS is on."""

from __future__ import annotations

import pytest
import requests

from reader.api.miniflux.shapes import integer_entry_id
from tests.compat.conftest import PASSWORD
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


def test_apps_get_the_published_addresses_by_default(world, photo_entry):
    assert f'src="{PHOTO}"' in _fever_html(world, photo_entry)
    item = _greader_item(world, photo_entry)
    assert f'src="{PHOTO}"' in item["content"]["content"]
    assert item["enclosure"][0]["href"] == EPISODE


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
    assert PHOTO not in _fever_html(world, photo_entry)
