"""/api/v1/unread-counts/ as the page's live poll: ETag and 304, the fetch state of watched
subscriptions, and never another user's data."""

from __future__ import annotations

import pytest
from django.utils import timezone

from feeds.models import Feed
from tests.api.conftest import ApiClient
from tests.factories import EntryFactory, FeedFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/unread-counts/"


def test_an_unchanged_answer_is_a_304_and_a_change_a_new_etag(api):
    sub = SubscriptionFactory(user=api.user)
    EntryFactory(feed=sub.feed)
    first = api.get(URL)
    assert first.status_code == 200
    etag = first["ETag"]
    assert etag.startswith('"') and first["Cache-Control"] == "private, no-cache"
    again = api.get(URL, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    EntryFactory(feed=sub.feed)
    changed = api.get(URL, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert changed.json()["total"] == 2


def test_watch_reports_the_fetch_state_of_own_subscriptions_only(alice, bob):
    own = SubscriptionFactory(user=alice, feed=FeedFactory(last_fetched_at=None))
    foreign = SubscriptionFactory(user=bob, feed=FeedFactory(last_error="Secret error of bob"))
    api = ApiClient(alice, "token")
    body = api.get(URL, {"watch": f"{own.pk},{foreign.pk}"}).json()
    assert body["fetches"] == [
        {"id": own.pk, "status": "ok", "last_fetched_at": None, "last_error": ""}
    ]
    Feed.objects.filter(pk=own.feed_id).update(last_fetched_at=timezone.now(), error_count=1)
    fetched = api.get(URL, {"watch": str(own.pk)}).json()["fetches"][0]
    assert fetched["last_fetched_at"] is not None and fetched["status"] == "failing"


def test_another_users_counts_are_never_in_it(alice, bob):
    mine = SubscriptionFactory(user=alice)
    theirs = SubscriptionFactory(user=bob)
    EntryFactory(feed=theirs.feed)
    EntryFactory(feed=theirs.feed)
    body = ApiClient(alice, "token").get(URL).json()
    assert body["total"] == 0
    assert [row["id"] for row in body["subscriptions"]] == [mine.pk]
    alice_etag = ApiClient(alice, "token").get(URL)["ETag"]
    EntryFactory(feed=theirs.feed)  # Bob's news changes nothing for Alice
    same = ApiClient(alice, "token").get(URL, headers={"If-None-Match": alice_etag})
    assert same.status_code == 304


def test_a_bad_watch_list_is_a_400(alice):
    api = ApiClient(alice, "token")
    assert api.get(URL, {"watch": "1;drop"}).status_code == 400
    assert api.get(URL, {"watch": ",".join(["1"] * 21)}).status_code == 400
