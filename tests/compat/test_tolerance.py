"""Tolerance as FreshRSS shows it (Google Reader paths and shapes, Fever's feed/item
agreement) and feed icons that apps can load."""

from __future__ import annotations

import pytest
import requests

from reader.api.compat.item_ids import item_id_long

pytestmark = pytest.mark.django_db(transaction=True)

READING_LIST = "user/-/state/com.google/reading-list"


@pytest.mark.parametrize(
    "path",
    [
        "/api/greader//accounts/ClientLogin",
        "/api/greader/accounts/ClientLogin/",
        "/api/greader.php//accounts//ClientLogin",
        "/api/greader.php/api/greader.php/accounts/ClientLogin",
    ],
)
def test_client_login_tolerates_doubled_and_trailing_slashes(world, path):
    response = requests.post(
        world.base + path, data={"Email": "alice", "Passwd": "alice-app-pass"}, timeout=10
    )
    assert response.status_code == 200, response.text
    assert "Auth=" in response.text


@pytest.mark.parametrize(
    "path", ["reader/api/0//user-info", "reader//api/0/user-info/", "reader/api/0/user-info//"]
)
def test_api_calls_tolerate_doubled_and_trailing_slashes(world, path):
    token = world.greader_login("alice")
    response = requests.get(
        f"{world.base}/api/greader/{path}",
        headers={"Authorization": f"GoogleLogin auth={token}"},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.json()["userName"] == "alice"


@pytest.mark.parametrize("path", ["/api/greader", "/api/greader/", "/api/greader.php"])
def test_the_bare_prefix_answers_ok(world, path):
    response = requests.get(world.base + path, timeout=10, allow_redirects=False)
    assert response.status_code == 200
    assert response.text == "OK"


def test_tag_list_folders_carry_no_unread_count(world):
    token = world.greader_login("alice")
    tags = world.greader(token, "GET", "tag/list", params={"output": "json"}).json()["tags"]
    folders = [t for t in tags if t.get("type") == "folder"]
    assert folders == [{"id": "user/-/label/Tech", "label": "Tech", "type": "folder"}]
    assert not any("unread_count" in t for t in tags if t.get("type") != "tag")


@pytest.mark.parametrize("path", ["stream/items/contents", "edit-tag"])
@pytest.mark.parametrize("bad", ["not-an-id", "tag:google.com,2005:reader/item/xyz", "0", "-5"])
def test_malformed_item_ids_are_a_400_at_contents_as_at_edit_tag(world, path, bad):
    token = world.greader_login("alice")
    data = {"i": bad, "a": "user/-/state/com.google/read", "T": token}
    response = world.greader(token, "POST", path, data=data)
    assert response.status_code == 400
    assert response.text.startswith("Error=")


def test_contents_keeps_good_ids_among_malformed_ones_as_edit_tag_does(world):
    token = world.greader_login("alice")
    good = world.shared_entries[0].pk
    contents = world.greader(
        token, "POST", "stream/items/contents", data={"i": ["nope", str(good)]}
    )
    assert contents.status_code == 200
    assert [i["id"] for i in contents.json()["items"]] == [item_id_long(good)]
    edit = world.greader(
        token, "POST", "edit-tag",
        data={"i": ["nope", str(good)], "a": "user/-/state/com.google/read", "T": token},
    )  # fmt: skip
    assert edit.status_code == 200


def test_well_formed_unknown_ids_are_no_error(world):
    token = world.greader_login("alice")
    response = world.greader(token, "POST", "stream/items/contents", data={"i": "999999999"})
    assert response.status_code == 200
    assert response.json()["items"] == []


def test_fever_never_returns_an_item_whose_feed_it_does_not_list(world):
    from reader import services

    alice = world.alice
    kept = world.private_entries[0]
    services.entries_set_starred(user=alice, entry_ids=[kept.pk], starred=True)
    services.entries_set_read(user=alice, entry_ids=[world.private_entries[1].pk], read=False)
    sub = alice.subscriptions.get(feed=world.private_feed)
    services.subscription_delete(user=alice, subscription_id=sub.pk)

    answer = world.fever("alice", "feeds&items&saved_item_ids&unread_item_ids")
    listed = {f["id"] for f in answer["feeds"]}
    assert world.private_feed.pk not in listed
    assert answer["items"] and all(i["feed_id"] in listed for i in answer["items"])
    assert kept.pk not in {int(x) for x in answer["saved_item_ids"].split(",") if x}
    assert kept.pk not in {int(x) for x in answer["unread_item_ids"].split(",") if x}
    assert answer["total_items"] == len(world.shared_entries)
    for query in (f"items&with_ids={kept.pk}", "items&since_id=0", "items&max_id=0"):
        items = world.fever("alice", query)["items"]
        assert all(i["feed_id"] in listed for i in items), query


def test_fever_since_id_pages_past_a_run_of_unlisted_items(world):
    from feeds.models import Entry
    from reader import services
    from tests.reader.factories import entries

    alice = world.alice
    extra = entries(world.private_feed, 60)
    services.entries_set_starred(user=alice, entry_ids=[e.pk for e in extra], starred=True)
    late = entries(world.shared_feed, 2)
    sub = alice.subscriptions.get(feed=world.private_feed)
    services.subscription_delete(user=alice, subscription_id=sub.pk)
    first_extra = min(e.pk for e in extra)
    items = world.fever("alice", f"items&since_id={first_extra - 1}")["items"]
    assert [i["id"] for i in items] == [e.pk for e in late]
    assert Entry.objects.filter(pk__in=[e.pk for e in extra]).count() == 60


def test_subscription_list_icons_load_for_apps_from_the_request_host(world, settings):
    settings.SITE_URL = "https://elsewhere.example"
    token = world.greader_login("alice")
    subs = world.greader(token, "GET", "subscription/list", params={"output": "json"}).json()
    for sub in subs["subscriptions"]:
        url = sub["iconUrl"]
        assert url.startswith(world.base + "/api/icons/"), url
        response = requests.get(url, timeout=10)  # no cookie, no token: as apps load it
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("image/")
        assert "public" in response.headers["Cache-Control"]
        assert "max-age=" in response.headers["Cache-Control"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        again = requests.get(url, headers={"If-None-Match": response.headers["ETag"]}, timeout=10)
        assert again.status_code == 304


def test_icon_urls_cannot_be_guessed(world):
    from reader.api.compat.app_icons import icon_path

    good = icon_path(world.private_feed.pk)
    assert requests.get(world.base + good, timeout=10).status_code == 200
    other = world.shared_feed.pk
    signature = good.rstrip("/").rsplit("/", 1)[1]
    forged = requests.get(f"{world.base}/api/icons/{other}/{signature}/", timeout=10)
    assert forged.status_code == 404
    assert requests.get(f"{world.base}/api/icons/{other}/x/", timeout=10).status_code == 404
    missing = icon_path(999999)
    assert requests.get(world.base + missing, timeout=10).status_code == 404


def test_fever_keeps_its_inline_icons(world):
    favicons = world.fever("alice", "favicons")["favicons"]
    assert favicons and all(";base64," in f["data"] for f in favicons)
