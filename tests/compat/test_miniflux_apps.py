"""Replays of what Miniflux apps send, as their public source shows it, against a live server.

- **Flux News** (Flutter; ``lib/miniflux/miniflux_backend.dart``, ``lib/functions/sync_news.dart``):
  the server URL it keeps ends in ``/v1/``. A sync is ``GET me``, ``GET version``, ``PUT entries``
  with the ids read on the phone, then unread entries 100 at a time
  (``entries?status=unread&order=published_at&direction=desc&limit=100&offset=<n>``) until a page
  holds fewer than 100, then ``GET categories`` and per category ``GET categories/<id>/feeds``
  and, for a feed whose ``icon.icon_id`` is not 0, ``GET feeds/<id>/icon``, then starred entries
  the same way (``starred=true``). A star is ``PUT entries/<id>/bookmark``. Its models decode
  fields with strict types (``int``, ``String``, ``bool``): the checks below are theirs.
- **Miniflutt** (Flutter; ``lib/api/miniflux.dart``, ``lib/models/data.dart``): ``GET /v1/me`` to
  check the connection, then one ``GET /v1/entries?status=unread&limit=500&order=published_at
  &direction=desc`` (``status=`` empty to show read ones too, ``starred=1`` for starred), and it
  builds its feed and category lists from each entry's ``feed`` and ``feed.category``; marks
  are ``PUT /v1/entries`` and ``PUT /v1/entries/<id>/bookmark``; feeds are managed with
  ``GET/POST /v1/feeds``, ``PUT/DELETE /v1/feeds/<id>``, ``PUT /v1/feeds/refresh``.

Both send the personal API token as ``X-Auth-Token``.
"""

from __future__ import annotations

import base64

import pytest
import requests

from accounts import services as accounts
from reader import selectors
from reader.api.compat.integer_ids import integer_entry_id
from tests.factories import FeedFactory, SubscriptionFactory, entries

pytestmark = pytest.mark.django_db(transaction=True)

PAGE = 100


class App:
    """An app's HTTP client: its server URL (ending in ``/v1/``) and its API key."""

    def __init__(self, base: str, token: str) -> None:
        self.url = f"{base}/v1/"
        self.headers = {"X-Auth-Token": token, "Accept": "application/json"}
        self.log: list[str] = []

    def send(self, method: str, path: str, **kwargs) -> requests.Response:
        self.log.append(f"{method} {path}")
        return requests.request(method, self.url + path, headers=self.headers, timeout=30, **kwargs)


@pytest.fixture
def big(world):
    """Alice also follows a busy feed: 230 entries, so unread paging takes three pages."""
    busy = FeedFactory(title="Busy", url="https://feeds.example.org/busy.xml")
    SubscriptionFactory(user=world.alice, feed=busy, category=world.tech)
    world.busy_entries = entries(busy, 230)
    return world


@pytest.fixture
def alice_app(world) -> App:
    _token, raw = accounts.token_create(user=world.alice, name="phone")
    return App(world.base, raw)


def _strict_entry(entry: dict) -> None:
    """The types Flux News' ``News.fromJson`` and Miniflutt's ``Entry.fromJson`` require."""
    for key in ("id", "feed_id", "reading_time", "user_id"):
        assert type(entry[key]) is int, key
    for key in ("title", "url", "comments_url", "share_code", "content", "hash", "status"):
        assert type(entry[key]) is str, key
    for key in ("published_at", "created_at"):
        assert type(entry[key]) is str, key
    assert type(entry["starred"]) is bool
    assert type(entry["feed"]["title"]) is str and type(entry["feed"]["icon"]["icon_id"]) is int
    assert type(entry["feed"]["category"]["id"]) is int
    assert type(entry["feed"]["category"]["title"]) is str
    for enclosure in entry["enclosures"]:
        for key in ("id", "entry_id"):
            assert type(enclosure[key]) is int
        assert type(enclosure["url"]) is str and type(enclosure["mime_type"]) is str


def _paged(app: App, **filters) -> tuple[list[dict], int]:
    """Flux News' loop: pages of 100 at growing offsets until a short page."""
    found, offset, total = [], 0, None
    while True:
        response = app.send(
            "GET",
            "entries",
            params={
                **filters,
                "order": "published_at",
                "direction": "desc",
                "limit": PAGE,
                "offset": offset,
            },
        )
        assert response.status_code == 200, response.text
        body = response.json()
        total = body["total"] if total is None else total
        assert body["total"] == total  # "this is the same count for every iteration"
        found += body["entries"]
        if len(body["entries"]) < PAGE:
            return found, total
        offset += PAGE


def test_flux_news_sync_pages_unread_entries_to_the_end(big, alice_app):
    world = big
    app = alice_app
    assert app.send("GET", "me").status_code == 200
    version = app.send("GET", "version").json()
    assert all(type(version[k]) is str for k in ("version", "commit", "build_date", "go_version"))
    assert int("".join(ch for ch in version["version"] if ch.isdigit())) > 0

    # The ids read on the phone since the last sync go first.
    read_on_phone = [integer_entry_id(e.pk) for e in world.busy_entries[:30]]
    response = app.send("PUT", "entries", json={"entry_ids": read_on_phone, "status": "read"})
    assert response.status_code == 204

    unread, total = _paged(app, status="unread")
    expected = selectors.unread_counts(user=world.alice)["total"]
    assert total == len(unread) == expected == 5 + 3 + 200
    ids = [e["id"] for e in unread]
    assert len(set(ids)) == len(ids) and not set(read_on_phone) & set(ids)
    assert [e["published_at"] for e in unread] == sorted(
        (e["published_at"] for e in unread), reverse=True
    )
    for entry in unread:
        _strict_entry(entry)
        assert entry["status"] == "unread"

    categories = app.send("GET", "categories").json()
    assert {c["id"] for c in categories} == {0, world.tech.pk}
    feeds = []
    for category in categories:
        response = app.send("GET", f"categories/{category['id']}/feeds")
        assert response.status_code == 200
        for feed in response.json():
            assert type(feed["id"]) is int and type(feed["site_url"]) is str
            assert type(feed["crawler"]) is bool
            feeds.append(feed["id"])
            if feed["icon"]["icon_id"] != 0:
                icon = app.send("GET", f"feeds/{feed['id']}/icon").json()
                assert base64.b64decode(icon["data"].split(",")[-1])
                assert type(icon["mime_type"]) is str
    assert sorted(feeds) == sorted(s.feed_id for s in selectors.subscription_list(user=world.alice))

    star = unread[0]["id"]
    assert app.send("PUT", f"entries/{star}/bookmark").status_code == 204
    starred, starred_total = _paged(app, starred="true")
    assert [e["id"] for e in starred] == [star] and starred_total == 1


def test_flux_news_gets_404_for_another_users_entry_and_feed(world, alice_app):
    only_bob = FeedFactory(title="Bob only", url="https://feeds.example.org/bob.xml")
    SubscriptionFactory(user=world.bob, feed=only_bob)
    (foreign,) = entries(only_bob, 1)
    foreign_id = integer_entry_id(foreign.pk)
    for method, path in (
        ("PUT", f"entries/{foreign_id}/bookmark"),
        ("GET", f"entries/{foreign_id}"),
        ("GET", f"feeds/{only_bob.pk}/icon"),
        ("GET", f"feeds/{only_bob.pk}/entries"),
    ):
        response = alice_app.send(method, path)
        assert response.status_code == 404, (method, path)
        assert response.json() == {"error_message": "Resource Not Found"}
    # A read mark on it is skipped, as every batch skips ids one cannot see.
    body = {"entry_ids": [foreign_id], "status": "read"}
    assert alice_app.send("PUT", "entries", json=body).status_code == 204
    assert not selectors.entry_get(user=world.bob, entry_id=foreign.pk).is_read


def test_miniflutt_refresh_builds_its_lists_from_the_entries(world, alice_app):
    app = alice_app
    app.url = app.url.rstrip("/")  # Miniflutt appends "/v1/..." to the URL typed
    app.url = app.url[: -len("/v1")]
    assert app.send("GET", "/v1/me").status_code == 200
    params = {"status": "unread", "limit": "500", "order": "published_at", "direction": "desc"}
    body = app.send("GET", "/v1/entries", params=params).json()
    assert len(body["entries"]) == 8
    feeds = {e["feed"]["id"]: e["feed"] for e in body["entries"]}
    categories = {f["category"]["id"]: f["category"]["title"] for f in feeds.values()}
    assert categories == {world.tech.pk: "Tech", 0: "Uncategorized"}
    # "Show read" sends an empty status; "starred only" adds starred=1.
    everything = app.send("GET", "/v1/entries", params={**params, "status": ""}).json()
    assert everything["total"] == 8
    first = body["entries"][0]["id"]
    assert app.send("PUT", f"/v1/entries/{first}/bookmark", json={}).status_code == 204
    starred = app.send("GET", "/v1/entries", params={**params, "starred": "1"}).json()
    assert [e["id"] for e in starred["entries"]] == [first]
    response = app.send("PUT", "/v1/entries", json={"entry_ids": [first], "status": "read"})
    assert response.status_code == 204
    assert app.send("GET", "/v1/entries", params=params).json()["total"] == 7
    assert app.send("PUT", "/v1/feeds/refresh", json={}).status_code == 204
    feed_list = app.send("GET", "/v1/feeds").json()
    assert {f["id"] for f in feed_list} == set(feeds)
    renamed = app.send("PUT", f"/v1/feeds/{world.private_feed.pk}", json={"title": "Private"})
    assert renamed.status_code == 201 and renamed.json()["title"] == "Private"
