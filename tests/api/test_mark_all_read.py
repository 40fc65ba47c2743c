"""P25 through the REST API: mark-all-read never marks entries that arrived after the bound.

The feed is fetched for real (loopback feed server) at frozen times: fetch1.xml at 10:00
(entries 1-3), the client loads the list at 10:01, fetch2.xml at 10:05 (entries 4-5), and
mark-all-read at 10:06 with the bound the client loaded.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from tests.api.conftest import ApiClient, assert_error
from tests.conftest import shared_path

pytestmark = [pytest.mark.django_db, pytest.mark.shared]


def at(hh: int, mm: int) -> datetime:
    return datetime(2026, 3, 2, hh, mm, tzinfo=UTC)


@pytest.fixture
def race(feed_server, alice):
    """Alice's subscription after both fetches; returns (client, subscription id, loaded ids)."""
    case = shared_path("cases", "P25-mark-all-read-upper-bound")
    rss = {"Content-Type": "application/rss+xml"}
    route = "/race.xml"
    api = ApiClient(alice, "token")
    with time_machine.travel(at(9, 59), tick=False):
        feed_server.add_route(route, body_file=case / "fetch1.xml", headers=rss)
        sub = api.post("/api/v1/subscriptions/", {"url": feed_server.url(route)}).json()
    with time_machine.travel(at(10, 0), tick=False):
        assert api.post(f"/api/v1/subscriptions/{sub['id']}/refresh/").json()["new"] == 3
    with time_machine.travel(at(10, 1), tick=False):
        loaded = api.get("/api/v1/entries/", {"status": "unread"}).json()["results"]
        assert len(loaded) == 3
    with time_machine.travel(at(10, 5), tick=False):
        feed_server.add_route(route, body_file=case / "fetch2.xml", headers=rss)
        assert api.post(f"/api/v1/subscriptions/{sub['id']}/refresh/").json()["new"] == 2
    return api, sub["id"], {e["id"] for e in loaded}


def _unread_titles(api: ApiClient) -> list[str]:
    results = api.get("/api/v1/entries/", {"status": "unread", "sort": "oldest"}).json()["results"]
    return [e["title"] for e in results]


@pytest.mark.parametrize(
    "body",
    [
        {"before": "2026-03-02T10:01:00Z"},
        {"before": "2026-03-02T11:01:00+01:00", "subscription_id": "SUB"},
        {"max_entry_id": "MAX"},
        {"max_entry_id": "MAX", "subscription_id": "SUB"},
        {"before": "2026-03-02T10:01:00Z", "category_id": 0},
    ],
    ids=["before", "before-with-offset-subscription", "max-id", "max-id-subscription", "category"],
)
def test_entries_that_arrived_after_the_bound_stay_unread(race, body):
    api, sub_id, loaded = race
    body = {k: sub_id if v == "SUB" else max(loaded) if v == "MAX" else v for k, v in body.items()}
    with time_machine.travel(at(10, 6), tick=False):
        response = api.post("/api/v1/mark-all-read/", body)
    assert response.status_code == 200, response.content
    assert _unread_titles(api) == ["Race Feed item 4", "Race Feed item 5"]
    assert api.get("/api/v1/unread-counts/").json()["total"] == 2


def test_without_a_bound_the_request_time_is_the_bound(race, feed_server):
    api, _sub_id, _ = race
    with time_machine.travel(at(10, 6), tick=False):
        response = api.post("/api/v1/mark-all-read/", {})
    assert response.json()["before"] == "2026-03-02T10:06:00Z"
    assert _unread_titles(api) == []


def test_a_foreign_scope_is_a_404_and_a_double_scope_a_400(race, bob):
    api, sub_id, _ = race
    bob_api = ApiClient(bob, "token")
    assert bob_api.post("/api/v1/mark-all-read/", {"subscription_id": sub_id}).status_code == 404
    assert len(_unread_titles(api)) == 5
    assert_error(
        api.post("/api/v1/mark-all-read/", {"subscription_id": sub_id, "category_id": 0}), 400
    )
