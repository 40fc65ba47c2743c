"""Google Reader and Fever give title-less posts their display title as ``title``."""

from __future__ import annotations

import pytest

from tests.factories import SubscriptionFactory
from tests.feeds.social import MASTODON_POST, MICROBLOG_SHORT, store_feed

pytestmark = pytest.mark.django_db(transaction=True)


def test_client_apis_show_the_first_words_of_a_title_less_post(world, feed_server):
    SubscriptionFactory(user=world.alice, feed=store_feed(feed_server, "microblog"))
    SubscriptionFactory(user=world.alice, feed=store_feed(feed_server, "mastodon"))
    token = world.greader_login("alice")
    response = world.greader(
        token, "GET", "stream/contents/user/-/state/com.google/reading-list",
        params={"n": 100, "output": "json"},
    )  # fmt: skip
    assert response.status_code == 200
    items = {item["canonical"][0]["href"].rsplit("/", 1)[-1]: item
             for item in response.json()["items"] if item["canonical"]}  # fmt: skip
    assert items["coffee.html"]["title"] == MICROBLOG_SHORT
    assert items["113"]["title"] == MASTODON_POST + " #garden"
    assert MASTODON_POST in items["113"]["content"]["content"]  # the post, not the alt text
    fever = world.fever("alice", "items")["items"]
    titles = {item["url"].rsplit("/", 1)[-1]: item["title"] for item in fever}
    assert titles["coffee.html"] == MICROBLOG_SHORT
    assert titles["blogging.html"] == "On blogging again"
