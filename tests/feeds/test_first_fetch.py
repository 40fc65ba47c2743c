"""A polite first fetch: a new subscription costs one request to the feed, honours the host's
Retry-After, subscribes only candidates that parse as feeds; Retry-After is never cut short.

Subscribing goes through ``reader.services.subscription_create`` (the front door
``feeds.services.feed_for_url``) over loopback HTTP; what would reach the worker runs as the
worker's task (``feeds.tasks.refresh_feed``).
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from feeds import scheduling
from feeds.models import Feed
from feeds.services import feed_waits_for_host_until
from feeds.tasks import refresh_feed
from reader import selectors, services
from reader.errors import FeedNotFound
from reader.models import Subscription

pytestmark = pytest.mark.django_db

RSS = {"Content-Type": "application/rss+xml"}
HTML = {"Content-Type": "text/html; charset=utf-8"}


def _rss(*titles: str) -> bytes:
    items = "".join(f"<item><title>{t}</title><guid>{t}</guid></item>" for t in titles)
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>First</title>'
        f"<link>https://feeds.example.org/</link><description>d</description>{items}"
        "</channel></rss>"
    ).encode()


def _page(*hrefs: str) -> bytes:
    links = "".join(f'<link rel="alternate" type="application/rss+xml" href="{h}">' for h in hrefs)
    return f"<html><head><title>Site</title>{links}</head><body>hi</body></html>".encode()


@pytest.fixture(autouse=True)
def _no_host_block_leaks():
    yield
    scheduling.host_unblock("http://feeds.example.org/")


@pytest.fixture
def sent(monkeypatch) -> list[int]:
    """Feed ids of refresh tasks sent to the broker (none is, in these tests, unless listed)."""
    from feeds import tasks

    ids: list[int] = []
    monkeypatch.setattr(
        tasks.refresh_feed, "apply_async", lambda args, *a, **k: ids.append(args[0])
    )
    return ids


def test_a_new_subscription_costs_exactly_one_request(
    feed_server, alice, sent, django_capture_on_commit_callbacks
):
    feed_server.add_route(
        "/first.xml",
        sequence=[
            {"status": 200, "headers": {**RSS, "ETag": '"v1"'}, "body": _rss("A", "B")},
            {"status": 200, "headers": {**RSS, "ETag": '"v2"'}, "body": _rss("changed")},
        ],
    )
    with django_capture_on_commit_callbacks(execute=True):
        sub = services.subscription_create(user=alice, url=feed_server.url("/first.xml"))
    feed = Feed.objects.get(pk=sub.feed_id)
    # The discovery response was the first refresh: its entries and validators are kept.
    assert sorted(feed.entries.values_list("title", flat=True)) == ["A", "B"]
    assert (feed.etag, feed.last_status, feed.error_count) == ('"v1"', 200, 0)
    assert feed.next_fetch_at > timezone.now() and feed.leased_until is None
    assert sent == []  # nothing left for a worker to fetch
    assert refresh_feed(feed.pk) == "skipped"  # a stray task finds nothing due
    assert len(feed_server.requests) == 1
    assert selectors.unread_counts(user=alice)["subscriptions"] == {sub.pk: 2}


def test_a_site_url_costs_one_request_for_the_page_and_one_for_its_feed(
    feed_server, alice, sent, django_capture_on_commit_callbacks
):
    feed_server.add_route("/", body=_page("/feed.xml"), headers=HTML)
    feed_server.add_route("/feed.xml", body=_rss("A"), headers=RSS)
    with django_capture_on_commit_callbacks(execute=True):
        sub = services.subscription_create(user=alice, url=feed_server.url("/"))
    assert sub.feed.url == feed_server.url("/feed.xml")
    assert sub.feed.entries.count() == 1
    assert [r.path for r in feed_server.requests] == ["/", "/feed.xml"]
    assert sent == []


def test_a_404_candidate_is_never_subscribed_and_the_next_one_is_tried(
    feed_server, alice, sent, django_capture_on_commit_callbacks
):
    feed_server.add_route("/", body=_page("/missing.xml"), headers=HTML)
    feed_server.add_route("/missing.xml", status=404, body=b"nope")
    feed_server.add_route("/feed", body=_rss("A"), headers=RSS)  # a common path
    with django_capture_on_commit_callbacks(execute=True):
        sub = services.subscription_create(user=alice, url=feed_server.url("/"))
    assert sub.feed.url == feed_server.url("/feed")
    assert not Feed.objects.filter(url=feed_server.url("/missing.xml")).exists()
    assert feed_server.hits("/feed") == 1 and sub.feed.entries.count() == 1


def test_a_site_whose_only_candidate_is_no_feed_is_not_subscribed(feed_server, alice):
    feed_server.add_route("/", body=_page("/missing.xml", "/missing.xml"), headers=HTML)
    feed_server.add_route("/missing.xml", status=404)
    feed_server.add_route("/page.html", body=_page("/also-a-page.html"), headers=HTML)
    feed_server.add_route("/also-a-page.html", body=b"<html><body>x</body></html>", headers=HTML)
    for path in ("/", "/page.html"):
        with pytest.raises(FeedNotFound):
            services.subscription_create(user=alice, url=feed_server.url(path))
    assert not Subscription.objects.exists() and not Feed.objects.exists()


def test_an_active_retry_after_applies_at_subscribe_time(
    feed_server, alice, sent, django_capture_on_commit_callbacks
):
    feed_server.add_route("/busy.xml", body=_rss("A"), headers=RSS)
    now = timezone.now()
    until = now + timedelta(minutes=30)
    scheduling.host_block(feed_server.url("/other.xml"), until=until, now=now)
    with django_capture_on_commit_callbacks(execute=True):
        sub = services.subscription_create(user=alice, url=feed_server.url("/busy.xml"))
    feed = Feed.objects.get(pk=sub.feed_id)
    assert feed.url == feed_server.url("/busy.xml")
    assert feed.next_fetch_at == until  # the subscription is saved and waits
    assert feed_waits_for_host_until(feed) == until
    assert feed_server.requests == [] and sent == []
    assert refresh_feed(feed.pk) == "skipped"  # not due before the host's time
    assert feed_server.requests == []


def test_a_429_at_discovery_subscribes_and_waits_for_the_host(
    feed_server, alice, sent, django_capture_on_commit_callbacks
):
    feed_server.add_route("/busy.xml", status=429, headers={"Retry-After": "600"})
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        sub = services.subscription_create(user=alice, url=feed_server.url("/busy.xml"))
    feed = Feed.objects.get(pk=sub.feed_id)
    assert feed.next_fetch_at >= before + timedelta(seconds=600)
    assert scheduling.host_blocked_until(feed.url, now=timezone.now()) == feed.next_fetch_at
    assert feed_server.hits("/busy.xml") == 1 and sent == []


def test_the_subscribe_page_tells_the_user_until_when(feed_server, alice, client):
    now = timezone.now()
    until = now + timedelta(minutes=30)
    scheduling.host_block(feed_server.url("/"), until=until, now=now)
    client.force_login(alice)
    response = client.post(reverse("subscriptions"), {"url": feed_server.url("/busy.xml")})
    assert response.status_code == 302
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(f"{until:%Y-%m-%d %H:%M:%S} UTC" in t and "wait" in t for t in texts), texts


def test_retry_after_is_honoured_to_the_second_never_early(feed_server, settings):
    answered = []

    def slow_429(request):
        time.sleep(0.3)
        answered.append(timezone.now())
        return {"status": 429, "headers": {"Retry-After": "120"}}

    feed_server.add_route("/slow.xml", handler=slow_429)
    feed = Feed.objects.create(url=feed_server.url("/slow.xml"), fetch_interval=60)
    assert refresh_feed(feed.pk) == "rate_limited"
    feed.refresh_from_db()
    assert feed.next_fetch_at >= answered[0] + timedelta(seconds=120)
    blocked = scheduling.host_blocked_until(feed.url, now=timezone.now())
    assert blocked is not None and blocked >= answered[0] + timedelta(seconds=120)


def test_a_fractional_retry_after_delay_is_rounded_up():
    now = timezone.now()
    wanted = now + timedelta(seconds=90, milliseconds=500)
    assert scheduling.retry_after_seconds(retry_after=wanted, now=now, interval=60) == 91
