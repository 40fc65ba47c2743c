"""/subscriptions/ at scale: 100 rows a page with page links, a filter, constant queries,
bulk actions on the page's rows; the /reader/ sidebar lists every subscription cheaply."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from reader.models import Subscription
from tests.factories import CategoryFactory
from tests.ui.conftest import make_reader, seed_subscription

pytestmark = pytest.mark.django_db


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _library(user, n: int, *, stopped: int = 0, failing: int = 0) -> list:
    categories = [CategoryFactory(user=user, title=f"Folder {i}") for i in range(5)]
    subs = [
        seed_subscription(user, f"Feed {i:04d}", entries=0, category=categories[i % 5])
        for i in range(n)
    ]
    for sub in subs[:stopped]:
        sub.feed.disabled, sub.feed.auto_disabled = True, True
        sub.feed.disabled_reason = "Too many errors"
        sub.feed.save()
    for sub in subs[stopped : stopped + failing]:
        sub.feed.last_error, sub.feed.last_error_kind, sub.feed.error_count = "boom", "dns", 2
        sub.feed.save()
    return subs


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr id="sub-(\d+)"', html)


def _queries(client: Client, path: str) -> int:
    client.get(path)  # warm caches (session, templates)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured)


def test_250_subscriptions_are_shown_100_a_page_with_page_links():
    user = make_reader()
    subs = _library(user, 250)
    client = _client_for(user)

    html = client.get("/subscriptions/").content.decode()
    assert _rows(html) == [str(s.pk) for s in subs[:100]]
    assert 'class="pager"' in html and 'href="?page=2"' in html and 'href="?page=3"' in html
    assert "250 subscriptions" in html

    html = client.get("/subscriptions/?page=3").content.decode()
    assert _rows(html) == [str(s.pk) for s in subs[200:]]
    assert 'rel="prev" href="?page=2"' in html and 'rel="next"' not in html
    # A page out of range or not a number gives the nearest page, never an error.
    assert _rows(client.get("/subscriptions/?page=99").content.decode()) == _rows(html)
    assert len(_rows(client.get("/subscriptions/?page=x").content.decode())) == 100


def test_the_filter_narrows_by_title_or_address_and_category_and_pages_keep_it():
    user = make_reader()
    subs = _library(user, 150)
    client = _client_for(user)

    html = client.get("/subscriptions/?q=feed+00").content.decode()  # Feed 0000..0099
    assert len(_rows(html)) == 100 and "100 subscriptions" in html
    assert 'class="pager"' not in html
    slug = subs[7].feed.url.rsplit("/", 1)[1]
    assert _rows(client.get(f"/subscriptions/?q={slug}").content.decode()) == [str(subs[7].pk)]

    folder = subs[1].category
    html = client.get(f"/subscriptions/?category={folder.pk}&q=feed").content.decode()
    assert _rows(html) == [str(s.pk) for s in subs if s.category_id == folder.pk]

    Subscription.objects.filter(pk=subs[3].pk).update(category=None)
    assert _rows(client.get("/subscriptions/?category=0").content.decode()) == [str(subs[3].pk)]

    html = client.get("/subscriptions/?q=feed&page=1").content.decode()
    assert 'href="?q=feed&amp;page=2"' in html

    html = client.get("/subscriptions/?q=nothing-like-this").content.decode()
    assert _rows(html) == [] and "No subscription matches this filter." in html


def test_the_subscriptions_page_needs_the_same_queries_for_250_subscriptions_as_for_3():
    small, big = make_reader("small"), make_reader("big")
    _library(small, 3)
    _library(big, 250, stopped=5, failing=5)
    counts = {
        user.username: _queries(_client_for(user), path)
        for user in (small, big)
        for path in ("/subscriptions/",)
    }
    assert counts["big"] == counts["small"], counts
    assert _queries(_client_for(big), "/subscriptions/?page=3&q=feed") == counts["big"]


def test_bulk_actions_work_on_the_rows_of_a_page_and_come_back_to_it():
    user = make_reader()
    subs = _library(user, 250)
    client = _client_for(user)
    target = CategoryFactory(user=user, title="Target")

    html = client.get("/subscriptions/?page=2&q=feed").content.decode()
    assert '<input type="hidden" name="return" value="q=feed&amp;page=2">' in html
    ids = [s.pk for s in subs[100:103]]
    response = client.post(
        "/subscriptions/bulk/",
        {"ids": ids, "action": "move", "category": target.pk, "return": "q=feed&page=2"},
    )
    assert response.status_code == 302 and response.url == "/subscriptions/?q=feed&page=2"
    assert set(Subscription.objects.filter(category=target).values_list("pk", flat=True)) == set(
        ids
    )

    response = client.post(
        "/subscriptions/bulk/", {"ids": ids[:2], "action": "delete", "return": "page=3&evil=1"}
    )
    assert response.url == "/subscriptions/?page=3"
    assert Subscription.objects.filter(user=user).count() == 248

    # Another user's ids are not touched.
    other = make_reader("other")
    theirs = seed_subscription(other, "Theirs", entries=0)
    client.post("/subscriptions/bulk/", {"ids": [theirs.pk], "action": "delete"})
    assert Subscription.objects.filter(pk=theirs.pk).exists()


def test_the_reader_sidebar_lists_every_subscription_with_no_query_per_row():
    small, big = make_reader("small"), make_reader("big")
    _library(small, 3, stopped=1, failing=1)
    _library(big, 300, stopped=10, failing=10)
    counts = {user.username: _queries(_client_for(user), "/reader/") for user in (small, big)}
    assert counts["big"] == counts["small"], counts
    html = _client_for(big).get("/reader/").content.decode()
    assert html.count('class="side-sub') == 300
    assert len(html) < 300 * 1200, len(html)  # a few hundred bytes a row
