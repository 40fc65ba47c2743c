"""The request sequence of the Nextcloud News Android app, replayed against a live server.

Restated from the app's public source (``nextcloud/news-android``: ``NewsAPI.java``,
``RssItemObservable.java``, ``ItemStateSync.java``), API v1.2:

1. ``GET version``, ``GET user``, ``GET folders``, ``GET feeds``.
2. First sync: ``GET items?batchSize=300&offset=<highest id stored>&type=3&id=0&
   getRead=false&oldestFirst=true`` again and again until a page is short (offset 0 at
   first); then the starred items the same way (``type=2``, offset the lowest starred id
   stored, or 0).
3. Local marks go out as ``PUT items/read/multiple`` / ``unread/multiple`` with
   ``{"items": [ids]}`` and ``PUT items/star/multiple`` / ``unstar/multiple`` with
   ``{"items": [{"feedId", "guidHash"}]}``, at most 300 ids per request.
4. Later syncs: ``GET items/updated?lastModified=<newest lastModified stored + 1>&type=3&
   id=<highest id stored>``, and the items are stored over the old ones.

The replay uses pages of 3 instead of 300 so that paging to the end takes several pages.
"""

from __future__ import annotations

import time

import pytest
import requests

from reader import selectors, services
from reader.api.compat.integer_ids import integer_entry_id
from reader.models import EntryState
from tests.compat.conftest import PASSWORD
from tests.factories import FeedFactory, SubscriptionFactory, entries

pytestmark = pytest.mark.django_db(transaction=True)

BATCH = 3


class AndroidApp:
    """The app's local store: items by id, as the API gave them."""

    def __init__(self, world) -> None:
        self.world = world
        self.items: dict[int, dict] = {}
        self.api = f"{world.base}/index.php/apps/news/api/v1-2/"

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        auth = ("alice", PASSWORD["alice"])
        return requests.request(method, self.api + path, auth=auth, timeout=10, **kwargs)

    def get(self, path: str, **params) -> dict:
        answer = self.call("GET", path, params=params)
        assert answer.status_code == 200, (path, answer.text)
        return answer.json()

    def store(self, items: list[dict]) -> int:
        for item in items:
            self.items[item["id"]] = item
        return len(items)

    def first_sync(self) -> int:
        requests_made = 0
        offset = 0
        while True:
            page = self.get(
                "items", batchSize=BATCH, offset=offset, type=3, id=0,
                getRead="false", oldestFirst="true",
            )["items"]  # fmt: skip
            requests_made += 1
            if self.store(page):
                offset = max(self.items)
            if len(page) < BATCH:
                break
        while True:
            starred = [i for i, item in self.items.items() if item["starred"]]
            page = self.get(
                "items", batchSize=BATCH, offset=min(starred, default=0), type=2, id=0,
                getRead="false", oldestFirst="true",
            )["items"]  # fmt: skip
            requests_made += 1
            if self.store(page) < BATCH:
                return requests_made

    def incremental_sync(self) -> list[dict]:
        last_modified = max(item["lastModified"] for item in self.items.values())
        changed = self.get(
            "items/updated", lastModified=last_modified + 1, type=3, id=max(self.items)
        )["items"]
        self.store(changed)
        return changed

    def unread(self) -> set[int]:
        return {i for i, item in self.items.items() if item["unread"]}


def _server_unread(user) -> set[int]:
    return {
        integer_entry_id(e.pk)
        for e in selectors.entry_id_list(user=user, filters={"status": "unread"})
    }


def test_the_android_app_syncs_pages_to_the_end_then_follows_changes(world):
    app = AndroidApp(world)
    starred_read = world.private_entries[0]
    services.entries_set_starred(user=world.alice, entry_ids=[starred_read.pk], starred=True)
    services.entries_set_read(user=world.alice, entry_ids=[starred_read.pk], read=True)

    assert app.get("version")["version"]
    assert app.get("user")["userId"] == "alice"
    folders = app.get("folders")["folders"]
    feeds = app.get("feeds")["feeds"]
    assert [f["name"] for f in folders] == ["Tech"]
    assert {f["id"] for f in feeds} == {world.shared_feed.pk, world.private_feed.pk}

    # 7 unread items in pages of 3 (3 + 3 + 1), then the starred read one (1 page).
    assert app.first_sync() == 4
    assert app.unread() == _server_unread(world.alice)
    assert app.items[integer_entry_id(starred_read.pk)]["starred"] is True
    assert len(app.items) == 8

    # Marks made in the app go out in batches; the server follows.
    read_in_app = sorted(app.unread())[:2]
    star = app.items[read_in_app[0]]
    assert app.call("PUT", "items/read/multiple", json={"items": read_in_app}).ok
    pair = [{"feedId": star["feedId"], "guidHash": star["guidHash"]}]
    assert app.call("PUT", "items/star/multiple", json={"items": pair}).ok
    for item_id in read_in_app:
        app.items[item_id]["unread"] = False
    star["starred"] = True
    assert _server_unread(world.alice) == app.unread()
    assert star["id"] in {
        integer_entry_id(e.pk)
        for e in selectors.entry_id_list(user=world.alice, filters={"status": "starred"})
    }

    # Meanwhile, in the web UI: everything marked read, which writes no row per entry.
    # The app asks for changes from a second after its newest item: wait for that second.
    time.sleep(1.1)
    still_unread = app.unread()
    rows = EntryState.objects.filter(user=world.alice).count()
    services.mark_all_read(user=world.alice)
    assert EntryState.objects.filter(user=world.alice).count() <= rows
    changed = app.incremental_sync()
    assert {item["id"] for item in changed} >= still_unread
    assert app.unread() == set() == _server_unread(world.alice)


def test_a_foreign_id_is_answered_as_not_found_and_changes_nothing(world):
    app = AndroidApp(world)
    bobs_feed = FeedFactory(title="Bob only")
    SubscriptionFactory(user=world.bob, feed=bobs_feed)
    bobs_entry = entries(bobs_feed, 1)[0]
    foreign = integer_entry_id(bobs_entry.pk)

    assert app.call("GET", "items", params={"type": 0, "id": bobs_feed.pk}).status_code == 404
    assert app.call("PUT", f"items/{foreign}/read").status_code == 404
    assert (
        app.call("PUT", f"feeds/{bobs_feed.pk}/read", json={"newestItemId": foreign}).status_code
        == 404
    )
    # Batch calls skip ids that name nothing of Alice's, as the News app does.
    assert app.call("PUT", "items/read/multiple", json={"items": [foreign]}).ok
    assert app.call("PUT", "items/star/multiple", json={"items": [
        {"feedId": bobs_feed.pk, "guidHash": "0" * 32}
    ]}).ok  # fmt: skip
    assert not EntryState.objects.filter(entry=bobs_entry).exists()
    assert foreign not in {item["id"] for item in app.get("items")["items"]}
