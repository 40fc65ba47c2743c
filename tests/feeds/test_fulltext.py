"""Full text for summary-only feeds (issue 11): the article page is served from loopback, fetched
through the SSRF guard, extracted (trafilatura), sanitized, stored once per entry; on demand
(service, REST API, reading pane) and automatically for subscriptions that turned it on."""

from __future__ import annotations

import pytest

from feeds.fulltext import fulltext_extract
from feeds.models import Entry, Feed
from feeds.services import feed_get_or_create, feed_refresh
from reader.models import Subscription
from reader.project.celery import app
from tests.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db

RSS = {"Content-Type": "application/rss+xml"}
HTML = {"Content-Type": "text/html; charset=utf-8"}
ARTICLE = """<!doctype html><html><head><meta charset="utf-8"><title>Ferry</title></head><body>
<nav><a href="/">Home</a> <a href="/about">About us</a></nav>
<article><h1>Council approves new ferry timetable</h1>
<p>The council voted on Tuesday to approve a new ferry timetable that adds three crossings a
day. Residents of the island had waited for this decision for a long time, café owners too.</p>
<p>People had asked for <a href="/docs/petition">earlier morning crossings</a> for years, and
the harbour master said the new boats can keep the pace without extra crews on board.</p>
<img src="/img/ferry.jpg" alt="The ferry" onerror="alert(1)">
<p>The new timetable starts in March.<script>alert("x")</script> Tickets bought before then stay
valid, and the first crossing leaves at six in the morning from the northern pier.</p>
</article>
<footer>Copyright 2026 · <a href="/privacy">Privacy policy</a></footer>
</body></html>"""


def _rss(feed_server, articles: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Story {i}</title><guid>s-{i}</guid>"
        f"<link>{link}</link><description>A short teaser.</description></item>"
        for i, link in enumerate(articles)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Teasers</title>'
        f"<link>{feed_server.url('/')}</link><description>d</description>{items}</channel></rss>"
    ).encode()


@pytest.fixture
def eager_tasks():
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def teaser_feed(feed_server) -> Feed:
    feed_server.add_route("/articles/ferry.html", headers=HTML, body=ARTICLE)
    feed_server.add_route(
        "/teasers.xml",
        headers=RSS,
        body=_rss(feed_server, [feed_server.url("/articles/ferry.html")]),
    )
    feed, _ = feed_get_or_create(url=feed_server.url("/teasers.xml"))
    assert feed_refresh(feed_id=feed.pk, force=True).outcome == "ok"
    return feed


@pytest.fixture
def entry(teaser_feed) -> Entry:
    return teaser_feed.entries.get()


def test_the_article_is_extracted_sanitized_and_stored(entry, feed_server):
    done = fulltext_extract(entry_id=entry.pk)
    html = done.full_content
    assert "three crossings a day" in html and "northern pier" in html and "café" in html
    assert "About us" not in html and "Privacy policy" not in html  # boilerplate removed
    assert "<script" not in html and "onerror" not in html  # the one sanitizer ran
    assert 'src="http://feeds.example.org:' in html and "/img/ferry.jpg" in html  # absolute
    assert 'rel="noopener noreferrer nofollow"' in html
    entry.refresh_from_db()
    assert entry.full_content == html and entry.full_content_fetched_at is not None
    assert entry.content and "teaser" in (entry.content + entry.summary)  # feed content kept


def test_the_article_is_fetched_once_and_shared(entry, feed_server):
    fulltext_extract(entry_id=entry.pk)
    fulltext_extract(entry_id=entry.pk)
    assert feed_server.hits("/articles/ferry.html") == 1


def test_the_fetch_goes_through_the_ssrf_guard(teaser_feed, feed_server):
    private = Entry.objects.create(
        feed=teaser_feed,
        identity_hash="x" * 64,
        url=f"http://127.0.0.1:{feed_server.port}/articles/ferry.html",
        published_at=teaser_feed.created_at,
    )
    done = fulltext_extract(entry_id=private.pk)
    assert done.full_content == "" and "private" in done.full_content_error.lower()
    assert feed_server.hits("/articles/ferry.html") == 0


@pytest.mark.parametrize(
    ("route", "words"),
    [
        ({"status": 404, "body": b"missing"}, "404"),
        ({"headers": {"Content-Type": "application/pdf"}, "body": b"%PDF-1.4"}, "application/pdf"),
        ({"headers": HTML, "body": b"<html><body></body></html>"}, "No article"),
    ],
    ids=["http-error", "not-html", "no-article"],
)
def test_failures_are_recorded_in_plain_words(teaser_feed, feed_server, route, words):
    feed_server.add_route("/articles/ferry.html", **route)
    done = fulltext_extract(entry_id=teaser_feed.entries.get().pk)
    assert done.full_content == "" and words in done.full_content_error


def test_the_feed_cookie_goes_only_to_the_feed_origin(feed_server):
    feed_server.add_route("/a.html", headers=HTML, body=ARTICLE)
    feed_server.add_route("/a.html", host="example.net", headers=HTML, body=ARTICLE)
    same, other = feed_server.url("/a.html"), feed_server.url("/a.html", "example.net")
    feed_server.add_route("/two.xml", headers=RSS, body=_rss(feed_server, [same, other]))
    feed, _ = feed_get_or_create(url=feed_server.url("/two.xml"))
    Feed.objects.filter(pk=feed.pk).update(extra_headers={"Cookie": "s=1"}, user_agent="UA/1")
    feed_refresh(feed_id=feed.pk, force=True)
    for item in feed.entries.all():
        fulltext_extract(entry_id=item.pk)
    own = feed_server.requests_for("/a.html", host="feeds.example.org")[-1].headers
    foreign = feed_server.requests_for("/a.html", host="example.net")[-1].headers
    assert own["Cookie"] == "s=1" and "Cookie" not in foreign
    assert own["User-Agent"] == foreign["User-Agent"] == "UA/1"


# --- automatic, for subscriptions that turned it on -------------------------------------------


def test_new_entries_are_extracted_when_a_subscriber_wants_full_text(
    feed_server, alice, eager_tasks, django_capture_on_commit_callbacks
):
    feed_server.add_route("/articles/ferry.html", headers=HTML, body=ARTICLE)
    feed_server.add_route(
        "/auto.xml", headers=RSS, body=_rss(feed_server, [feed_server.url("/articles/ferry.html")])
    )
    feed, _ = feed_get_or_create(url=feed_server.url("/auto.xml"))
    SubscriptionFactory(user=alice, feed=feed, fetch_full_text=True)
    with django_capture_on_commit_callbacks(execute=True):
        feed_refresh(feed_id=feed.pk, force=True)
    assert "three crossings" in feed.entries.get().full_content


def test_nothing_is_extracted_when_no_subscriber_wants_it(feed_server, alice, eager_tasks):
    feed_server.add_route("/articles/ferry.html", headers=HTML, body=ARTICLE)
    feed_server.add_route(
        "/manual.xml",
        headers=RSS,
        body=_rss(feed_server, [feed_server.url("/articles/ferry.html")]),
    )
    feed, _ = feed_get_or_create(url=feed_server.url("/manual.xml"))
    SubscriptionFactory(user=alice, feed=feed)
    feed_refresh(feed_id=feed.pk, force=True)
    assert feed_server.hits("/articles/ferry.html") == 0


# --- the REST API and the reading pane ---------------------------------------------------------


@pytest.fixture
def alice_reads(entry, alice, client):
    SubscriptionFactory(user=alice, feed=entry.feed)
    client.force_login(alice)
    return client


def test_the_api_fetches_the_full_article_on_demand(alice_reads, entry):
    response = alice_reads.post(f"/api/v1/entries/{entry.pk}/fetch-content/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert "three crossings" in body["content"] and body["full_content_error"] == ""
    assert body["full_content_fetched_at"] is not None
    again = alice_reads.get(f"/api/v1/entries/{entry.pk}/").json()
    assert "three crossings" in again["content"]


def test_another_users_entry_is_a_404_and_nothing_is_fetched(client, bob, entry, feed_server):
    client.force_login(bob)
    assert client.post(f"/api/v1/entries/{entry.pk}/fetch-content/").status_code == 404
    assert client.post(f"/reader/entries/{entry.pk}/fetch-content/").status_code == 404
    assert feed_server.hits("/articles/ferry.html") == 0


def test_every_subscriber_sees_the_stored_article(alice_reads, entry, bob, client):
    alice_reads.post(f"/api/v1/entries/{entry.pk}/fetch-content/")
    SubscriptionFactory(user=bob, feed=entry.feed)
    client.force_login(bob)
    assert "three crossings" in client.get(f"/api/v1/entries/{entry.pk}/").json()["content"]


def test_the_reading_pane_has_the_button_and_shows_the_article(alice_reads, entry):
    pane = alice_reads.get(f"/reader/?show=all&entry={entry.pk}&partial=entry").content.decode()
    assert f'action="/reader/entries/{entry.pk}/fetch-content/"' in pane
    assert "three crossings" not in pane
    response = alice_reads.post(f"/reader/entries/{entry.pk}/fetch-content/")
    assert response.status_code == 302
    pane = alice_reads.get(f"/reader/?show=all&entry={entry.pk}&partial=entry").content.decode()
    assert "three crossings" in pane and "<script>alert" not in pane


def test_the_reading_pane_says_why_the_article_could_not_be_loaded(alice_reads, entry, feed_server):
    feed_server.add_route("/articles/ferry.html", status=500, body=b"oops")
    alice_reads.post(f"/reader/entries/{entry.pk}/fetch-content/")
    pane = alice_reads.get(f"/reader/?show=all&entry={entry.pk}&partial=entry").content.decode()
    assert "The full article could not be loaded" in pane and "500" in pane


def test_a_subscriber_turns_automatic_full_text_on_and_off(alice_reads, alice, entry, client, bob):
    sub = Subscription.objects.get(user=alice)
    url = f"/api/v1/subscriptions/{sub.pk}/full-text/"
    response = alice_reads.post(url, {"enabled": True}, content_type="application/json")
    assert response.json() == {"subscription_id": sub.pk, "fetch_full_text": True}
    assert alice_reads.get(f"/api/v1/subscriptions/{sub.pk}/").json()["fetch_full_text"] is True
    alice_reads.post(f"/subscriptions/{sub.pk}/full-text/", {"enabled": "0"})
    sub.refresh_from_db()
    assert not sub.fetch_full_text
    client.force_login(bob)
    assert client.post(url, {"enabled": True}, content_type="application/json").status_code == 404
