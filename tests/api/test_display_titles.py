"""The REST API keeps ``title`` as the feed published it and adds ``display_title``."""

from __future__ import annotations

import pytest

from tests.factories import SubscriptionFactory
from tests.feeds.social import MASTODON_POST, MICROBLOG_SHORT, store_feed

pytestmark = pytest.mark.django_db


def test_entries_of_title_less_posts_have_an_empty_title_and_a_display_title(
    feed_server, alice, alice_api
):
    SubscriptionFactory(user=alice, feed=store_feed(feed_server, "microblog"))
    SubscriptionFactory(user=alice, feed=store_feed(feed_server, "mastodon"))
    results = alice_api.get("/api/v1/entries/", {"limit": 50}).json()["results"]
    by_link = {item["url"].rsplit("/", 1)[-1]: item for item in results}
    assert (by_link["coffee.html"]["title"], by_link["coffee.html"]["display_title"]) == (
        "",
        MICROBLOG_SHORT,
    )
    assert by_link["blogging.html"]["display_title"] == by_link["blogging.html"]["title"]
    assert by_link["113"]["title"] == ""
    assert by_link["113"]["display_title"] == MASTODON_POST + " #garden"
    assert by_link["112"]["display_title"] == ""  # an image without text
    one = alice_api.get(f"/api/v1/entries/{by_link['coffee.html']['id']}/").json()
    assert one["display_title"] == MICROBLOG_SHORT


def test_the_schema_documents_the_display_title():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    entry = schema["components"]["schemas"]["EntryOutput"]
    assert "display_title" in entry["required"]
    assert "first words" in entry["properties"]["display_title"]["description"]
