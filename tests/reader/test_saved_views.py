"""Saved searches and views (issue 11): named views with unread counts, Today since local
midnight, display per view, private RSS/Atom feeds, on entries refreshed from loopback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from defusedxml import ElementTree
from django.test import Client
from django.utils import timezone, translation

from reader import saved_views, selectors, services
from reader.errors import InvalidInput, NotFound
from reader.models import SavedView
from tests.reader.syndication import Item, entry, refresh, serve, subscribe

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(autouse=True)
def _english():
    """View titles ("Today") are translated: a language another test left active must not leak."""
    with translation.override("en"):
        yield


@pytest.fixture
def news(feed_server, alice):
    """Alice follows News (Rust and Python posts at various ages) and Blog (in category Dev)."""
    items = [
        Item("Rust 2.0 released", "https://n.example.org/1", "n1", hours_ago=1),
        Item("Python news", "https://n.example.org/2", "n2", hours_ago=2),
        Item("Rust in the kernel", "https://n.example.org/3", "n3", hours_ago=24 * 10),
        Item("Gardening", "https://n.example.org/4", "n4", hours_ago=3),
    ]
    news = subscribe(alice, serve(feed_server, "/news.xml", "News", items))
    dev = services.category_create(user=alice, title="Dev")
    blog_items = [Item("Rust tips", "https://b.example.org/1", "b1", hours_ago=5)]
    blog = subscribe(alice, serve(feed_server, "/blog.xml", "Blog", blog_items), category=dev)
    refresh(news)
    refresh(blog)
    return news, blog, dev


def _titles(user, spec, status="all"):
    filters = {**spec.filters, "status": status}
    return sorted(e.title for e in selectors.entry_list(user=user, filters=filters).entries)


def test_a_saved_search_lists_its_entries_and_counts_its_unread(alice, news):
    _news, blog, dev = news
    view = saved_views.saved_view_create(user=alice, name="Rust", q="rust")
    recent = saved_views.saved_view_create(user=alice, name="Recent rust", q="rust", since_days=7)
    in_dev = saved_views.saved_view_create(
        user=alice, name="Dev rust", q="rust", category_id=dev.pk
    )
    spec = saved_views.view_resolve(user=alice, key=str(view.pk))
    assert _titles(alice, spec) == ["Rust 2.0 released", "Rust in the kernel", "Rust tips"]
    recent_spec = saved_views.view_resolve(user=alice, key=str(recent.pk))
    assert _titles(alice, recent_spec) == ["Rust 2.0 released", "Rust tips"]
    assert _titles(alice, saved_views.view_resolve(user=alice, key=str(in_dev.pk))) == ["Rust tips"]
    sidebar = {v.title: v.unread for v in saved_views.sidebar_views(user=alice)}
    assert sidebar == {"Today": sidebar["Today"], "Rust": 3, "Recent rust": 2, "Dev rust": 1}
    services.entries_set_read(user=alice, entry_ids=[entry(blog, "b1").pk], read=True)
    sidebar = {v.title: v.unread for v in saved_views.sidebar_views(user=alice)}
    assert (sidebar["Rust"], sidebar["Dev rust"]) == (2, 0)


def test_the_sidebar_costs_two_queries_whatever_the_number_of_views(
    alice, news, django_assert_num_queries
):
    for i in range(5):
        saved_views.saved_view_create(user=alice, name=f"V{i}", q=f"word{i}")
    with django_assert_num_queries(2):
        saved_views.sidebar_views(user=alice)


def test_today_starts_at_local_midnight_in_the_users_time_zone(alice):
    alice.timezone = "Asia/Shanghai"  # UTC+8
    now = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    assert saved_views.local_midnight(user=alice, now=now) == datetime(
        2026, 3, 1, 16, 0, tzinfo=UTC
    )
    alice.timezone = "America/Los_Angeles"  # UTC-8 in March before DST
    assert saved_views.local_midnight(user=alice, now=now) == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    alice.timezone = "Not/AZone"
    assert saved_views.local_midnight(user=alice, now=now) == datetime(2026, 3, 2, tzinfo=UTC)


def test_the_today_view_shows_entries_published_since_local_midnight(alice, news):
    today = saved_views.view_resolve(user=alice, key="today")
    midnight = saved_views.local_midnight(user=alice)
    expected = sorted(
        e.title
        for e in selectors.entry_list(user=alice, filters={"status": "all"}).entries
        if e.published_at >= midnight
    )
    assert _titles(alice, today) == expected
    assert "Rust in the kernel" not in expected


def test_views_are_validated_and_private(alice, bob, news):
    news_sub, _blog, dev = news
    saved_views.saved_view_create(user=alice, name="Rust", q="rust")
    with pytest.raises(InvalidInput, match="already have a view"):
        saved_views.saved_view_create(user=alice, name="  Rust ", q="x")
    with pytest.raises(InvalidInput):
        saved_views.saved_view_create(user=alice, name="")
    with pytest.raises(InvalidInput):
        saved_views.saved_view_create(user=alice, name="x", display="magazine")
    with pytest.raises(InvalidInput):
        saved_views.saved_view_create(
            user=alice, name="x", subscription_id=news_sub.pk, category_id=dev.pk
        )
    with pytest.raises(NotFound):
        saved_views.saved_view_create(user=bob, name="x", subscription_id=news_sub.pk)
    view = SavedView.objects.get(user=alice)
    with pytest.raises(NotFound):
        saved_views.view_resolve(user=bob, key=str(view.pk))
    with pytest.raises(NotFound):
        saved_views.feed_token_rotate(user=bob, view_id=view.pk)
    assert [v.title for v in saved_views.sidebar_views(user=bob)] == ["Today"]


def test_the_private_feed_serves_the_view_as_atom_and_rss_until_revoked(alice, news):
    view = saved_views.saved_view_create(user=alice, name="Rust", q="rust")
    view = saved_views.feed_token_rotate(user=alice, view_id=view.pk)
    assert len(view.feed_token) >= 32
    client = Client()  # anonymous: the token is the credential
    atom = client.get(f"/views/{view.feed_token}/atom/")
    assert atom.status_code == 200
    assert atom["Content-Type"].startswith("application/atom+xml")
    doc = ElementTree.fromstring(atom.content)
    titles = sorted(e.findtext(f"{ATOM}title") for e in doc.findall(f"{ATOM}entry"))
    assert titles == ["Rust 2.0 released", "Rust in the kernel", "Rust tips"]
    rss = client.get(f"/views/{view.feed_token}/rss/")
    assert rss.status_code == 200
    items = ElementTree.fromstring(rss.content).findall("channel/item")
    assert len(items) == 3
    old = view.feed_token
    view = saved_views.feed_token_rotate(user=alice, view_id=view.pk)
    assert client.get(f"/views/{old}/atom/").status_code == 404
    saved_views.feed_token_clear(user=alice, view_id=view.pk)
    assert client.get(f"/views/{view.feed_token or 'x'}/atom/").status_code == 404
    assert client.get("/views//atom/").status_code == 404
    assert client.get("/views/%00/atom/").status_code == 404  # was a 500 on PostgreSQL


def test_display_is_kept_per_view(alice, news):
    news_sub, _blog, _dev = news
    view = saved_views.saved_view_create(user=alice, name="Rust", q="rust")
    saved_views.display_set(user=alice, key=f"sub-{news_sub.pk}", display="cards")
    saved_views.display_set(user=alice, key="view-today", display="cards")
    saved_views.display_set(user=alice, key=f"view-{view.pk}", display="cards")
    alice.refresh_from_db()
    assert saved_views.display_for(user=alice, key=f"sub-{news_sub.pk}") == "cards"
    assert saved_views.display_for(user=alice, key="view-today") == "cards"
    assert saved_views.display_for(user=alice, key=f"view-{view.pk}") == "cards"
    assert saved_views.display_for(user=alice, key="unread") == "list"
    with pytest.raises(InvalidInput):
        saved_views.display_set(user=alice, key="unread", display="poster")
    with pytest.raises(InvalidInput):
        saved_views.display_set(user=alice, key="<script>", display="cards")


def test_a_view_of_old_entries_is_empty_after_since_days(alice, news):
    view = saved_views.saved_view_create(user=alice, name="Week", since_days=7)
    spec = saved_views.view_resolve(
        user=alice, key=str(view.pk), now=timezone.now() + timedelta(days=30)
    )
    assert _titles(alice, spec) == []
