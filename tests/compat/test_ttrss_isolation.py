"""Tiny Tiny RSS API isolation: every call, made by Bob with Alice's ids, answers E_NOT_FOUND
(as an unknown id does) and changes nothing of Alice's; lists never name her objects."""

from __future__ import annotations

import json

import pytest

from reader import selectors
from reader.api.compat.integer_ids import integer_entry_id
from reader.models import Subscription
from tests.compat.ttrss_client import Ttrss

pytestmark = pytest.mark.django_db(transaction=True)


def _alices(world) -> dict:
    private = Subscription.objects.get(user=world.alice, feed=world.private_feed)
    return {
        "sub": private.pk,
        "cat": world.tech.pk,
        "article": integer_entry_id(world.private_entries[0].pk),
    }


#: (op, parameters with Alice's ids): Bob gets E_NOT_FOUND for each.
FOREIGN_CALLS = [
    ("getHeadlines", lambda a: {"feed_id": a["sub"]}),
    ("getHeadlines", lambda a: {"feed_id": a["cat"], "is_cat": True}),
    ("getHeadlines", lambda a: {"feed_id": a["sub"], "view_mode": "published"}),
    ("getUnread", lambda a: {"feed_id": a["sub"]}),
    ("getUnread", lambda a: {"feed_id": a["cat"], "is_cat": True}),
    ("getFeeds", lambda a: {"cat_id": a["cat"]}),
    ("getArticle", lambda a: {"article_id": str(a["article"])}),
    ("updateArticle", lambda a: {"article_ids": str(a["article"]), "field": 2, "mode": 0}),
    ("updateArticle", lambda a: {"article_ids": str(a["article"]), "field": 0, "mode": 1}),
    ("catchupFeed", lambda a: {"feed_id": a["sub"]}),
    ("catchupFeed", lambda a: {"feed_id": a["cat"], "is_cat": True}),
    ("unsubscribeFeed", lambda a: {"feed_id": a["sub"]}),
    ("subscribeToFeed", lambda a: {"feed_url": "https://x.example.org/", "category_id": a["cat"]}),
]

#: Calls without ids: Bob's answers never name Alice's feeds, folders or articles.
LIST_CALLS = [
    ("getApiLevel", {}),
    ("getVersion", {}),
    ("getConfig", {}),
    ("getPref", {"pref_name": "ENABLE_FEED_CATS"}),
    ("getLabels", {}),
    ("getUnread", {}),
    ("getCounters", {}),
    ("getCategories", {"include_empty": True}),
    ("getFeeds", {"cat_id": -4}),
    ("getFeedTree", {"include_empty": True}),
    ("getHeadlines", {"feed_id": -4, "show_content": True}),
    ("getHeadlines", {"feed_id": -1}),
    ("getHeadlines", {"feed_id": -3}),
    ("getHeadlines", {"feed_id": -6}),
    ("getHeadlines", {"feed_id": 0, "is_cat": True}),
    ("isLoggedIn", {}),
]


@pytest.fixture
def bob_app(world) -> Ttrss:
    client = Ttrss(world.base)
    client.login("bob")
    return client


@pytest.mark.parametrize(("op", "params"), FOREIGN_CALLS, ids=[c[0] for c in FOREIGN_CALLS])
def test_bob_gets_not_found_for_alices_objects_and_changes_nothing(world, bob_app, op, params):
    alices = _alices(world)
    before = selectors.unread_counts(user=world.alice)
    assert bob_app.error(op, **params(alices)) == "E_NOT_FOUND"
    assert selectors.unread_counts(user=world.alice) == before
    assert Subscription.objects.filter(pk=alices["sub"], user=world.alice).exists()
    assert not selectors.entry_get(
        user=world.alice, entry_id=world.private_entries[0].pk
    ).is_starred


@pytest.mark.parametrize(("op", "params"), FOREIGN_CALLS, ids=[c[0] for c in FOREIGN_CALLS])
def test_an_unknown_id_is_answered_as_alices_are(world, bob_app, op, params):
    unknown = {"sub": 987654, "cat": 987654, "article": 2**31 - 1}
    assert bob_app.error(op, **params(unknown)) == "E_NOT_FOUND"


@pytest.mark.parametrize(("op", "params"), LIST_CALLS, ids=[c[0] for c in LIST_CALLS])
def test_bobs_lists_never_name_alices_objects(world, bob_app, op, params):
    alices = _alices(world)
    text = json.dumps(bob_app.ok(op, **params))
    assert "Alice's private" not in text and "priv.example.com" not in text
    assert '"Tech"' not in text
    assert f'"id": {alices["article"]},' not in text and f'"id": {alices["sub"]},' not in text


def test_bobs_session_is_not_alices(world, bob_app):
    alice_app = Ttrss(world.base)
    alice_app.login("alice")
    assert bob_app.ok("getConfig")["num_feeds"] == 1
    assert alice_app.ok("getConfig")["num_feeds"] == 2
    bob_app.ok("logout")
    assert alice_app.ok("isLoggedIn") == {"status": True}
