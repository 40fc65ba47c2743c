"""Replays of the request sequences Tiny Tiny RSS Android apps send, against a live server.

Restated from the apps' public source (docs/apps.md, "What the apps send"):

* tt-rss-android (``org.fox.ttrss``): ``login``, ``getApiLevel``, ``getFeeds`` of the Special
  category (-1) with ``include_nested``, ``getCategories`` with ``enable_nested``, ``getFeeds``
  of a category, then ``getHeadlines`` pages of 15 (``view_mode`` adaptive, ``show_excerpt``,
  ``show_content``, ``include_attachments``, ``include_header``, ``check_first_id`` of the first
  page from the second page on, ``skip`` = rows already loaded) until a short page; then
  ``updateArticle`` and ``catchupFeed`` with a ``mode``. Every value is sent as a string.
* TTRSS-Reader (``org.ttrssreader``, nilsbraden): ``login``, ``getCategories``, ``getFeeds``
  with ``cat_id`` -4, then ``getHeadlines`` pages of 200 with ``skip`` and ``since_id`` (the
  newest id it has) until a short page, ``updateArticle`` (field 2, then 0) and ``catchupFeed``.
"""

from __future__ import annotations

import pytest

from reader import selectors
from reader.api.compat.integer_ids import integer_entry_id
from reader.models import Subscription
from tests.compat.ttrss_client import Ttrss
from tests.factories import EntryFactory, SubscriptionFactory, entries

pytestmark = pytest.mark.django_db(transaction=True)


def _page_params(feed_id: int, skip: int, first_id: int, is_cat: bool = False) -> dict:
    params = {
        "feed_id": str(feed_id),
        "show_excerpt": "true",
        "excerpt_length": "256",
        "show_content": "true",
        "include_attachments": "true",
        "view_mode": "adaptive",
        "limit": "15",
        "skip": str(skip),
        "include_nested": "true",
        "has_sandbox": "true",
        "order_by": "default",
        "include_header": "true",
    }
    if is_cat:
        params["is_cat"] = "true"
    if skip == 0 and not is_cat and feed_id > 0:
        params["force_update"] = "true"
    if first_id:
        params["check_first_id"] = str(first_id)
    return params


def _load_all(app: Ttrss, feed_id: int, *, is_cat: bool = False) -> list[int]:
    """Page as tt-rss-android does; restart from the top when the server says the list moved."""
    loaded: list[int] = []
    first_id = 0
    while True:
        header, rows = app.ok(
            "getHeadlines", **_page_params(feed_id, len(loaded), first_id, is_cat)
        )
        if header.get("first_id_changed"):
            loaded, first_id = [], 0
            continue
        first_id = header["first_id"] or first_id
        loaded += [row["id"] for row in rows]
        if len(rows) < 15:
            return loaded


def test_tt_rss_android_sequence(world):
    tech_sub = Subscription.objects.get(user=world.alice, feed=world.shared_feed)
    more = entries(world.shared_feed, 32)
    app = Ttrss(world.base)
    login = app.ok("login", user="alice", password="alice-app-pass")
    app.sid = login["session_id"]
    assert app.ok("getApiLevel")["level"] >= 12
    special = {f["id"]: f for f in app.ok("getFeeds", cat_id="-1", include_nested="true")}
    assert special[-4]["unread"] == 40 and special[-1]["cat_id"] == -1
    categories = app.ok("getCategories", enable_nested="true")
    tech = next(c for c in categories if c["title"] == "Tech")
    feeds = app.ok("getFeeds", cat_id=str(tech["id"]), include_nested="true")
    assert [f["id"] for f in feeds] == [tech_sub.pk] and feeds[0]["unread"] == 37

    # Paging a feed to the end lists every entry once, newest first.
    ids = _load_all(app, tech_sub.pk)
    expected = sorted(
        world.shared_entries + more, key=lambda e: (e.published_at, e.pk), reverse=True
    )
    assert ids == [integer_entry_id(e.pk) for e in expected]

    # A new entry between two pages: the next page says the list moved; the app starts over.
    header, _first_page = app.ok("getHeadlines", **_page_params(tech_sub.pk, 0, 0))
    EntryFactory(feed=world.shared_feed, title="Arrived while paging")
    header2, rows = app.ok("getHeadlines", **_page_params(tech_sub.pk, 15, header["first_id"]))
    assert header2.get("first_id_changed") is True and rows == []
    assert len(_load_all(app, tech_sub.pk)) == 38

    # Reading: mark two read, star one, then catch up the category's older entries.
    two = ",".join(str(i) for i in ids[:2])
    assert app.ok("updateArticle", article_ids=two, mode="0", field="2")["updated"] == 2
    app.ok("updateArticle", article_ids=str(ids[2]), mode="1", field="0")
    assert selectors.unread_counts(user=world.alice)["total"] == 41 - 2
    app.ok(
        "catchupFeed",
        feed_id=str(tech["id"]),
        search_query="",
        search_lang="",
        mode="all",
        is_cat="1",
    )
    assert selectors.unread_counts(user=world.alice)["categories"][world.tech.pk] == 0
    starred = app.ok("getHeadlines", **_page_params(-1, 0, 0))[1]
    assert [row["id"] for row in starred] == [ids[2]]

    # An article of another user's feed is not found, as an unknown one is.
    bob_feed_entry = EntryFactory(feed=SubscriptionFactory(user=world.bob).feed)
    foreign = str(integer_entry_id(bob_feed_entry.pk))
    assert app.error("getArticle", article_id=foreign) == "E_NOT_FOUND"
    assert app.error("updateArticle", article_ids=foreign, mode="0", field="2") == "E_NOT_FOUND"


def test_ttrss_reader_sequence_with_since_id(world):
    more = entries(world.private_feed, 250)
    app = Ttrss(world.base)
    app.login("alice")
    assert {c["title"] for c in app.ok("getCategories")} >= {"Tech", "Uncategorized"}
    feeds = app.ok("getFeeds", cat_id="-4")
    private = next(f for f in feeds if f.get("feed_url") == world.private_feed.url)

    def page_through(since_id: int) -> list[int]:
        got: list[int] = []
        while True:
            rows = app.ok(
                "getHeadlines",
                feed_id=str(private["id"]),
                limit="200",
                skip=str(len(got)),
                view_mode="all_articles",
                is_cat="0",
                show_content="1",
                include_attachments="1",
                **({"since_id": str(since_id)} if since_id > 0 else {}),
            )
            got += [row["id"] for row in rows]
            if len(rows) < 200:
                return got

    first = page_through(0)
    assert len(first) == len(set(first)) == 253
    newest = max(first)
    assert newest == integer_entry_id(more[-1].pk)
    late = EntryFactory(feed=world.private_feed, title="After the sync")
    assert page_through(newest) == [integer_entry_id(late.pk)]
    assert page_through(integer_entry_id(late.pk)) == []
    app.ok("updateArticle", article_ids=",".join(map(str, first[:3])), mode="0", field="2")
    app.ok("updateArticle", article_ids=str(first[0]), mode="1", field="0")
    app.ok("catchupFeed", feed_id=str(private["id"]), is_cat="0")
    assert selectors.unread_counts(user=world.alice)["subscriptions"][private["id"]] == 0
