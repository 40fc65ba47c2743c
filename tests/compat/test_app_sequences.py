"""Request sequences real apps sent to the Google Reader API, replayed against a live server.

Each step is the request the app made (method, path, parameters as it spelled
them); after each, the server's state is checked through the same selectors
the web UI uses. Sources: RSS Guard 4.0.4, Liferea 1.14.4 and newsboat 2.36
(``freshrss`` mode) pointed at Tidings (docs/apps.md).
"""

from __future__ import annotations

import time

import pytest

from reader import selectors, services
from reader.api.compat import queries
from reader.api.compat.item_ids import item_id_long
from tests.reader.factories import EntryFactory

pytestmark = pytest.mark.django_db(transaction=True)

READING_LIST = "user/-/state/com.google/reading-list"
READ = "user/-/state/com.google/read"
STARRED = "user/-/state/com.google/starred"
KEPT_UNREAD = "user/-/state/com.google/kept-unread"
TRACKING_KEPT_UNREAD = "user/-/state/com.google/tracking-kept-unread"


def _unread(user) -> set[int]:
    return set(queries.entry_ids(user=user, status="unread"))


def _starred(user) -> set[int]:
    return set(queries.entry_ids(user=user, status="starred"))


def test_rss_guard_fetches_unread_ids_since_its_last_sync_then_contents_in_one_post(world):
    token = world.greader_login("alice")
    everything = {e.pk for e in world.shared_entries + world.private_entries}
    month_ago = int(time.time()) - 30 * 86400

    def sync(ot: int) -> tuple[list[str], list[dict]]:
        ids = world.greader(
            token, "GET", "stream/items/ids",
            params={"output": "json", "n": 200000, "s": READING_LIST, "xt": READ, "ot": ot},
        )  # fmt: skip
        assert ids.status_code == 200, ids.text
        refs = [ref["id"] for ref in ids.json()["itemRefs"]]
        contents = world.greader(
            token, "POST", "stream/items/contents", data={"output": "json", "i": refs}
        )
        assert contents.status_code == 200, contents.text
        return refs, contents.json()["items"]

    refs, items = sync(month_ago)
    assert {int(r) for r in refs} == everything == _unread(world.alice)
    assert {i["id"] for i in items} == {item_id_long(pk) for pk in everything}

    # The user reads two items in RSS Guard; it pushes them in one edit-tag.
    read = [world.shared_entries[0].pk, world.private_entries[0].pk]
    done = world.greader(token, "POST", "edit-tag", data={"i": [str(pk) for pk in read], "a": READ})
    assert done.text == "OK"
    assert _unread(world.alice) == everything - set(read)

    # The next sync asks only for what is new since the last one. ``ot`` is in whole
    # seconds and filters on first-seen time: items first seen in the second of the sync
    # are sent again (harmless), so the sync happens a second after they arrived.
    time.sleep(1.1)
    last_sync = int(time.time())
    time.sleep(1.1)
    late = EntryFactory(feed=world.shared_feed)
    refs, items = sync(last_sync)
    assert [int(r) for r in refs] == [late.pk]
    assert [i["id"] for i in items] == [item_id_long(late.pk)]
    assert _unread(world.alice) == everything - set(read) | {late.pk}


def test_liferea_reads_a_feed_fifty_ids_at_a_time_and_marks_with_client_liferea(world):
    token = world.greader_login("alice")
    feed = f"feed/{world.shared_feed.pk}"
    ids = world.greader(
        token, "GET", "stream/items/ids",
        params={"s": feed, "n": 50, "merge": "true", "output": "json"},
    )  # fmt: skip
    refs = [ref["id"] for ref in ids.json()["itemRefs"]]
    assert {int(r) for r in refs} == {e.pk for e in world.shared_entries}
    contents = world.greader(
        token, "POST", "stream/items/contents", data={"i": refs, "output": "json"}
    ).json()["items"]
    assert all(f"user/-/label/{world.tech.title}" in i["categories"] for i in contents)
    assert all(READ not in i["categories"] for i in contents)

    edit_token = world.greader(token, "GET", "token").text.strip()
    entry = world.shared_entries[2]

    def edit_tag(**tags) -> None:
        data = {"i": item_id_long(entry.pk), "s": feed, **tags, "ac": "edit-tags",
                "T": edit_token, "async": "true"}  # fmt: skip
        done = world.greader(token, "POST", "edit-tag?client=liferea", data=data)
        assert done.text == "OK", done.text

    edit_tag(a=READ)
    assert entry.pk not in _unread(world.alice)
    edit_tag(a=KEPT_UNREAD, r=READ)  # Liferea's "mark unread"
    assert entry.pk in _unread(world.alice)
    edit_tag(a=STARRED)
    assert entry.pk in _unread(world.alice)
    assert _starred(world.alice) == {entry.pk}


def test_newsboat_freshrss_mode_reads_feeds_and_marks_read_kept_unread_and_all(world):
    token = world.greader_login("alice")
    feed_id = world.shared_feed.pk
    page = world.greader(token, "GET", f"stream/contents/feed%2F{feed_id}?n=20")
    assert page.status_code == 200, page.text
    listed = [i["id"] for i in page.json()["items"]]
    assert set(listed) == {item_id_long(e.pk) for e in world.shared_entries}

    entry = world.shared_entries[1]
    t = world.greader(token, "GET", "token").text.strip()
    read = world.greader(
        token, "POST", "edit-tag",
        data={"i": item_id_long(entry.pk), "a": READ, "r": KEPT_UNREAD, "ac": "edit", "T": t},
    )  # fmt: skip
    assert read.text == "OK"
    assert entry.pk not in _unread(world.alice)
    unread = world.greader(
        token, "POST", "edit-tag",
        data={"i": item_id_long(entry.pk), "r": READ, "a": [KEPT_UNREAD, TRACKING_KEPT_UNREAD],
              "ac": "edit", "T": t},
    )  # fmt: skip
    assert unread.text == "OK"
    assert entry.pk in _unread(world.alice)

    done = world.greader(token, "POST", "mark-all-as-read", data={"s": f"feed/{feed_id}", "T": t})
    assert done.text == "OK"
    assert _unread(world.alice) == {e.pk for e in world.private_entries}
    counts = selectors.unread_counts(user=world.alice)
    assert counts["total"] == len(world.private_entries)
    # Bob follows the same feed: Alice's marks are hers alone.
    assert _unread(world.bob) == {e.pk for e in world.shared_entries}


def test_a_server_side_mark_reaches_the_next_freshrss_mode_page(world):
    token = world.greader_login("alice")
    entry = world.shared_entries[3]
    services.entries_set_read(user=world.alice, entry_ids=[entry.pk], read=True)
    page = world.greader(token, "GET", f"stream/contents/feed%2F{world.shared_feed.pk}?n=20")
    by_id = {i["id"]: i for i in page.json()["items"]}
    assert READ in by_id[item_id_long(entry.pk)]["categories"]
