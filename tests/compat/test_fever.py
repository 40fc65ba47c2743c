"""Fever API: replayed client sequences, P25 bounds, P33 isolation, cross-face state."""

from __future__ import annotations

import time

import pytest
import requests

from reader import selectors

pytestmark = pytest.mark.django_db(transaction=True)


def _ids(value: str) -> set[int]:
    return {int(x) for x in value.split(",") if x}


def test_a_bad_key_answers_200_with_auth_0(world):
    response = requests.post(f"{world.base}/api/fever/?api", data={"api_key": "0" * 32}, timeout=10)
    assert response.status_code == 200
    assert response.json() == {"api_version": 3, "auth": 0}
    web_password_key = world.fever("alice", api_key="not-even-md5")
    assert web_password_key["auth"] == 0


def test_reeder_style_sync(world):
    """Reeder/Read You/Fluent Reader: groups, feeds, favicons, id lists, items paging, marks."""
    hello = world.fever("alice")
    assert hello["auth"] == 1 and hello["api_version"] == 3
    assert "last_refreshed_on_time" in hello

    groups = world.fever("alice", "groups")
    assert groups["groups"] == [{"id": world.tech.pk, "title": "Tech"}]
    assert groups["feeds_groups"] == [
        {"group_id": world.tech.pk, "feed_ids": str(world.shared_feed.pk)}
    ]
    feeds = world.fever("alice", "feeds")["feeds"]
    assert {f["id"] for f in feeds} == {world.shared_feed.pk, world.private_feed.pk}
    assert all(set(f) >= {"favicon_id", "title", "url", "site_url", "is_spark"} for f in feeds)
    favicons = world.fever("alice", "favicons")["favicons"]
    assert all(f["data"].split(";base64,")[0].startswith("image/") for f in favicons)

    everything = {e.pk for e in world.shared_entries + world.private_entries}
    unread = _ids(world.fever("alice", "unread_item_ids")["unread_item_ids"])
    assert unread == everything
    assert world.fever("alice", "saved_item_ids")["saved_item_ids"] == ""

    # since_id paging: ascending, until empty.
    seen, since = [], 0
    while True:
        batch = world.fever("alice", f"items&since_id={since}")
        assert batch["total_items"] == len(everything)
        if not batch["items"]:
            break
        ids = [item["id"] for item in batch["items"]]
        assert ids == sorted(ids)
        seen += ids
        since = ids[-1]
    assert set(seen) == everything
    item = world.fever("alice", f"items&with_ids={world.shared_entries[0].pk}")["items"][0]
    assert item["feed_id"] == world.shared_feed.pk
    assert (item["is_read"], item["is_saved"]) == (0, 0)
    assert item["url"] == world.shared_entries[0].url

    target = world.shared_entries[0].pk
    marked = world.fever("alice", mark="item", id=str(target), **{"as": "read"})
    assert target not in _ids(marked["unread_item_ids"])
    saved = world.fever("alice", mark="item", id=str(target), **{"as": "saved"})
    assert _ids(saved["saved_item_ids"]) == {target}
    # Absolute, not a toggle: saving twice keeps it saved.
    again = world.fever("alice", mark="item", id=str(target), **{"as": "saved"})
    assert _ids(again["saved_item_ids"]) == {target}
    # The same state in the other faces (selectors serve the REST API and pages).
    entry = selectors.entry_get(user=world.alice, entry_id=target)
    assert entry.is_read and entry.is_starred
    assert selectors.unread_counts(user=world.alice)["total"] == len(everything) - 1
    world.fever("alice", mark="item", id=str(target), **{"as": "unsaved"})
    world.fever("alice", mark="item", id=str(target), **{"as": "unread"})
    assert target in _ids(world.fever("alice", "unread_item_ids")["unread_item_ids"])


def test_max_id_pages_backwards_from_the_newest(world):
    newest = world.fever("alice", "items&max_id=0")["items"]
    ids = [item["id"] for item in newest]
    assert ids == sorted(ids, reverse=True)
    older = world.fever("alice", f"items&max_id={ids[2]}")["items"]
    assert [item["id"] for item in older] == ids[3:]


def test_mark_feed_and_group_read_respect_before(world):
    """Case P25: mark all read upper bound."""
    # Fever bounds are whole seconds: let the first entries age past one.
    time.sleep(1.1)
    before = int(time.time())
    time.sleep(1.1)
    from tests.factories import EntryFactory

    later_shared = EntryFactory(feed=world.shared_feed)
    later_private = EntryFactory(feed=world.private_feed)
    world.fever("alice", mark="feed", id=str(world.shared_feed.pk), before=str(before),
                **{"as": "read"})  # fmt: skip
    unread = _ids(world.fever("alice", "unread_item_ids")["unread_item_ids"])
    assert later_shared.pk in unread
    assert not {e.pk for e in world.shared_entries} & unread
    assert {e.pk for e in world.private_entries} <= unread

    world.fever("alice", mark="group", id="0", before=str(before), **{"as": "read"})
    unread = _ids(world.fever("alice", "unread_item_ids")["unread_item_ids"])
    assert unread == {later_shared.pk, later_private.pk}


def test_mark_group_reads_only_that_category(world):
    world.fever("alice", mark="group", id=str(world.tech.pk), before=str(int(time.time()) + 5),
                **{"as": "read"})  # fmt: skip
    unread = _ids(world.fever("alice", "unread_item_ids")["unread_item_ids"])
    assert unread == {e.pk for e in world.private_entries}


def test_another_users_key_never_reads_or_changes_alices_data(world):
    """Case P33: IDOR API."""
    private = world.private_entries[0].pk
    assert world.fever("bob", f"items&with_ids={private}")["items"] == []
    world.fever("bob", mark="item", id=str(private), **{"as": "read"})
    world.fever("bob", mark="item", id=str(private), **{"as": "saved"})
    world.fever("bob", mark="feed", id=str(world.private_feed.pk), before="9999999999",
                **{"as": "read"})  # fmt: skip
    world.fever("bob", mark="group", id=str(world.tech.pk), before="9999999999",
                **{"as": "read"})  # fmt: skip
    alice_unread = _ids(world.fever("alice", "unread_item_ids")["unread_item_ids"])
    assert private in alice_unread
    assert {e.pk for e in world.shared_entries} <= alice_unread
    bob_feeds = world.fever("bob", "feeds")["feeds"]
    assert [f["id"] for f in bob_feeds] == [world.shared_feed.pk]
    assert "SECRET" not in str(world.fever("bob", "feeds&groups&favicons"))


def test_bad_input_never_gives_a_500(world):
    for query, data in [
        ("items&since_id=abc", {}),
        ("items&max_id=-5", {}),
        ("items&with_ids=a,,b,-1", {}),
        ("", {"mark": "item", "as": "read", "id": "nope"}),
        ("", {"mark": "item", "as": "bogus", "id": "1"}),
        ("", {"mark": "feed", "as": "read", "id": "1", "before": "yesterday"}),
        ("", {"mark": "group", "as": "read", "id": "99999999999999999999999"}),
    ]:
        result = world.fever("alice", query, **data)
        assert result["auth"] == 1
