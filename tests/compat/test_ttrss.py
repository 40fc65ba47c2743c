"""The Tiny Tiny RSS API on a live server: sessions, lists, counters, headlines, marks, catch-up,
subscriptions, paths, and the error shape (tt-rss API Reference; docs/apps.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from accounts import services as accounts
from reader import selectors, services
from reader.api.compat.integer_ids import integer_entry_id
from reader.models import Subscription
from tests.compat.ttrss_client import Ttrss
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db(transaction=True)

RSS = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>Subscribed by API</title>'
    "<link>https://feeds.example.org/</link><item><title>One</title><guid>one</guid>"
    "<link>https://feeds.example.org/one</link></item></channel></rss>"
)


def _subs(world):
    shared = Subscription.objects.get(user=world.alice, feed=world.shared_feed)
    private = Subscription.objects.get(user=world.alice, feed=world.private_feed)
    return shared, private


@pytest.fixture
def app(world):
    client = Ttrss(world.base)
    client.login("alice")
    return client


def test_login_answers_a_session_id_the_api_level_and_the_config(world):
    client = Ttrss(world.base)
    content = client.ok("login", user="alice", password="alice-app-pass", seq=7)
    assert content["api_level"] == 15 and len(content["session_id"]) == 48
    assert content["config"]["num_feeds"] == 2
    reply = client.call("getVersion", sid=content["session_id"], seq=7)
    assert reply["seq"] == 7 and reply["status"] == 0 and "Tidings" in reply["content"]["version"]


def test_a_wrong_password_or_the_login_password_gets_login_error(world):
    client = Ttrss(world.base)
    assert client.error("login", user="alice", password="wrong") == "LOGIN_ERROR"
    assert client.error("login", user="nobody", password="alice-app-pass") == "LOGIN_ERROR"
    assert client.error("login") == "LOGIN_ERROR"


def test_calls_without_a_live_session_answer_not_logged_in_in_the_api_shape(world):
    client = Ttrss(world.base)
    reply = client.post({"op": "getFeeds", "seq": 3})
    assert reply == {"seq": 3, "status": 1, "content": {"error": "NOT_LOGGED_IN"}}
    assert client.error("getHeadlines", sid="not-a-session", feed_id=-4) == "NOT_LOGGED_IN"
    assert client.ok("isLoggedIn", sid="not-a-session") == {"status": False}
    assert client.error("logout") == "NOT_LOGGED_IN"


def test_logout_ends_the_session(world, app):
    assert app.ok("isLoggedIn") == {"status": True}
    assert app.ok("logout") == {"status": "OK"}
    assert app.ok("isLoggedIn") == {"status": False}
    assert app.error("getUnread") == "NOT_LOGGED_IN"


def test_changing_or_clearing_the_client_password_ends_sessions(world, app):
    second = Ttrss(world.base)
    second.login("alice")
    accounts.client_password_set(user=world.alice, password="a-new-app-pass")
    assert app.error("getUnread") == "NOT_LOGGED_IN"
    assert second.error("getUnread") == "NOT_LOGGED_IN"
    third = Ttrss(world.base)
    third.login("alice", "a-new-app-pass")
    assert third.ok("getUnread") == {"unread": 8}
    accounts.client_password_clear(user=world.alice)
    assert third.error("getUnread") == "NOT_LOGGED_IN"
    assert third.error("login", user="alice", password="a-new-app-pass") == "LOGIN_ERROR"


def test_a_session_is_refused_once_the_address_is_locked(world, app, settings):
    settings.ACCOUNTS_LOGIN_FAILURES_PER_IP = 3
    client = Ttrss(world.base)
    for _ in range(3):
        assert client.error("login", user="alice", password="wrong") == "LOGIN_ERROR"
    response = requests.post(f"{world.base}/api/", json={"op": "getUnread", "sid": app.sid})
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    assert response.json()["content"] == {"error": "NOT_LOGGED_IN"}
    locked = requests.post(
        f"{world.base}/api/", json={"op": "login", "user": "alice", "password": "alice-app-pass"}
    )
    assert locked.status_code == 429 and locked.json()["content"]["error"] == "LOGIN_ERROR"


@pytest.mark.parametrize(
    "path", ["/api/", "/api/index.php", "/tt-rss/api/", "/tt-rss/api/index.php"]
)
def test_every_documented_path_answers(world, path):
    client = Ttrss(world.base, path=path)
    client.login("alice")
    assert client.ok("getApiLevel") == {"level": 15}


def test_the_other_client_apis_keep_their_routes(world):
    token = world.greader_login("alice")
    assert world.greader(token, "GET", "user-info").json()["userName"] == "alice"
    assert world.fever("alice")["auth"] == 1
    assert requests.get(f"{world.base}/api/v1/me/", timeout=10).status_code in (401, 403)


def test_unknown_calls_answer_unknown_method_with_its_name(app):
    data = app.call("setArticleLabel")
    assert data["content"] == {"error": "UNKNOWN_METHOD", "method": "setArticleLabel"}
    assert app.ok("GETAPILEVEL") == {"level": 15}  # calls are case-insensitive


def test_feeds_categories_and_counters_agree_with_the_server(world, app):
    shared, private = _subs(world)
    services.entries_set_read(user=world.alice, entry_ids=[world.shared_entries[0].pk], read=True)
    services.entries_set_starred(
        user=world.alice, entry_ids=[world.private_entries[0].pk], starred=True
    )
    assert app.ok("getUnread") == {"unread": 7}
    assert app.ok("getUnread", feed_id=shared.pk) == {"unread": 4}
    assert app.ok("getUnread", feed_id=world.tech.pk, is_cat=True) == {"unread": 4}
    feeds = {f["id"]: f for f in app.ok("getFeeds", cat_id=-3)}
    assert set(feeds) == {shared.pk, private.pk}
    assert feeds[shared.pk]["unread"] == 4 and feeds[shared.pk]["cat_id"] == world.tech.pk
    assert (
        feeds[private.pk]["cat_id"] == 0 and feeds[private.pk]["feed_url"] == world.private_feed.url
    )
    assert [f["id"] for f in app.ok("getFeeds", cat_id=world.tech.pk)] == [shared.pk]
    assert [f["id"] for f in app.ok("getFeeds", cat_id="0")] == [private.pk]
    special = {f["id"]: f["unread"] for f in app.ok("getFeeds", cat_id=-1)}
    assert special == {-1: 1, -2: 0, -3: 7, -4: 7, -6: 0, 0: 0}
    cats = {c["id"]: c for c in app.ok("getCategories")}
    assert cats[world.tech.pk]["unread"] == 4 and cats[0]["unread"] == 3 and -1 in cats
    counters = app.ok("getCounters")
    by_key = {(c["id"], c.get("kind")): c for c in counters}
    assert by_key[("global-unread", None)]["counter"] == 7
    assert by_key[(-1, None)]["counter"] == 1 and by_key[(-1, None)]["auxcounter"] == 1
    assert by_key[(private.pk, None)]["counter"] == 3
    assert by_key[(world.tech.pk, "cat")]["counter"] == 4


def test_the_feed_tree_lists_special_feeds_categories_and_icons_apps_can_load(world, app):
    shared, _private = _subs(world)
    CategoryFactory(user=world.alice, title="Empty")
    tree = app.ok("getFeedTree")["categories"]
    names = [item["name"] for item in tree["items"]]
    assert names == ["Special", "Tech", "Uncategorized"]
    with_empty = app.ok("getFeedTree", include_empty=True)["categories"]["items"]
    assert [item["name"] for item in with_empty] == ["Special", "Empty", "Tech", "Uncategorized"]
    tech = tree["items"][1]
    assert tree["items"][0]["items"][0]["bare_id"] == -4
    assert tech["id"] == f"CAT:{world.tech.pk}" and tech["items"][0]["bare_id"] == shared.pk
    icon = requests.get(tech["items"][0]["icon"], timeout=10)
    assert icon.status_code == 200 and icon.headers["Content-Type"].startswith("image/")


def test_headlines_of_a_feed_a_category_and_the_special_feeds(world, app):
    shared, _private = _subs(world)
    newest = world.shared_entries[-1]
    services.entries_set_starred(user=world.alice, entry_ids=[newest.pk], starred=True)
    rows = app.ok("getHeadlines", feed_id=shared.pk, show_content=True, show_excerpt=True)
    assert [r["id"] for r in rows] == [
        integer_entry_id(e.pk) for e in reversed(world.shared_entries)
    ]
    first = rows[0]
    assert first["title"] == newest.title and first["unread"] is True and first["marked"] is True
    assert first["feed_id"] == shared.pk and first["content"] == newest.content
    assert first["excerpt"] == "Some text." and first["feed_title"] == "Shared news"
    assert len(app.ok("getHeadlines", feed_id=world.tech.pk, is_cat=True)) == 5
    assert len(app.ok("getHeadlines", feed_id=0, is_cat=True)) == 3
    assert len(app.ok("getHeadlines", feed_id=-4)) == 8
    assert [r["id"] for r in app.ok("getHeadlines", feed_id=-1)] == [integer_entry_id(newest.pk)]
    assert app.ok("getHeadlines", feed_id=-2) == []
    oldest = app.ok("getHeadlines", feed_id=shared.pk, order_by="date_reverse", limit=1)
    assert oldest[0]["id"] == integer_entry_id(world.shared_entries[0].pk)
    assert app.error("getHeadlines") == "INCORRECT_USAGE"


def test_view_modes_fresh_and_recently_read(world, app):
    shared, _ = _subs(world)
    old = world.shared_entries[0]
    type(old).objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    read = world.shared_entries[1]
    services.entries_set_read(user=world.alice, entry_ids=[read.pk], read=True)
    ids = lambda rows: {r["id"] for r in rows}  # noqa: E731
    unread = app.ok("getHeadlines", feed_id=shared.pk, view_mode="unread")
    assert integer_entry_id(read.pk) not in ids(unread) and len(unread) == 4
    assert len(app.ok("getHeadlines", feed_id=shared.pk, view_mode="adaptive")) == 4
    assert len(app.ok("getHeadlines", feed_id=shared.pk, view_mode="all_articles")) == 5
    fresh = app.ok("getHeadlines", feed_id=-3)
    assert integer_entry_id(old.pk) not in ids(fresh) and len(fresh) == 6
    assert ids(app.ok("getHeadlines", feed_id=-6)) == {integer_entry_id(read.pk)}
    services.entries_set_read(
        user=world.alice, entry_ids=[e.pk for e in world.shared_entries], read=True
    )
    everything = app.ok("getHeadlines", feed_id=shared.pk, view_mode="adaptive")
    assert len(everything) == 5  # adaptive shows all when nothing is unread


def test_since_id_and_search_narrow_the_list(world, app):
    _shared, _ = _subs(world)
    third = integer_entry_id(world.shared_entries[2].pk)
    newer = app.ok("getHeadlines", feed_id=-4, since_id=third)
    assert {r["id"] for r in newer} == {
        r
        for r in [integer_entry_id(e.pk) for e in world.private_entries + world.shared_entries]
        if r > third
    }
    title = world.private_entries[1].title
    found = app.ok("getHeadlines", feed_id=-4, search=f'"{title}"')
    assert [r["title"] for r in found] == [title]


def test_get_article_answers_content_and_attachments(world, app):
    entry = world.shared_entries[2]
    type(entry).objects.filter(pk=entry.pk).update(
        enclosures=[{"url": "https://site.example.org/a.mp3", "type": "audio/mpeg", "length": 10}]
    )
    [article] = app.ok("getArticle", article_id=str(integer_entry_id(entry.pk)))
    assert article["title"] == entry.title and article["content"] == entry.content
    assert article["attachments"][0]["content_url"] == "https://site.example.org/a.mp3"
    two = app.ok(
        "getArticle",
        article_id=f"{integer_entry_id(entry.pk)},{integer_entry_id(world.private_entries[0].pk)}",
    )
    assert len(two) == 2
    assert app.error("getArticle", article_id="999999999") == "E_NOT_FOUND"
    assert app.error("getArticle") == "INCORRECT_USAGE"


def test_update_article_sets_and_toggles_unread_and_starred(world, app):
    a, b = world.shared_entries[0], world.shared_entries[1]
    ids = f"{integer_entry_id(a.pk)},{integer_entry_id(b.pk)}"
    assert app.ok("updateArticle", article_ids=ids, field=2, mode=0) == {
        "status": "OK",
        "updated": 2,
    }
    assert selectors.unread_counts(user=world.alice)["total"] == 6
    app.ok("updateArticle", article_ids=str(integer_entry_id(a.pk)), field="2", mode="1")
    assert selectors.entry_get(user=world.alice, entry_id=a.pk).is_read is False
    app.ok("updateArticle", article_ids=ids, field=2, mode=2)  # toggle: a read, b unread
    assert selectors.entry_get(user=world.alice, entry_id=a.pk).is_read is True
    assert selectors.entry_get(user=world.alice, entry_id=b.pk).is_read is False
    app.ok("updateArticle", article_ids=[integer_entry_id(a.pk)], field=0, mode=1)
    assert selectors.entry_get(user=world.alice, entry_id=a.pk).is_starred is True
    app.ok("updateArticle", article_ids=ids, field=0, mode=2)
    assert selectors.entry_get(user=world.alice, entry_id=a.pk).is_starred is False
    assert selectors.entry_get(user=world.alice, entry_id=b.pk).is_starred is True


def test_published_notes_and_scores_are_answered_as_unsupported(world, app):
    article = str(integer_entry_id(world.shared_entries[0].pk))
    for field in (1, 3, 4):
        data = app.call("updateArticle", article_ids=article, field=field, mode=1, data="x")
        assert data["status"] == 1 and data["content"]["error"] == "E_OPERATION_FAILED"
        assert data["content"]["message"]
    assert app.error("updateArticle", article_ids=article, field=2, mode=7) == "INCORRECT_USAGE"
    assert app.error("updateArticle", field=2, mode=1) == "INCORRECT_USAGE"


def test_catchup_feed_marks_a_feed_a_category_or_everything_read(world, app):
    _shared, private = _subs(world)
    assert app.ok("catchupFeed", feed_id=private.pk) == {"status": "OK"}
    assert selectors.unread_counts(user=world.alice)["subscriptions"][private.pk] == 0
    app.ok("catchupFeed", feed_id=world.tech.pk, is_cat=True, mode="1day")
    assert selectors.unread_counts(user=world.alice)["total"] == 5  # all first seen today
    app.ok("catchupFeed", feed_id=-4)
    assert selectors.unread_counts(user=world.alice)["total"] == 0
    assert app.error("catchupFeed") == "INCORRECT_USAGE"


def test_catchup_modes_leave_entries_first_seen_recently_unread(world, app):
    shared, _ = _subs(world)
    week_old = world.shared_entries[0]
    type(week_old).objects.filter(pk=week_old.pk).update(
        created_at=timezone.now() - timedelta(days=8)
    )
    app.ok("catchupFeed", feed_id=shared.pk, mode="1week")
    unread = {r["id"] for r in app.ok("getHeadlines", feed_id=shared.pk, view_mode="unread")}
    assert unread == {integer_entry_id(e.pk) for e in world.shared_entries[1:]}
    app.ok("catchupFeed", feed_id=-3)
    assert selectors.unread_counts(user=world.alice)["subscriptions"][shared.pk] == 0


def test_subscribe_and_unsubscribe(world, app, feed_server):
    url = feed_server.url("/ttrss-feed.xml")
    feed_server.add_route(
        "/ttrss-feed.xml", headers={"Content-Type": "application/rss+xml"}, body=RSS
    )
    status = app.ok("subscribeToFeed", feed_url=url, category_id=world.tech.pk)["status"]
    assert status["code"] == 1
    sub = Subscription.objects.get(pk=status["feed_id"], user=world.alice)
    assert sub.category_id == world.tech.pk
    again = app.ok("subscribeToFeed", feed_url=url)["status"]
    assert again == {"code": 0, "feed_id": sub.pk}
    assert app.ok("subscribeToFeed", feed_url="not a url")["status"]["code"] == 2
    assert app.error("subscribeToFeed") == "INCORRECT_USAGE"
    assert app.ok("unsubscribeFeed", feed_id=sub.pk) == {"status": "OK"}
    assert not Subscription.objects.filter(pk=sub.pk).exists()
    assert app.error("unsubscribeFeed", feed_id=sub.pk) == "E_NOT_FOUND"


def test_preferences_labels_and_config(world, app):
    assert app.ok("getPref", pref_name="FRESH_ARTICLE_MAX_AGE") == {"value": 24}
    assert app.ok("getPref", pref_name="ENABLE_FEED_CATS") == {"value": True}
    assert app.ok("getPref", pref_name="NO_SUCH_PREF") == {"value": None}
    assert app.ok("getLabels") == []
    assert app.ok("getConfig")["num_feeds"] == 2


def test_parameters_sent_as_strings_work_as_numbers_and_booleans(world, app):
    shared, _ = _subs(world)
    rows = app.ok("getHeadlines", feed_id=str(shared.pk), limit="2", skip="1", show_content="false")
    assert len(rows) == 2 and "content" not in rows[0]
    header, rows = app.ok("getHeadlines", feed_id="-4", is_cat="0", include_header="true")
    assert header["id"] == -4 and header["is_cat"] is False and len(rows) == 8


def test_catching_up_a_special_category_marks_nothing(world, app):
    for cat_id in (-1, -2, -4):
        assert app.ok("catchupFeed", feed_id=cat_id, is_cat=True) == {"status": "OK"}
    assert selectors.unread_counts(user=world.alice)["total"] == 8


def test_a_browser_session_cookie_alone_is_not_signed_in(world, client):
    client.force_login(world.alice)
    entry = str(integer_entry_id(world.shared_entries[0].pk))
    body = {"op": "updateArticle", "article_ids": entry, "field": 2, "mode": 0}
    response = client.post("/api/", data=body, content_type="application/json")
    assert response.json()["content"] == {"error": "NOT_LOGGED_IN"}
    assert selectors.unread_counts(user=world.alice)["total"] == 8
