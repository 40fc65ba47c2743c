"""Subscriptions, categories, feeds, entries, marks and counts via /api/v1/ (token and session)."""

from __future__ import annotations

import pytest

from reader.models import Category, EntryState, Subscription
from tests.api.conftest import assert_error
from tests.api.seed import make_feed, seed_reader_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(alice):
    return seed_reader_data(alice)


def test_subscriptions_are_listed_with_unread_counts_and_feed_details(api, data):
    body = api.get("/api/v1/subscriptions/").json()
    by_id = {s["id"]: s for s in body}
    one = by_id[data["sub1"].pk]
    assert one["unread_count"] == 5
    assert one["category_id"] == data["category"].pk
    assert one["feed_url"] == data["feed1"].url
    assert one["icon_url"].endswith(f"/icons/{data['feed1'].pk}/")
    assert by_id[data["sub2"].pk]["category_id"] is None
    only_cat = api.get("/api/v1/subscriptions/", {"category": data["category"].pk}).json()
    assert [s["id"] for s in only_cat] == [data["sub1"].pk]


def test_subscribing_to_a_feed_tidings_already_fetches_answers_201_then_409(api, bob):
    feed = make_feed("https://shared.tidings.invalid/feed.xml", entries=2)
    created = api.post("/api/v1/subscriptions/", {"url": feed.url, "title": "Mine"})
    assert created.status_code == 201, created.content
    assert created.json()["title"] == "Mine"
    assert created.json()["unread_count"] == 2
    again = api.post("/api/v1/subscriptions/", {"url": feed.url})
    body = assert_error(again, 409)
    assert body["code"] == "subscription_exists"
    assert body["subscription_id"] == created.json()["id"]


def test_subscribing_to_a_refused_url_is_a_400_on_the_url_field(api):
    body = assert_error(
        api.post("/api/v1/subscriptions/", {"url": "javascript:alert(1)"}), 400, "url"
    )
    assert body["code"] == "invalid_url"
    assert_error(api.post("/api/v1/subscriptions/", {"url": "http://10.0.0.1/feed"}), 400, "url")


def test_a_subscription_is_renamed_moved_and_deleted(api, data):
    sub = data["sub2"]
    path = f"/api/v1/subscriptions/{sub.pk}/"
    response = api.patch(path, {"title": "Renamed", "category_id": data["category"].pk})
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Renamed"
    assert response.json()["category_id"] == data["category"].pk
    assert api.patch(path, {"category_id": None}).json()["category_id"] is None
    assert api.patch(path, {"title": ""}).json()["title"] == data["feed2"].title
    assert api.delete(path).status_code == 204
    assert not Subscription.objects.filter(pk=sub.pk).exists()
    assert api.get(path).status_code == 404


def test_categories_are_created_renamed_reordered_and_deleted(api, data):
    created = api.post("/api/v1/categories/", {"title": "  News   Daily "})
    assert created.status_code == 201
    assert created.json()["title"] == "News Daily"
    assert (
        assert_error(api.post("/api/v1/categories/", {"title": "News Daily"}), 409)["category_id"]
        == created.json()["id"]
    )
    new_id = created.json()["id"]
    listed = api.get("/api/v1/categories/").json()
    assert {c["id"]: c["unread_count"] for c in listed}[data["category"].pk] == 5
    renamed = api.patch(f"/api/v1/categories/{new_id}/", {"title": "Daily"})
    assert renamed.json()["title"] == "Daily"
    order = api.post("/api/v1/categories/order/", {"ids": [new_id, data["category"].pk]})
    assert [c["id"] for c in order.json()] == [new_id, data["category"].pk]
    assert api.delete(f"/api/v1/categories/{data['category'].pk}/").status_code == 204
    data["sub1"].refresh_from_db()
    assert data["sub1"].category_id is None  # subscriptions are kept, uncategorized


def test_feeds_lists_only_subscribed_feeds_with_fetch_state(api, data):
    make_feed("https://nobody.tidings.invalid/feed.xml")
    feeds = api.get("/api/v1/feeds/").json()
    assert sorted(f["id"] for f in feeds) == sorted([data["feed1"].pk, data["feed2"].pk])
    one = api.get(f"/api/v1/feeds/{data['feed1'].pk}/").json()
    assert one["error_count"] == 0 and one["next_fetch_at"]


def test_entries_are_filtered_by_status_subscription_and_category(api, data):
    unread = api.get("/api/v1/entries/", {"status": "unread"}).json()["results"]
    assert len(unread) == 8
    assert all(e["content"] is None for e in unread)
    starred = api.get("/api/v1/entries/", {"status": "starred"}).json()["results"]
    assert [e["id"] for e in starred] == [data["entries1"][0].pk]
    by_sub = api.get("/api/v1/entries/", {"subscription": data["sub2"].pk}).json()["results"]
    assert {e["feed_id"] for e in by_sub} == {data["feed2"].pk}
    by_cat = api.get("/api/v1/entries/", {"category": data["category"].pk}).json()["results"]
    assert {e["subscription_id"] for e in by_cat} == {data["sub1"].pk}
    by_feed = api.get("/api/v1/entries/", {"feed": data["feed1"].pk}).json()["results"]
    assert len(by_feed) == 5
    uncategorized = api.get("/api/v1/entries/", {"category": 0}).json()["results"]
    assert {e["subscription_id"] for e in uncategorized} == {data["sub2"].pk}


def test_entries_filter_by_published_dates_and_sort(api, data):
    entries = data["entries1"]
    cut = entries[2].published_at.isoformat()
    after = api.get("/api/v1/entries/", {"feed": data["feed1"].pk, "published_after": cut})
    assert [e["id"] for e in after.json()["results"]] == [e.pk for e in reversed(entries[2:])]
    before = api.get(
        "/api/v1/entries/", {"feed": data["feed1"].pk, "published_before": cut, "sort": "oldest"}
    )
    assert [e["id"] for e in before.json()["results"]] == [e.pk for e in entries[:2]]


def test_the_cursor_pages_through_without_repeats_while_entries_arrive(api, data):
    first = api.get("/api/v1/entries/", {"limit": 3}).json()
    assert len(first["results"]) == 3 and first["next_cursor"]
    make_feed("https://late.tidings.invalid/feed.xml", entries=0)
    seen = [e["id"] for e in first["results"]]
    # An entry arriving now in a subscribed feed must not shift the next page.
    from django.utils import timezone

    from feeds.models import Entry

    Entry.objects.create(
        feed=data["feed1"],
        identity_hash="late".ljust(64, "0"),
        title="late",
        published_at=timezone.now(),
    )
    page = first
    while page["next"]:
        page = api.get(page["next"]).json()
        seen += [e["id"] for e in page["results"]]
    assert len(seen) == len(set(seen)) == 8


def test_the_list_can_include_content_and_retrieve_always_does(api, data):
    listed = api.get("/api/v1/entries/", {"with_content": "true", "limit": 1}).json()["results"]
    assert listed[0]["content"].startswith("<p>Entry")
    entry = data["entries1"][1]
    body = api.get(f"/api/v1/entries/{entry.pk}/").json()
    assert body["content"] == entry.content
    (enclosure,) = body["enclosures"]
    assert enclosure["original_url"] == entry.enclosures[0]["url"]
    assert enclosure["url"].startswith("http://testserver/media/")  # MEDIA_PROXY=all
    assert (enclosure["type"], enclosure["length"], enclosure["duration"]) == (
        "audio/mpeg",
        12,
        None,
    )
    assert body["tags"] == ["news"]
    assert body["published_at"].endswith("Z")


def test_an_entry_is_marked_read_and_starred(api, data, alice):
    entry = data["entries2"][0]
    response = api.patch(f"/api/v1/entries/{entry.pk}/", {"read": True, "starred": True})
    assert response.status_code == 200, response.content
    assert response.json()["read"] is True and response.json()["starred"] is True
    state = EntryState.objects.get(user=alice, entry=entry)
    assert state.starred and state.starred_at
    back = api.patch(f"/api/v1/entries/{entry.pk}/", {"read": False})
    assert back.json()["read"] is False
    assert_error(api.patch(f"/api/v1/entries/{entry.pk}/", {}), 400, "non_field_errors")


def test_batch_marks_up_to_1000_ids_and_skips_unknown_ones(api, data):
    ids = [e.pk for e in data["entries1"]] + [999_999_999]
    response = api.post("/api/v1/entries/batch/", {"ids": ids, "read": True})
    assert response.status_code == 200
    assert response.json()["ids"] == sorted(e.pk for e in data["entries1"])
    counts = api.get("/api/v1/unread-counts/").json()
    assert counts["total"] == 3
    too_many = api.post("/api/v1/entries/batch/", {"ids": list(range(1, 1002)), "read": True})
    assert_error(too_many, 400, "ids")
    no_mark = api.post("/api/v1/entries/batch/", {"ids": ids})
    assert_error(no_mark, 400, "non_field_errors")


def test_unread_counts_cover_subscriptions_categories_and_stars(api, data):
    counts = api.get("/api/v1/unread-counts/").json()
    assert counts["total"] == 8 and counts["starred"] == 1
    assert {c["id"]: c["unread"] for c in counts["subscriptions"]} == {
        data["sub1"].pk: 5,
        data["sub2"].pk: 3,
    }
    assert {c["id"]: c["unread"] for c in counts["categories"]} == {data["category"].pk: 5, None: 3}


def test_mark_all_read_by_subscription_category_or_everything(api, data):
    assert (
        api.post("/api/v1/mark-all-read/", {"subscription_id": data["sub2"].pk}).status_code == 200
    )
    assert api.get("/api/v1/unread-counts/").json()["total"] == 5
    api.post("/api/v1/mark-all-read/", {"category_id": data["category"].pk})
    assert api.get("/api/v1/unread-counts/").json()["total"] == 0
    both = api.post("/api/v1/mark-all-read/", {"subscription_id": 1, "category_id": 1})
    assert_error(both, 400, "non_field_errors")


def test_state_changing_routes_refuse_get(api, data):
    for path in ("/api/v1/mark-all-read/", "/api/v1/entries/batch/", "/api/v1/discover/"):
        assert_error(api.get(path), 405)
    assert Category.objects.count() == 1


def test_refresh_now_runs_the_refresh_service_and_reports_the_feed_state(api, data):
    response = api.post(f"/api/v1/subscriptions/{data['sub1'].pk}/refresh/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["outcome"] == "dns"  # the seeded host is under .invalid
    assert body["feed"]["id"] == data["feed1"].pk
    assert body["feed"]["error_count"] == 1 and body["feed"]["last_error"]
    assert_error(api.get(f"/api/v1/subscriptions/{data['sub1'].pk}/refresh/"), 405)


def test_the_entry_list_costs_the_same_queries_whatever_the_page_size(alice_api, data):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    alice_api.get("/api/v1/entries/")  # the token's last use is recorded once a minute
    counts = []
    for limit in (2, 8):
        with CaptureQueriesContext(connection) as queries:
            response = alice_api.get("/api/v1/entries/", {"limit": limit, "with_content": "true"})
        assert len(response.json()["results"]) == limit
        counts.append(len(queries))
    assert counts[0] == counts[1]
