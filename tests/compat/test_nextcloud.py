"""The Nextcloud News API (v1.2 and v1.3) on a live server, route by route.

The world of ``tests/compat/conftest.py``: Alice follows the shared feed (folder "Tech") and
her private feed, Bob the shared feed only. Requests go over real HTTP with HTTP Basic and
the client password, as apps send them.
"""

from __future__ import annotations

import hashlib

import pytest
import requests

from reader import selectors, services
from reader.api.compat.integer_ids import integer_entry_id
from reader.models import Category, Subscription
from tests.compat.conftest import PASSWORD
from tests.reader.factories import EntryFactory

pytestmark = pytest.mark.django_db(transaction=True)


def nc(world, method: str, path: str, *, user: str = "alice", version: str = "v1-3", **kw):
    """One request to ``/index.php/apps/news/api/<version>/<path>`` as ``user``."""
    kw.setdefault("auth", (user, PASSWORD[user]))
    url = f"{world.base}/index.php/apps/news/api/{version}/{path}"
    return requests.request(method, url, timeout=10, **kw)


def ids(items: list[dict]) -> list[int]:
    return [item["id"] for item in items]


def iid(entry) -> int:
    return integer_entry_id(entry.pk)


def unread(user) -> set[int]:
    return {e.pk for e in selectors.entry_id_list(user=user, filters={"status": "unread"})}


def test_status_version_and_user_answer_with_the_client_password_on_both_prefixes(world):
    for prefix in ("/index.php/apps/news/api", "/apps/news/api"):
        for version in ("v1-2", "v1-3"):
            url = f"{world.base}{prefix}/{version}/status"
            answer = requests.get(url, auth=("alice", PASSWORD["alice"]), timeout=10)
            assert answer.status_code == 200, (url, answer.text)
            assert answer.json()["warnings"] == {
                "improperlyConfiguredCron": False,
                "incorrectDbCharset": False,
            }
    assert nc(world, "GET", "version").json()["version"]
    assert nc(world, "GET", "user").json()["userId"] == "alice"
    levels = requests.get(f"{world.base}/index.php/apps/news/api", timeout=10).json()
    assert levels == {"apiLevels": ["v1-2", "v1-3"]}


def test_missing_or_wrong_credentials_are_a_401_asking_for_basic(world):
    missing = nc(world, "GET", "feeds", auth=None)
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Basic")
    assert "message" in missing.json()
    # The login password is not the client password.
    wrong = nc(world, "GET", "feeds", auth=("alice", "pw-123"))
    assert wrong.status_code == 401 and "message" in wrong.json()


def test_folders_are_listed_created_renamed_and_deleted_keeping_their_feeds(world):
    assert nc(world, "GET", "folders").json() == {
        "folders": [{"id": world.tech.pk, "name": "Tech"}]
    }
    created = nc(world, "POST", "folders", json={"name": "Later"})
    assert created.status_code == 200
    later = created.json()["folders"][0]
    assert later["name"] == "Later"
    assert nc(world, "POST", "folders", json={"name": "Later"}).status_code == 409
    assert nc(world, "POST", "folders", json={"name": "  "}).status_code == 422
    assert nc(world, "PUT", f"folders/{later['id']}", json={"name": "Tech"}).status_code == 409
    assert nc(world, "PUT", f"folders/{later['id']}", json={"name": ""}).status_code == 422
    assert nc(world, "PUT", f"folders/{later['id']}", json={"name": "Soon"}).status_code == 200
    assert Category.objects.get(pk=later["id"]).title == "Soon"
    assert nc(world, "DELETE", f"folders/{world.tech.pk}").status_code == 200
    assert Subscription.objects.get(user=world.alice, feed=world.shared_feed).category_id is None
    assert nc(world, "DELETE", f"folders/{world.tech.pk}").status_code == 404


def test_feeds_list_unread_and_starred_counts_and_the_newest_item_id(world):
    starred = world.private_entries[0]
    services.entries_set_starred(user=world.alice, entry_ids=[starred.pk], starred=True)
    services.entries_set_read(user=world.alice, entry_ids=[starred.pk], read=True)
    body = nc(world, "GET", "feeds", version="v1-2").json()
    assert body["starredCount"] == 1
    assert body["newestItemId"] == max(iid(e) for e in world.shared_entries + world.private_entries)
    feeds = {f["id"]: f for f in body["feeds"]}
    shared, private = feeds[world.shared_feed.pk], feeds[world.private_feed.pk]
    assert (shared["unreadCount"], shared["folderId"], shared["title"]) == (
        5,
        world.tech.pk,
        "Shared news",
    )
    assert (private["unreadCount"], private["folderId"]) == (2, None)
    assert private["url"] == world.private_feed.url
    assert requests.get(shared["faviconLink"], timeout=10).status_code == 200


def test_a_feed_is_moved_renamed_marked_read_and_deleted(world):
    feed = world.private_feed.pk
    assert (
        nc(world, "PUT", f"feeds/{feed}/move", json={"folderId": world.tech.pk}).status_code == 200
    )
    assert nc(world, "PUT", f"feeds/{feed}/rename", json={"feedTitle": "Mine"}, version="v1-2").ok
    sub = Subscription.objects.get(user=world.alice, feed_id=feed)
    assert (sub.category_id, sub.title) == (world.tech.pk, "Mine")
    assert nc(world, "POST", f"feeds/{feed}/move", json={"folderId": None}).ok
    # Marked read up to the second entry only: the third stays unread.
    newest = iid(world.private_entries[1])
    assert nc(world, "POST", f"feeds/{feed}/read", json={"newestItemId": newest}).ok
    assert unread(world.alice) & {e.pk for e in world.private_entries} == {
        world.private_entries[2].pk
    }
    assert nc(world, "POST", f"feeds/{feed}/read", json={}).status_code == 422
    assert nc(world, "DELETE", f"feeds/{feed}").ok
    assert not Subscription.objects.filter(user=world.alice, feed_id=feed).exists()
    assert nc(world, "DELETE", f"feeds/{feed}").status_code == 404


def test_a_feed_is_created_by_url_in_a_folder(world, feed_server):
    feed_server.add_route(
        "/new.xml",
        headers={"Content-Type": "application/rss+xml"},
        body="<rss version='2.0'><channel><title>New one</title>"
        "<item><guid>n1</guid><title>First</title></item></channel></rss>",
    )
    url = feed_server.url("/new.xml")
    created = nc(world, "POST", "feeds", json={"url": url, "folderId": world.tech.pk})
    assert created.status_code == 200, created.text
    feed = created.json()["feeds"][0]
    assert (feed["url"], feed["folderId"]) == (url, world.tech.pk)
    assert nc(world, "POST", "feeds", json={"url": url}).status_code == 409
    assert nc(world, "POST", "feeds", json={"url": "ftp://nowhere"}).status_code == 422
    assert nc(world, "POST", "feeds", json={}).status_code == 422


def test_items_page_by_id_to_the_end_newest_or_oldest_first(world):
    everything = sorted(iid(e) for e in world.shared_entries + world.private_entries)
    for oldest_first, expected in ((False, everything[::-1]), (True, everything)):
        seen, offset = [], 0
        while True:
            params = {"type": 3, "id": 0, "batchSize": 3, "offset": offset, "getRead": "true"}
            params["oldestFirst"] = str(oldest_first).lower()
            page = ids(nc(world, "GET", "items", params=params).json()["items"])
            seen += page
            if len(page) < 3:
                break
            offset = page[-1]
        assert seen == expected


def test_items_filter_by_feed_folder_starred_and_unread(world):
    read = world.shared_entries[0]
    services.entries_set_read(user=world.alice, entry_ids=[read.pk], read=True)
    services.entries_set_starred(user=world.alice, entry_ids=[read.pk], starred=True)

    def listed(**params):
        return set(ids(nc(world, "GET", "items", params=params).json()["items"]))

    shared = {iid(e) for e in world.shared_entries}
    assert listed(type=0, id=world.shared_feed.pk) == shared
    assert listed(type=1, id=world.tech.pk, getRead="false") == shared - {iid(read)}
    assert listed(type=1, id=0) == {iid(e) for e in world.private_entries}
    assert listed(type=2, id=0, getRead="false") == {iid(read)}
    assert (
        listed(type=6)
        == listed(type=3, getRead="false")
        == {iid(e) for e in world.shared_entries + world.private_entries} - {iid(read)}
    )
    item = next(i for i in nc(world, "GET", "items").json()["items"] if i["id"] == iid(read))
    assert (item["unread"], item["starred"], item["feedId"]) == (False, True, world.shared_feed.pk)
    assert item["guidHash"] == hashlib.md5(item["guid"].encode(), usedforsecurity=False).hexdigest()
    assert item["title"] == read.title and item["body"] == read.content


def test_items_updated_after_a_mark_all_read_returns_the_items_it_made_read(world):
    all_items = nc(world, "GET", "items").json()["items"]
    last_modified = max(item["lastModified"] for item in all_items)
    newest = max(ids(all_items))
    assert nc(world, "PUT", "items/read", json={"newestItemId": newest}, version="v1-2").ok
    for since in (last_modified, last_modified * 1_000_000):  # seconds or microseconds
        updated = nc(world, "GET", "items/updated", params={"lastModified": since, "type": 3})
        items = updated.json()["items"]
        assert set(ids(items)) == set(ids(all_items))
        assert all(item["unread"] is False for item in items)
    assert selectors.unread_counts(user=world.alice)["total"] == 0


def test_single_and_multiple_marks_in_both_versions(world):
    a, b, c = world.shared_entries[:3]
    assert nc(world, "PUT", f"items/{iid(a)}/read", version="v1-2").ok
    assert nc(world, "POST", "items/read/multiple", json={"itemIds": [iid(b), iid(c)]}).ok
    assert not unread(world.alice) & {a.pk, b.pk, c.pk}
    assert nc(world, "PUT", "items/unread/multiple", json={"items": [iid(a)]}, version="v1-2").ok
    assert nc(world, "POST", f"items/{iid(b)}/unread").ok
    assert unread(world.alice) & {a.pk, b.pk, c.pk} == {a.pk, b.pk}
    # Stars: v1.3 by item id, v1.2 by feed id and guid hash.
    assert nc(world, "POST", f"items/{iid(a)}/star").ok
    assert nc(world, "POST", "items/star/multiple", json={"itemIds": [iid(b)]}).ok
    guid_hash = hashlib.md5(c.guid.encode(), usedforsecurity=False).hexdigest()
    feed = world.shared_feed.pk
    assert nc(world, "PUT", f"items/{feed}/{guid_hash}/star", version="v1-2").ok
    starred = {
        e.pk for e in selectors.entry_id_list(user=world.alice, filters={"status": "starred"})
    }
    assert starred == {a.pk, b.pk, c.pk}
    pairs = [{"feedId": feed, "guidHash": guid_hash}]
    assert nc(world, "PUT", "items/unstar/multiple", json={"items": pairs}, version="v1-2").ok
    assert nc(world, "POST", "items/unstar/multiple", json={"itemIds": [iid(a), iid(b)]}).ok
    assert not selectors.entry_id_list(user=world.alice, filters={"status": "starred"})
    assert nc(world, "PUT", f"items/{feed}/{'0' * 32}/star", version="v1-2").status_code == 404
    assert nc(world, "POST", "items/999999999/read").status_code == 404


def test_errors_are_the_news_apps_message_shape(world):
    cases = [
        ("GET", "items", {"params": {"type": 9}}, 422),
        ("GET", "items", {"params": {"batchSize": "ten"}}, 422),
        ("GET", "items", {"params": {"getRead": "maybe"}}, 422),
        ("GET", "items/updated", {"params": {"lastModified": -5}}, 422),
        ("GET", "items/updated", {"params": {"lastModified": "9" * 30}}, 422),
        (
            "PUT",
            "items/read/multiple",
            {"data": "{not json", "headers": {"Content-Type": "application/json"}},
            400,
        ),
        ("PUT", "items/read/multiple", {"json": {"items": "a,b"}}, 422),
        ("GET", "items/read", {}, 405),
        ("GET", "nothing/here", {}, 404),
        ("GET", "feeds/99999999", {}, 405),
        ("DELETE", "feeds/99999999", {}, 404),
        ("GET", "items", {"params": {"type": 0, "id": 99999999}}, 404),
    ]
    for method, path, kwargs, status in cases:
        answer = nc(world, method, path, **kwargs)
        assert answer.status_code == status, (method, path, answer.status_code, answer.text)
        assert isinstance(answer.json()["message"], str), (method, path)


def test_newsboat_s_mark_feed_read_with_the_largest_long_marks_everything(world):
    late = EntryFactory(feed=world.private_feed)
    path = f"feeds/{world.private_feed.pk}/read?newestItemId={2**63 - 1}"
    assert nc(world, "PUT", path, version="v1-2", data="{}").ok
    assert not unread(world.alice) & {late.pk, *(e.pk for e in world.private_entries)}
