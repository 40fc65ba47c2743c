"""Google Reader API: replayed client sequences, id forms (P24), bounds (P25), isolation (P33)."""

from __future__ import annotations

import time

import pytest
import requests

from reader import selectors
from reader.api.compat.item_ids import item_id_long

pytestmark = pytest.mark.django_db(transaction=True)

READING_LIST = "user/-/state/com.google/reading-list"
READ = "user/-/state/com.google/read"
STARRED = "user/-/state/com.google/starred"


def _unread_ids(world, token) -> set[int]:
    response = world.greader(
        token, "GET", "stream/items/ids",
        params={"s": READING_LIST, "xt": READ, "n": 10000, "output": "json"},
    )  # fmt: skip
    assert response.status_code == 200
    return {int(ref["id"]) for ref in response.json()["itemRefs"]}


def test_client_login_answers_three_lines_and_json(world):
    response = requests.post(
        f"{world.base}/api/greader/accounts/ClientLogin",
        data={"Email": "alice", "Passwd": "alice-app-pass"},
        timeout=10,
    )
    assert response.status_code == 200
    keys = [line.split("=", 1)[0] for line in response.text.strip().splitlines()]
    assert keys == ["SID", "LSID", "Auth"]
    as_json = requests.post(
        f"{world.base}/api/greader/accounts/ClientLogin",
        data={"Email": "alice", "Passwd": "alice-app-pass", "output": "json"},
        timeout=10,
    ).json()
    assert set(as_json) == {"SID", "LSID", "Auth"}


def test_bad_credentials_and_bad_tokens_get_401_with_both_headers(world):
    response = requests.post(
        f"{world.base}/api/greader/accounts/ClientLogin",
        data={"Email": "alice", "Passwd": "alice-pass-123"},  # the web password is not the app's
        timeout=10,
    )
    assert response.status_code == 401
    bad = world.greader("1/" + "0" * 64, "GET", "user-info")
    assert bad.status_code == 401
    assert bad.headers["Google-Bad-Token"] == "true"
    assert bad.headers["X-Reader-Google-Bad-Token"] == "true"
    missing = requests.get(f"{world.base}/api/greader/reader/api/0/tag/list", timeout=10)
    assert missing.status_code == 401


def test_netnewswire_sync_sequence(world):
    token = world.greader_login("alice")
    assert world.greader(token, "GET", "token").text == token
    tags = world.greader(token, "GET", "tag/list", params={"output": "json"}).json()["tags"]
    assert tags[0] == {"id": STARRED}
    # Folders carry no unread_count, as FreshRSS (the brief for client tolerance asks it).
    assert {"id": "user/-/label/Tech", "label": "Tech", "type": "folder"} in tags

    subs = world.greader(token, "GET", "subscription/list", params={"output": "json"})
    listed = {s["id"]: s for s in subs.json()["subscriptions"]}
    assert set(listed) == {f"feed/{world.shared_feed.pk}", f"feed/{world.private_feed.pk}"}
    shared = listed[f"feed/{world.shared_feed.pk}"]
    assert shared["categories"] == [{"id": "user/-/label/Tech", "label": "Tech"}]
    assert shared["url"] == world.shared_feed.url

    unread = _unread_ids(world, token)
    assert unread == {e.pk for e in world.shared_entries + world.private_entries}

    # NetNewsWire asks contents for unpadded hex ids in one POST with many i=.
    wanted = [f"{e.pk:x}" for e in world.shared_entries[:3]]
    contents = world.greader(
        token, "POST", "stream/items/contents", data={"i": wanted, "output": "json"}
    ).json()
    assert [item["id"] for item in contents["items"]] == [
        item_id_long(e.pk) for e in world.shared_entries[:3]
    ]
    item = contents["items"][0]
    assert item["origin"]["streamId"] == f"feed/{world.shared_feed.pk}"
    assert READING_LIST in item["categories"] and "user/-/label/Tech" in item["categories"]
    assert item["alternate"][0]["href"] == world.shared_entries[0].url
    assert int(item["timestampUsec"]) > 0 and item["published"] > 0

    # Push local changes: 16-hex form to edit-tag.
    first, second = world.shared_entries[0], world.shared_entries[1]
    ok = world.greader(
        token, "POST", "edit-tag", data={"i": [f"{first.pk:016x}", f"{second.pk:016x}"], "a": READ}
    )
    assert ok.status_code == 200 and ok.text == "OK"
    star = world.greader(token, "POST", "edit-tag", data={"i": str(first.pk), "a": STARRED})
    assert star.text == "OK"
    assert _unread_ids(world, token) == unread - {first.pk, second.pk}
    starred = world.greader(
        token, "GET", "stream/items/ids", params={"s": STARRED, "n": 10000, "output": "json"}
    ).json()
    assert [int(r["id"]) for r in starred["itemRefs"]] == [first.pk]
    # The counts equal what the web UI and REST API show (one selector).
    counts = selectors.unread_counts(user=world.alice)
    assert counts["total"] == len(unread) - 2


def test_list_endpoints_answer_conditional_requests_with_304(world):
    token = world.greader_login("alice")
    first = world.greader(token, "GET", "subscription/list", params={"output": "json"})
    etag = first.headers["ETag"]
    assert first.headers["Last-Modified"]
    again = world.greader(
        token, "GET", "subscription/list", params={"output": "json"},
        headers={"If-None-Match": etag},
    )  # fmt: skip
    assert again.status_code == 304
    world.greader(token, "POST", "subscription/edit", data={
        "ac": "edit", "s": f"feed/{world.shared_feed.pk}", "t": "Renamed"})  # fmt: skip
    changed = world.greader(
        token, "GET", "subscription/list", params={"output": "json"},
        headers={"If-None-Match": etag},
    )  # fmt: skip
    assert changed.status_code == 200


def test_an_item_id_form_lists_the_entry(world):
    """Case P24: Google Reader item id forms."""
    token = world.greader_login("alice")
    entry = world.shared_entries[2]
    ids = world.greader(
        token, "GET", "stream/items/ids", params={"s": READING_LIST, "n": 1000, "output": "json"}
    ).json()["itemRefs"]
    assert str(entry.pk) in {r["id"] for r in ids}
    assert all(r["id"].isdigit() for r in ids)
    for form in (str(entry.pk), item_id_long(entry.pk), f"{entry.pk:016x}"):
        items = world.greader(token, "POST", "stream/items/contents", data={"i": form}).json()
        assert [i["id"] for i in items["items"]] == [item_id_long(entry.pk)], form
    world.greader(token, "POST", "edit-tag", data={"i": item_id_long(entry.pk), "a": READ})
    assert entry.pk not in _unread_ids(world, token)
    world.greader(token, "POST", "edit-tag", data={"i": str(entry.pk), "r": READ})
    assert entry.pk in _unread_ids(world, token)


def test_stream_contents_pages_with_a_stable_continuation(world):
    token = world.greader_login("alice")
    path = f"stream/contents/feed/{world.shared_feed.pk}"
    first = world.greader(token, "GET", path, params={"n": 2, "output": "json"}).json()
    assert len(first["items"]) == 2 and first["continuation"]
    # A new entry arrives between pages: it must not shift the next page.
    from tests.factories import EntryFactory

    EntryFactory(feed=world.shared_feed)
    second = world.greader(
        token, "GET", path, params={"n": 2, "c": first["continuation"], "output": "json"}
    ).json()
    got = [i["id"] for i in first["items"] + second["items"]]
    expected = [item_id_long(e.pk) for e in reversed(world.shared_entries)][:4]
    assert got == expected
    via_s = world.greader(
        token, "GET", "stream/contents", params={"s": f"feed/{world.shared_feed.pk}", "n": 2}
    ).json()
    assert [i["id"] for i in via_s["items"]][1] == expected[0]


def test_mark_all_as_read_with_ts_leaves_newer_entries_unread(world):
    """Case P25: mark all read upper bound."""
    token = world.greader_login("alice")
    seen = time.time()
    time.sleep(1.1)
    from tests.factories import EntryFactory

    later = [EntryFactory(feed=world.shared_feed) for _ in range(2)]
    ok = world.greader(
        token, "POST", "mark-all-as-read",
        data={"s": f"feed/{world.shared_feed.pk}", "ts": str(int(seen * 1_000_000))},
    )  # fmt: skip
    assert ok.text == "OK"
    unread = _unread_ids(world, token)
    assert {e.pk for e in later} <= unread
    assert not {e.pk for e in world.shared_entries} & unread
    assert {e.pk for e in world.private_entries} <= unread


def test_subscription_edit_subscribe_move_rename_unsubscribe_and_labels(world):
    from reader.models import Subscription
    from tests.factories import FeedFactory

    token = world.greader_login("bob")
    other = FeedFactory(url="https://feeds.example.org/other.xml")
    data = {"ac": "subscribe", "s": f"feed/{other.url}", "a": "user/-/label/News", "t": "Other"}
    ok = world.greader(token, "POST", "subscription/edit", data=data)
    assert ok.text == "OK", ok.text
    sub = Subscription.objects.get(user=world.bob, feed=other)
    assert (sub.title, sub.category.title) == ("Other", "News")
    world.greader(token, "POST", "rename-tag", data={
        "s": "user/-/label/News", "dest": "user/-/label/Daily"})  # fmt: skip
    sub.refresh_from_db()
    assert sub.category.title == "Daily"
    world.greader(token, "POST", "disable-tag", data={"s": "user/-/label/Daily"})
    sub.refresh_from_db()
    assert sub.category is None
    world.greader(token, "POST", "subscription/edit", data={
        "ac": "unsubscribe", "s": f"feed/{other.pk}"})  # fmt: skip
    assert not Subscription.objects.filter(user=world.bob, feed=other).exists()


def test_unread_count_and_user_info(world):
    token = world.greader_login("alice")
    info = world.greader(token, "GET", "user-info").json()
    assert info["userName"] == "alice"
    counts = world.greader(token, "GET", "unread-count", params={"output": "json"}).json()
    by_id = {row["id"]: row["count"] for row in counts["unreadcounts"]}
    assert by_id[f"feed/{world.shared_feed.pk}"] == 5
    assert by_id["user/-/label/Tech"] == 5
    assert by_id[READING_LIST] == 8


def test_unread_count_gives_each_feed_its_newest_entrys_first_seen_time(world):
    from datetime import UTC, datetime, timedelta

    from django.db.models import Max

    from feeds.models import Entry

    def usec(value) -> str:
        return str((value - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1))

    token = world.greader_login("alice")
    counts = world.greader(token, "GET", "unread-count", params={"output": "json"}).json()
    stamps = {row["id"]: row["newestItemTimestampUsec"] for row in counts["unreadcounts"]}
    newest = dict(
        Entry.objects.filter(feed__subscriptions__user=world.alice)
        .values_list("feed_id")
        .annotate(newest=Max("created_at"))
    )
    assert newest  # the world has entries to compare
    for feed_id, created in newest.items():
        assert stamps[f"feed/{feed_id}"] == usec(created)
    assert stamps[READING_LIST] == usec(max(newest.values()))


def test_other_users_objects_are_invisible(world):
    """Case P33: IDOR API."""
    token = world.greader_login("bob")
    private = world.private_entries[0]
    response = world.greader(token, "GET", f"stream/contents/feed/{world.private_feed.pk}")
    assert response.status_code == 404
    items = world.greader(token, "POST", "stream/items/contents", data={"i": str(private.pk)})
    assert items.json()["items"] == []
    world.greader(token, "POST", "edit-tag", data={"i": str(private.pk), "a": STARRED})
    world.greader(token, "POST", "edit-tag", data={"i": str(private.pk), "a": READ})
    alice = world.greader_login("alice")
    assert private.pk in _unread_ids(world, alice)
    listed = world.greader(token, "GET", "subscription/list", params={"output": "json"}).text
    assert "SECRET" not in listed
    exported = world.greader(token, "GET", "subscription/export").text
    assert "SECRET" not in exported and world.shared_feed.url in exported


def test_bad_input_gets_protocol_errors_never_500(world):
    token = world.greader_login("alice")
    cases = [
        ("GET", "stream/contents/user/-/label/Nope", {}),
        ("GET", "stream/items/ids", {"params": {"s": "bogus/stream"}}),
        ("GET", "stream/items/ids", {"params": {"s": READING_LIST, "c": "not-a-cursor"}}),
        ("GET", "stream/items/ids", {"params": {"s": READING_LIST, "ot": "soon"}}),
        ("POST", "edit-tag", {"data": {"i": "zzz", "a": READ}}),
        ("POST", "mark-all-as-read", {"data": {"s": STARRED}}),
        ("GET", "edit-tag", {}),
        ("POST", "edit-tag", {"data": {"i": "1", "a": READ, "T": "forged"}}),
    ]
    for method, path, kwargs in cases:
        response = world.greader(token, method, path, **kwargs)
        assert 400 <= response.status_code < 500, (path, kwargs, response.status_code)
    unknown = world.greader(token, "GET", "preference/stream/list")
    assert (unknown.status_code, unknown.json()) == (200, [])
    huge = world.greader(token, "GET", "stream/items/ids", params={"n": "99999999"})
    assert huge.status_code == 200


def test_reeder_and_feedme_edit_tokens_and_freshrss_prefix(world):
    token = world.greader_login("alice")
    entry = world.shared_entries[0]
    for t in ("x", ""):
        assert world.greader(token, "POST", "edit-tag", data={
            "i": str(entry.pk), "a": READ, "T": t}).text == "OK"  # fmt: skip
    # FeedMe-style: T as the only credential on a POST; FreshRSS-style prefix.
    response = requests.post(
        f"{world.base}/api/greader.php/reader/api/0/edit-tag",
        data={"i": str(entry.pk), "r": READ, "T": token},
        timeout=10,
    )
    assert response.text == "OK"
    assert entry.pk in _unread_ids(world, token)


def test_a_nul_character_in_a_parameter_is_never_a_500(world):
    """PostgreSQL text cannot hold NUL: renames, labels and stream ids with "\\x00" were 500s."""
    token = world.greader_login("alice")
    t = world.greader(token, "GET", "token").text
    feed = f"feed/{world.shared_feed.pk}"
    calls = [
        ("POST", "subscription/edit", {"data": {"T": t, "s": feed, "ac": "edit", "t": "a\0b"}}),
        ("POST", "subscription/edit", {"data": {"T": t, "s": feed, "ac": "edit",
                                                "a": "user/-/label/x\0y"}}),
        ("GET", "stream/contents/user/-/label/a%00b", {}),
        ("GET", "stream/items/ids", {"params": {"s": "feed/\0", "output": "json"}}),
        ("GET", "stream/contents", {"params": {"s": "user/-/label/a\0b"}}),
    ]  # fmt: skip
    for method, path, kwargs in calls:
        response = world.greader(token, method, path, **kwargs)
        assert response.status_code < 500, (path, kwargs, response.status_code)
    login = requests.post(
        f"{world.base}/api/greader/accounts/ClientLogin",
        data={"Email": "ali\0ce", "Passwd": "x"},
        timeout=10,
    )
    assert login.status_code == 401
