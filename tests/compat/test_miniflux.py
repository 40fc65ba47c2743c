"""The Miniflux API v1 at /v1/ over real HTTP: authentication, shapes, filters, paging, writes,
errors in Miniflux's shape, and a fuzz of every route that never gets a 5xx.

World (tests/compat/conftest.py): Alice follows "Shared news" (5 entries, in "Tech") and
"Alice's private" (3 entries, Uncategorized); Bob follows the shared feed only.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import services as accounts
from reader import selectors, services
from reader.api.compat.integer_ids import integer_entry_id
from reader.models import Category, Subscription
from tests.compat.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Miniflux:
    """A Miniflux API client of one user (X-Auth-Token, or HTTP Basic with ``basic``)."""

    base: str
    token: str = ""
    basic: tuple[str, str] | None = None

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if self.token:
            headers["X-Auth-Token"] = self.token
        return requests.request(
            method, f"{self.base}/v1/{path}", headers=headers, auth=self.basic, timeout=20, **kwargs
        )

    def get(self, path: str, **params) -> requests.Response:
        return self.call("GET", path, params=params)

    def ok(self, path: str, **params):
        response = self.get(path, **params)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()


@pytest.fixture
def alice_mf(world) -> Miniflux:
    _token, raw = accounts.token_create(user=world.alice, name="miniflux app")
    return Miniflux(world.base, token=raw)


@pytest.fixture
def bob_mf(world) -> Miniflux:
    _token, raw = accounts.token_create(user=world.bob, name="miniflux app")
    return Miniflux(world.base, token=raw)


def mid(entry) -> int:
    return integer_entry_id(entry.pk)


# --- Authentication ------------------------------------------------------------------------


def test_an_api_token_in_x_auth_token_signs_in(world, alice_mf):
    me = alice_mf.ok("me")
    assert me["id"] == world.alice.pk and me["username"] == "alice"
    assert me["is_admin"] is False and me["entry_sorting_order"] == "published_at"


def test_http_basic_with_the_client_password_signs_in_and_the_login_password_does_not(world):
    assert Miniflux(world.base, basic=("alice", PASSWORD["alice"])).ok("me")["username"] == "alice"
    refused = Miniflux(world.base, basic=("alice", "alice-pass-123")).get("me")
    assert refused.status_code == 401
    assert refused.json() == {"error_message": "Access Unauthorized"}
    assert refused.headers["WWW-Authenticate"].startswith("Basic")


def test_no_credentials_or_a_wrong_token_is_a_401_in_minifluxs_shape(world):
    for client in (Miniflux(world.base), Miniflux(world.base, token="tid_nope")):
        response = client.get("feeds")
        assert response.status_code == 401
        assert response.json() == {"error_message": "Access Unauthorized"}


def test_a_revoked_token_stops_working(world):
    token, raw = accounts.token_create(user=world.alice, name="app")
    client = Miniflux(world.base, token=raw)
    assert client.get("me").status_code == 200
    accounts.token_revoke(user=world.alice, token_id=token.pk)
    assert client.get("me").status_code == 401


def test_repeated_wrong_tokens_lock_the_address_with_a_429(world, settings):
    settings.ACCOUNTS_LOGIN_FAILURES_PER_IP = 3
    client = Miniflux(world.base, token="tid_wrong")
    statuses = [client.get("me").status_code for _ in range(5)]
    assert statuses[:3] == [401, 401, 401] and statuses[-1] == 429
    locked = client.get("me")
    assert "error_message" in locked.json() and int(locked.headers["Retry-After"]) >= 1


def test_cors_preflight_is_answered_without_credentials(world):
    response = requests.options(f"{world.base}/v1/entries", timeout=10)
    assert response.status_code == 200
    assert "X-Auth-Token" in response.headers["Access-Control-Allow-Headers"]


# --- Feeds and categories ------------------------------------------------------------------


def test_feeds_carry_their_category_and_uncategorized_is_category_zero(world, alice_mf):
    feeds = {f["id"]: f for f in alice_mf.ok("feeds")}
    assert set(feeds) == {world.shared_feed.pk, world.private_feed.pk}
    shared = feeds[world.shared_feed.pk]
    assert shared["title"] == "Shared news"
    assert shared["feed_url"] == world.shared_feed.url
    assert shared["category"] == {
        "id": world.tech.pk,
        "title": "Tech",
        "user_id": world.alice.pk,
        "hide_globally": False,
    }
    assert feeds[world.private_feed.pk]["category"]["id"] == 0
    assert shared["icon"] == {"feed_id": world.shared_feed.pk, "icon_id": world.shared_feed.pk}
    assert alice_mf.ok(f"feeds/{world.shared_feed.pk}") == shared


def test_categories_list_uncategorized_first_and_counts_on_request(world, alice_mf):
    assert [c["id"] for c in alice_mf.ok("categories")] == [0, world.tech.pk]
    counted = {c["id"]: c for c in alice_mf.ok("categories", counts="true")}
    assert counted[world.tech.pk]["feed_count"] == 1
    assert counted[world.tech.pk]["total_unread"] == 5
    assert counted[0]["total_unread"] == 3
    feeds = alice_mf.ok(f"categories/{world.tech.pk}/feeds")
    assert [f["id"] for f in feeds] == [world.shared_feed.pk]
    assert [f["id"] for f in alice_mf.ok("categories/0/feeds")] == [world.private_feed.pk]


def test_category_create_rename_and_delete(world, alice_mf):
    created = alice_mf.call("POST", "categories", json={"title": "News"})
    assert created.status_code == 201
    category = created.json()
    assert category["title"] == "News" and category["user_id"] == world.alice.pk
    again = alice_mf.call("POST", "categories", json={"title": "News"})
    assert again.status_code == 400 and again.json()["error_message"]
    renamed = alice_mf.call("PUT", f"categories/{category['id']}", json={"title": "Daily"})
    assert renamed.status_code == 201 and renamed.json()["title"] == "Daily"
    deleted = alice_mf.call("DELETE", f"categories/{category['id']}")
    assert deleted.status_code == 204
    assert not Category.objects.filter(pk=category["id"]).exists()


def test_deleting_a_category_keeps_its_feeds_as_uncategorized(world, alice_mf):
    assert alice_mf.call("DELETE", f"categories/{world.tech.pk}").status_code == 204
    sub = Subscription.objects.get(user=world.alice, feed=world.shared_feed)
    assert sub.category_id is None
    feed = alice_mf.ok(f"feeds/{world.shared_feed.pk}")
    assert feed["category"]["id"] == 0


def test_a_feed_is_renamed_and_moved_and_an_empty_title_changes_nothing(world, alice_mf):
    path = f"feeds/{world.private_feed.pk}"
    moved = alice_mf.call("PUT", path, json={"title": "Mine", "category_id": world.tech.pk})
    assert moved.status_code == 201
    assert moved.json()["title"] == "Mine" and moved.json()["category"]["id"] == world.tech.pk
    unchanged = alice_mf.call("PUT", path, json={"title": "", "category_id": 0})
    assert (
        unchanged.json()["title"] == "Mine" and unchanged.json()["category"]["id"] == world.tech.pk
    )


def test_a_feed_is_created_from_the_loopback_server_and_deleted(world, alice_mf, feed_server):
    url = feed_server.url("/mf.xml")
    feed_server.add_route("/mf.xml", body=RSS, headers={"Content-Type": "application/rss+xml"})
    created = alice_mf.call("POST", "feeds", json={"feed_url": url, "category_id": world.tech.pk})
    assert created.status_code == 201, created.text
    feed_id = created.json()["feed_id"]
    sub = Subscription.objects.get(user=world.alice, feed_id=feed_id)
    assert sub.category_id == world.tech.pk
    again = alice_mf.call("POST", "feeds", json={"feed_url": url})
    assert again.status_code == 400 and again.json()["error_message"]
    assert alice_mf.call("DELETE", f"feeds/{feed_id}").status_code == 204
    assert not Subscription.objects.filter(pk=sub.pk).exists()


RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>MF</title>
<link>https://feeds.example.org/</link><item><title>One</title><guid>mf-1</guid>
<link>https://feeds.example.org/1</link></item></channel></rss>"""


def test_discover_lists_the_feed_at_a_url(world, alice_mf, feed_server):
    feed_server.add_route("/d.xml", body=RSS, headers={"Content-Type": "application/rss+xml"})
    found = alice_mf.call("POST", "discover", json={"url": feed_server.url("/d.xml")})
    assert found.status_code == 200, found.text
    assert found.json() == [{"url": feed_server.url("/d.xml"), "title": "MF", "type": "rss"}]
    bad = alice_mf.call("POST", "discover", json={"url": "ftp://nowhere"})
    assert bad.status_code == 400 and bad.json()["error_message"]


def test_feed_counters_count_reads_and_unreads_per_feed(world, alice_mf):
    services.entries_set_read(user=world.alice, entry_ids=[world.shared_entries[0].pk], read=True)
    counters = alice_mf.ok("feeds/counters")
    assert counters["unreads"] == {str(world.shared_feed.pk): 4, str(world.private_feed.pk): 3}
    assert counters["reads"] == {str(world.shared_feed.pk): 1, str(world.private_feed.pk): 0}


def test_feed_icons_are_data_urls(world, alice_mf):
    icon = alice_mf.ok(f"feeds/{world.shared_feed.pk}/icon")
    mime, _, data = icon["data"].partition(";base64,")
    assert mime == icon["mime_type"] == "image/svg+xml"
    assert base64.b64decode(data).startswith(b"<svg")
    assert alice_mf.ok(f"icons/{world.shared_feed.pk}") == icon


def test_refresh_queues_a_fetch_and_is_limited_per_minute(world, alice_mf):
    path = f"feeds/{world.shared_feed.pk}/refresh"
    statuses = [alice_mf.call("PUT", path).status_code for _ in range(11)]
    assert statuses[:10] == [204] * 10 and statuses[10] == 429
    assert alice_mf.call("PUT", "feeds/refresh").status_code == 204


# --- Entries -------------------------------------------------------------------------------


def test_an_entry_has_minifluxs_fields_and_its_feed(world, alice_mf):
    entry = world.shared_entries[2]
    got = alice_mf.ok(f"entries/{mid(entry)}")
    assert got["id"] == mid(entry) and got["feed_id"] == world.shared_feed.pk
    assert got["status"] == "unread" and got["starred"] is False
    assert got["title"] == entry.title and got["url"] == entry.url
    assert got["published_at"].endswith("Z") and isinstance(got["reading_time"], int)
    assert got["feed"]["id"] == world.shared_feed.pk and got["feed"]["category"]["id"]
    for key in ("hash", "comments_url", "share_code", "content", "author", "created_at"):
        assert isinstance(got[key], str), key
    assert got["enclosures"] == [] and got["tags"] == []
    assert alice_mf.ok(f"feeds/{world.shared_feed.pk}/entries/{mid(entry)}")["id"] == mid(entry)
    assert alice_mf.ok(f"categories/{world.tech.pk}/entries/{mid(entry)}")["id"] == mid(entry)
    assert alice_mf.get(f"feeds/{world.private_feed.pk}/entries/{mid(entry)}").status_code == 404
    assert alice_mf.get(f"categories/0/entries/{mid(entry)}").status_code == 404


def test_unread_list_total_equals_the_servers_unread_count(world, alice_mf):
    services.entries_set_read(user=world.alice, entry_ids=[world.private_entries[0].pk], read=True)
    listed = alice_mf.ok("entries", status="unread", limit=100)
    assert listed["total"] == selectors.unread_counts(user=world.alice)["total"] == 7
    assert len(listed["entries"]) == 7
    assert all(e["status"] == "unread" for e in listed["entries"])


def test_direction_orders_by_publication_date(world, alice_mf):
    newest = [e["id"] for e in alice_mf.ok("entries", direction="desc")["entries"]]
    oldest = [e["id"] for e in alice_mf.ok("entries", direction="asc")["entries"]]
    assert newest == oldest[::-1] and len(newest) == 8
    feed = alice_mf.ok(f"feeds/{world.shared_feed.pk}/entries", direction="desc")
    assert [e["id"] for e in feed["entries"]] == [mid(e) for e in reversed(world.shared_entries)]


@pytest.mark.parametrize("limit", [1, 3, 5])
def test_paging_by_offset_lists_every_entry_once(world, alice_mf, limit):
    seen, offset = [], 0
    while True:
        page = alice_mf.ok("entries", direction="desc", limit=limit, offset=offset)
        assert page["total"] == 8
        seen += [e["id"] for e in page["entries"]]
        if len(page["entries"]) < limit:
            break
        offset += limit
    everything = [mid(e) for e in world.shared_entries + world.private_entries]
    assert sorted(seen) == sorted(everything) and len(seen) == len(set(seen))


def test_starred_and_status_combine(world, alice_mf):
    one, two = world.shared_entries[0], world.private_entries[0]
    services.entries_set_starred(user=world.alice, entry_ids=[one.pk, two.pk], starred=True)
    services.entries_set_read(user=world.alice, entry_ids=[one.pk], read=True)
    assert {e["id"] for e in alice_mf.ok("entries", starred="true")["entries"]} == {
        mid(one),
        mid(two),
    }
    unread_starred = alice_mf.ok("entries", status="unread", starred="1")
    assert [e["id"] for e in unread_starred["entries"]] == [mid(two)]
    assert unread_starred["total"] == 1
    not_starred = alice_mf.ok("entries", starred="false")
    assert not_starred["total"] == 6
    both = alice_mf.ok("entries", status=["read", "unread"])
    assert both["total"] == 8


def test_entry_id_and_date_bounds(world, alice_mf):
    entries = world.shared_entries
    after = alice_mf.ok(f"feeds/{world.shared_feed.pk}/entries", after_entry_id=mid(entries[2]))
    assert {e["id"] for e in after["entries"]} == {mid(entries[3]), mid(entries[4])}
    before = alice_mf.ok("entries", feed_id=world.shared_feed.pk, before_entry_id=mid(entries[1]))
    assert [e["id"] for e in before["entries"]] == [mid(entries[0])]
    stamp = int(entries[2].published_at.timestamp())  # within the second entries[2] came out
    later = alice_mf.ok(f"feeds/{world.shared_feed.pk}/entries", after=stamp + 1)
    assert {e["id"] for e in later["entries"]} == {mid(entries[3]), mid(entries[4])}
    earlier = alice_mf.ok(f"feeds/{world.shared_feed.pk}/entries", before=stamp)
    assert {e["id"] for e in earlier["entries"]} == {mid(entries[0]), mid(entries[1])}


def test_search_finds_entries_by_title(world, alice_mf):
    target = world.private_entries[1]
    found = alice_mf.ok("entries", search=target.title)
    assert mid(target) in [e["id"] for e in found["entries"]]


def test_category_entries_include_uncategorized_as_zero(world, alice_mf):
    tech = alice_mf.ok(f"categories/{world.tech.pk}/entries")
    assert tech["total"] == 5
    loose = alice_mf.ok("categories/0/entries")
    assert {e["id"] for e in loose["entries"]} == {mid(e) for e in world.private_entries}


def test_put_entries_marks_read_and_unread_as_newsboat_sends_it(world, alice_mf):
    target = world.shared_entries[1]
    body = {"entry_ids": [mid(target)], "status": "read"}
    assert alice_mf.call("PUT", "entries", json=body).status_code == 204
    assert selectors.entry_get(user=world.alice, entry_id=target.pk).is_read
    body["status"] = "unread"
    assert alice_mf.call("PUT", "entries", json=body).status_code == 204
    assert not selectors.entry_get(user=world.alice, entry_id=target.pk).is_read


def test_bookmark_toggles_the_star(world, alice_mf):
    target = world.shared_entries[3]
    path = f"entries/{mid(target)}/bookmark"
    assert alice_mf.call("PUT", path).status_code == 204
    assert selectors.entry_get(user=world.alice, entry_id=target.pk).is_starred
    assert alice_mf.call("PUT", path).status_code == 204
    assert not selectors.entry_get(user=world.alice, entry_id=target.pk).is_starred


def test_mark_all_as_read_by_feed_category_and_user(world, alice_mf):
    assert (
        alice_mf.call("PUT", f"feeds/{world.private_feed.pk}/mark-all-as-read").status_code == 204
    )
    assert selectors.unread_counts(user=world.alice)["total"] == 5
    assert alice_mf.call("PUT", f"categories/{world.tech.pk}/mark-all-as-read").status_code == 204
    assert selectors.unread_counts(user=world.alice)["total"] == 0
    services.entries_set_read(user=world.alice, entry_ids=[world.shared_entries[0].pk], read=False)
    assert alice_mf.call("PUT", f"users/{world.bob.pk}/mark-all-as-read").status_code == 404
    assert selectors.unread_counts(user=world.alice)["total"] == 1
    assert alice_mf.call("PUT", f"users/{world.alice.pk}/mark-all-as-read").status_code == 204
    assert selectors.unread_counts(user=world.alice)["total"] == 0


# --- OPML ------------------------------------------------------------------------------------


def test_opml_export_lists_the_feeds(world, alice_mf):
    response = alice_mf.get("export")
    assert response.status_code == 200 and b"<opml" in response.content
    assert world.shared_feed.url.encode() in response.content


def test_opml_import_accepts_a_file_and_refuses_garbage(world, alice_mf, bob_mf):
    opml = alice_mf.get("export").content
    imported = bob_mf.call("POST", "import", data=opml)
    assert imported.status_code == 201 and imported.json()["message"]
    garbage = bob_mf.call("POST", "import", data=b"not opml at all")
    assert garbage.status_code == 400 and garbage.json()["error_message"]


# --- Errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"status": "nope"},
        {"order": "random"},
        {"direction": "up"},
        {"offset": "-1"},
        {"limit": "-5"},
    ],
)
def test_bad_list_parameters_are_a_400_in_minifluxs_shape(world, alice_mf, params):
    response = alice_mf.get("entries", **params)
    assert response.status_code == 400
    assert set(response.json()) == {"error_message"} and response.json()["error_message"]


@pytest.mark.parametrize(
    "body",
    [b"{", b"[]", b'{"entry_ids": [], "status": "read"}', b'{"entry_ids": [1], "status": "x"}'],
)
def test_bad_bodies_are_a_400(world, alice_mf, body):
    response = alice_mf.call("PUT", "entries", data=body)
    assert response.status_code == 400 and response.json()["error_message"]


def test_unknown_ids_and_paths_are_minifluxs_404(world, alice_mf):
    for path in ("feeds/999999", "entries/999999", "categories/999999/feeds", "nothing/here"):
        response = alice_mf.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"error_message": "Resource Not Found"}, path
    assert alice_mf.call("DELETE", "me").status_code == 405


# --- Fuzz ------------------------------------------------------------------------------------

PATHS = [
    "me",
    "version",
    "users/{n}/mark-all-as-read",
    "categories",
    "categories/{n}",
    "categories/{n}/mark-all-as-read",
    "categories/{n}/feeds",
    "categories/{n}/entries",
    "categories/{n}/entries/{n}",
    "discover",
    "feeds",
    "feeds/counters",
    "feeds/{n}",
    "feeds/{n}/icon",
    "feeds/{n}/mark-all-as-read",
    "feeds/{n}/entries",
    "feeds/{n}/entries/{n}",
    "export",
    "import",
    "entries",
    "entries/{n}",
    "entries/{n}/bookmark",
    "icons/{n}",
]
PARAMS = [
    "status",
    "starred",
    "limit",
    "offset",
    "order",
    "direction",
    "after",
    "before",
    "after_entry_id",
    "before_entry_id",
    "category_id",
    "feed_id",
    "search",
    "counts",
]
junk = st.one_of(
    st.text(max_size=30),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["0", "1", "true", "unread", "read", "asc", "desc", "id", "\x00", "%"]),
)
json_junk = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=10,
)
bodies = st.one_of(
    json_junk,
    st.fixed_dictionaries(
        {},
        optional={
            "entry_ids": st.lists(st.integers(-(2**40), 2**64), max_size=5) | json_junk,
            "status": st.sampled_from(["read", "unread", "", "x"]) | json_junk,
            "title": st.text(max_size=20) | json_junk,
            "category_id": st.integers(-5, 2**64) | json_junk,
            "feed_url": st.text(max_size=20) | json_junk,
            "url": st.sampled_from(["", "ftp://x", "not a url"]) | json_junk,
        },
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    path=st.sampled_from(PATHS),
    number=st.one_of(st.integers(0, 2**63 - 1), st.sampled_from([0, 1, 2, 3])),
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    params=st.dictionaries(st.sampled_from(PARAMS), junk, max_size=4),
    body=bodies,
)
def test_no_request_to_any_route_gets_a_5xx(fuzz_client, path, number, method, params, body):
    response = fuzz_client.call(method, path.format(n=number), params=params, json=body)
    assert response.status_code < 500, (method, path, params, body, response.text[:300])
    if response.status_code >= 400:
        assert "error_message" in response.json()


@pytest.fixture
def fuzz_client(world, alice_mf):
    return alice_mf


def test_error_messages_follow_the_users_language(world, alice_mf):
    world.alice.language = "zh-hans"
    world.alice.save(update_fields=["language"])
    response = alice_mf.get("entries", direction="up")
    assert response.status_code == 400
    assert response.json()["error_message"].startswith("无效的排序方向")
