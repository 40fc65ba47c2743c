"""Pages of issue 11 part B: /settings/rules/ (preview, save, apply), /settings/views/, the
reader with Today, saved views, cards, keyword highlights and merged duplicates."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from reader import saved_views
from reader.models import HiddenEntry, Rule, SavedView
from reader.templatetags.tidings_highlight import keyword_list, keywords
from tests.factories import RuleFactory, SavedViewFactory
from tests.reader.syndication import Item, refresh, serve, subscribe

pytestmark = pytest.mark.django_db

ITEMS = [
    Item("Rust <b>security</b> fix", "https://r.example.org/1", "r1", hours_ago=1),
    Item("Sponsored: buy", "https://r.example.org/2", "r2", hours_ago=2),
    Item("Weekly digest", "https://r.example.org/3", "r3", hours_ago=3),
]


@pytest.fixture
def sub(feed_server, alice):
    subscription = subscribe(alice, serve(feed_server, "/r.xml", "Rusty", ITEMS))
    refresh(subscription)
    return subscription


@pytest.fixture
def alice_client(alice):
    client = Client()
    client.force_login(alice)
    return client


def test_the_rules_page_previews_saves_and_applies_a_rule(alice, alice_client, sub):
    page = alice_client.get("/settings/rules/")
    assert page.status_code == 200
    assert "No rules yet." in page.content.decode()
    form = {"scope": f"sub-{sub.pk}", "field": "title", "match": "any_words"}
    form |= {"pattern": "sponsored", "action": "hide"}
    preview = alice_client.post("/settings/rules/", {**form, "preview": "1"})
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "1 of your 3 newest entries match." in html and "Sponsored: buy" in html
    assert not Rule.objects.exists()
    saved = alice_client.post("/settings/rules/", {**form, "apply_now": "1"})
    assert saved.status_code == 302
    rule = Rule.objects.get(user=alice)
    assert rule.subscription_id == sub.pk and HiddenEntry.objects.filter(user=alice).count() == 1
    off = alice_client.post(f"/settings/rules/{rule.pk}/", {"action": "disable"})
    assert off.status_code == 302
    rule.refresh_from_db()
    assert rule.enabled is False


def test_an_invalid_regular_expression_is_shown_on_the_form(alice_client, sub):
    response = alice_client.post(
        "/settings/rules/",
        {"field": "title", "match": "regex", "pattern": "(x", "action": "read"},
    )
    assert response.status_code == 200
    assert "regular expression is not valid" in response.content.decode()
    assert not Rule.objects.exists()


def test_another_users_rule_and_view_cannot_be_changed(alice, bob, sub):
    rule = RuleFactory(user=alice, pattern="x")
    view = SavedViewFactory(user=alice, name="Mine")
    client = Client()
    client.force_login(bob)
    assert client.post(f"/settings/rules/{rule.pk}/", {"action": "delete"}).status_code == 404
    assert client.post(f"/settings/views/{view.pk}/", {"action": "delete"}).status_code == 404
    assert client.get(f"/reader/?view={view.pk}").status_code == 404
    assert (
        Rule.objects.filter(pk=rule.pk).exists() and SavedView.objects.filter(pk=view.pk).exists()
    )
    assert Client().get("/settings/rules/").status_code == 302  # anonymous: sign in first


def test_a_search_saved_as_a_view_appears_in_the_sidebar_with_its_count(alice, alice_client, sub):
    search = alice_client.get("/search/?q=rust").content.decode()
    assert "/settings/views/?q=rust" in search
    created = alice_client.post(
        "/settings/views/",
        {"name": "Rust", "q": "rust", "scope": "", "status": "unread", "display": "list"},
    )
    view = SavedView.objects.get(user=alice)
    assert created.status_code == 302 and created["Location"].endswith(
        f"?view={view.pk}&show=unread"
    )
    page = alice_client.get(f"/reader/?view={view.pk}")
    html = page.content.decode()
    assert page.status_code == 200
    assert f'data-count-for="view-{view.pk}" data-count="1"' in html
    assert "<h1" in html and ">Rust</h1>" in html
    assert "Weekly digest" not in html.split('class="entry-list')[1]
    assert 'data-count-for="view-today"' in html


def test_the_today_view_and_the_card_display(alice, alice_client, sub):
    page = alice_client.get("/reader/?view=today").content.decode()
    assert "Weekly digest" in page and 'class="entry-list"' in page
    back = alice_client.post(
        "/reader/display/", {"key": "view-today", "display": "cards", "next": "/reader/?view=today"}
    )
    assert back.status_code == 302 and back["Location"] == "/reader/?view=today"
    assert (
        'class="entry-list entry-cards"' in alice_client.get("/reader/?view=today").content.decode()
    )
    # Other lists keep their own display.
    assert "entry-cards" not in alice_client.get("/reader/?show=all").content.decode()
    off_site = alice_client.post(
        "/reader/display/", {"key": "all", "display": "cards", "next": "https://evil.example/"}
    )
    assert off_site["Location"] == "/reader/"


def test_keywords_are_highlighted_in_titles_after_escaping(alice, alice_client, sub):
    alice.highlight_words = "security, RUST"
    alice.save(update_fields=["highlight_words"])
    html = alice_client.get("/reader/?show=all").content.decode()
    # The feed's title is stored as plain text ("Rust security fix").
    assert '<mark class="keyword">Rust</mark> <mark class="keyword">security</mark> fix' in html
    assert keywords("<b>Rust</b> & co", "<b>, rust") == (
        '<mark class="keyword">&lt;b&gt;</mark><mark class="keyword">Rust</mark>&lt;/b&gt; &amp; co'
    )
    assert keywords("<script>", "") == "&lt;script&gt;"
    assert keyword_list(" a ,, b，c\nd ") == ["a", "b", "c", "d"]


def test_merged_duplicates_show_their_other_sources(alice, alice_client, sub, feed_server):
    mirror = subscribe(alice, serve(feed_server, "/m.xml", "Mirror", ITEMS[:1]))
    refresh(mirror)
    alice.merge_duplicates = True
    alice.save(update_fields=["merge_duplicates"])
    html = alice_client.get("/reader/?show=all").content.decode()
    listing = html.split('class="entry-list')[1]
    assert listing.count("fix</span>") == 1
    assert "Also in" in listing


def test_the_preferences_page_offers_duplicates_and_highlights(alice, alice_client):
    html = alice_client.get("/settings/").content.decode()
    assert 'name="merge_duplicates"' in html and 'name="highlight_words"' in html


def test_the_sidebar_counts_stay_constant_in_queries(alice, alice_client, sub):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        alice_client.get("/reader/")
    for i in range(5):
        saved_views.saved_view_create(user=alice, name=f"V{i}", q=f"w{i}")
    with CaptureQueriesContext(connection) as many:
        alice_client.get("/reader/")
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_pages_are_translated_into_chinese(alice, alice_client, sub):
    alice.language = "zh-hans"
    alice.save(update_fields=["language"])
    with translation.override("en"):  # the requests activate Chinese: do not leak it
        rules_page = alice_client.get("/settings/rules/", headers={"Accept-Language": "zh-hans"})
        views_page = alice_client.get("/settings/views/", headers={"Accept-Language": "zh-hans"})
        reader = alice_client.get("/reader/", headers={"Accept-Language": "zh-hans"})
    assert "还没有规则。" in rules_page.content.decode()
    assert "保存的视图" in views_page.content.decode()
    assert "今天" in reader.content.decode()
