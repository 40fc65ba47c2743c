"""Server-side checks of the web pages: query bounds, scoping, public pages, headers."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.utils import timezone

from feeds.models import Entry, Feed, Source
from tests.factories import CategoryFactory
from tests.ui.conftest import make_reader, seed_subscription

pytestmark = pytest.mark.django_db


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _library(user, n: int) -> list:
    categories = [CategoryFactory(user=user, title=f"Folder {i}") for i in range(10)]
    return [
        seed_subscription(user, f"Feed {i}", entries=3, category=categories[i % 10])
        for i in range(n)
    ]


def test_the_reader_page_needs_the_same_few_queries_for_200_subscriptions_as_for_5(
    django_assert_max_num_queries,
):
    small, big = make_reader("small"), make_reader("big")
    _library(small, 5)
    subs = _library(big, 200)
    entry_id = Entry.objects.filter(feed=subs[0].feed).values_list("pk", flat=True).first()
    counts = {}
    for user in (small, big):
        client = _client_for(user)
        client.get("/reader/")  # warm caches (session, templates)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            response = client.get("/reader/")
        assert response.status_code == 200
        counts[user.username] = len(captured)
    assert counts["big"] == counts["small"], counts

    client = _client_for(big)
    started = time.perf_counter()
    with django_assert_max_num_queries(20):
        response = client.get(f"/reader/?show=all&entry={entry_id}")
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert response.content.count(b'class="side-sub') == 200
    # Wall time depends on the machine's load; the query bound is the contract. Generous cap:
    assert elapsed < 5.0, f"reader page took {elapsed * 1000:.0f} ms"


def test_icons_are_served_to_subscribers_and_for_directory_sources_only(alice, bob):
    private = seed_subscription(alice, "Private Diary").feed
    public = Feed.objects.create(url="https://feeds.example.org/public.xml", title="Public")
    Source.objects.create(title="Public", feed_url=public.url, feed=public, active=True)
    hidden = Feed.objects.create(url="https://feeds.example.org/hidden.xml", title="Hidden")
    Source.objects.create(title="Hidden", feed_url=hidden.url, feed=hidden, active=False)

    assert _client_for(alice).get(f"/icons/{private.pk}/").status_code == 200
    assert _client_for(bob).get(f"/icons/{private.pk}/").status_code == 404
    assert Client().get(f"/icons/{private.pk}/").status_code == 404
    assert Client().get(f"/icons/{public.pk}/").status_code == 200
    assert Client().get(f"/icons/{hidden.pk}/").status_code == 404
    assert Client().get("/icons/999999/").status_code == 404
    # The feed admin shows every feed's icon to staff (it was an empty column of 404s).
    staff = make_reader("admin", is_staff=True)
    assert _client_for(staff).get(f"/icons/{private.pk}/").status_code == 200
    assert _client_for(staff).get(f"/icons/{hidden.pk}/").status_code == 200
    assert _client_for(staff).get("/icons/999999/").status_code == 404


def test_public_pages_show_active_directory_sources_only_with_sharing_metadata():
    feed = Feed.objects.create(url="https://feeds.example.org/open.xml", title="Open Feed")
    entry = Entry.objects.create(
        feed=feed,
        identity_hash="a" * 64,
        title="An open entry",
        url="https://example.org/open/1",
        content="<p>Hello <b>world</b></p>",
        published_at=timezone.now(),
    )
    source = Source.objects.create(
        title="Open Source", feed_url=feed.url, feed=feed, description="Open words."
    )
    client = Client()
    page = client.get(f"/sources/{source.pk}/").content.decode()
    assert f'rel="canonical" href="http://127.0.0.1:8000/sources/{source.pk}/"' in page
    assert 'property="og:title" content="Open Source"' in page
    assert "An open entry" in page
    page = client.get(f"/entries/{entry.pk}/").content.decode()
    assert 'property="og:type" content="article"' in page
    assert "<p>Hello <b>world</b></p>" in page
    assert 'rel="noopener noreferrer"' in page
    assert f"/reader/entries/{entry.pk}/" in page  # Open in Tidings

    source.active = False
    source.save()
    assert client.get(f"/sources/{source.pk}/").status_code == 404
    assert client.get(f"/entries/{entry.pk}/").status_code == 404


def test_entries_of_private_feeds_are_not_public(alice, bob):
    sub = seed_subscription(alice, "Private", entries=1)
    entry = Entry.objects.get(feed=sub.feed)
    assert Client().get(f"/entries/{entry.pk}/").status_code == 404
    # Another user who opens it in Tidings gets a 404 too; its subscriber gets the reader.
    assert _client_for(bob).get(f"/reader/entries/{entry.pk}/").status_code == 404
    response = _client_for(alice).get(f"/reader/entries/{entry.pk}/")
    assert response.status_code == 302
    assert f"entry={entry.pk}" in response["Location"]


def test_another_users_entry_id_in_the_reader_is_a_404(alice, bob):
    entry = Entry.objects.filter(feed=seed_subscription(alice, "Mine").feed).first()
    assert _client_for(bob).get(f"/reader/?entry={entry.pk}").status_code == 404
    assert _client_for(bob).get(f"/reader/?entry={entry.pk}&partial=entry").status_code == 404


def test_pages_send_a_content_security_policy_without_inline_scripts():
    response = Client().get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "img-src 'self' data:;" in policy  # MEDIA_PROXY=all: images through Tidings
    assert b"<script>" not in response.content


def test_visitors_are_sent_to_sign_in_from_the_reader_pages():
    for path in ("/reader/", "/subscriptions/", "/search/?q=x", "/settings/import/"):
        response = Client().get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_search_highlights_the_terms(alice):
    seed_subscription(alice, "Gardening", entries=2, content="<p>Tomatoes love the sun.</p>")
    page = _client_for(alice).get("/search/?q=tomatoes").content.decode()
    assert "<mark>Tomatoes</mark> love the sun." in page


def test_excerpts_show_the_text_of_entities_not_their_markup(alice):
    """Sanitized HTML keeps ``&amp;``/``&nbsp;``: the list and search excerpts decode them once
    (before: "AT&amp;T" and "&nbsp;" showed as such, as in the GB2312 corpus feed)."""
    sub = seed_subscription(alice, "Deals", entries=1)
    html = "<p>AT&amp;T&nbsp;phones &lt;cheap&gt; 运费&nbsp;&nbsp;查看</p>"
    Entry.objects.filter(feed=sub.feed).update(summary=html, content=html)
    client = _client_for(alice)
    listed = client.get("/reader/?show=all").content.decode()
    found = client.get("/search/?q=phones").content.decode()
    assert "AT&amp;T phones &lt;cheap&gt; 运费 查看" in listed
    assert "AT&amp;T <mark>phones</mark> &lt;cheap&gt; 运费 查看" in found
    for text in (listed, found):
        assert "&amp;amp;" not in text and "&amp;nbsp;" not in text and "&amp;lt;" not in text


def test_adding_a_site_with_two_feeds_without_javascript_offers_a_choice(feed_server, alice):
    feed_server.add_route(
        "/two/",
        body=(
            '<html><head><link rel="alternate" type="application/rss+xml" title="Posts" '
            'href="/two/posts.xml"><link rel="alternate" type="application/atom+xml" '
            'title="Comments" href="/two/comments.xml"></head><body></body></html>'
        ),
        headers={"Content-Type": "text/html"},
    )
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Posts</title>'
        "<link>https://example.org/</link><description>d</description></channel></rss>"
    )
    feed_server.add_route(
        "/two/posts.xml", body=feed, headers={"Content-Type": "application/rss+xml"}
    )
    client = _client_for(alice)
    page = client.post("/subscriptions/", {"url": feed_server.url("/two/")}).content.decode()
    assert "This site offers several feeds. Which one?" in page
    assert feed_server.url("/two/comments.xml") in page
    response = client.post("/subscriptions/", {"url": feed_server.url("/two/posts.xml")})
    assert response.status_code == 302
    assert response["Location"].startswith("/reader/?show=all&sub=")


def test_search_lists_untitled_entries_and_survives_a_nul_character(alice):
    """An untitled match rendered "(untitled)" through ``highlight``, which got a lazy string
    and raised TypeError (500); "\\x00" in the query was a 500 too. A title-less entry with
    text now shows its display title (the first words of its text)."""
    sub = seed_subscription(alice, "Garden", entries=1, content="<p>Tomatoes love the sun.</p>")
    Entry.objects.filter(feed=sub.feed).update(title="")
    client = _client_for(alice)
    page = client.get("/search/?q=tomatoes")
    assert page.status_code == 200
    assert "<mark>Tomatoes</mark> love the sun." in page.content.decode()  # its display title
    assert client.get("/search/?q=%00").status_code == 200
    assert client.get("/search/?q=tom%00atoes").status_code == 200
    assert client.get("/directory/?q=%00").status_code == 200
