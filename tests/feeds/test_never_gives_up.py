"""Fetching that never silently gives up (issue 11): back-off with jitter up to 24 h, recovery on
the first success, disabling only on 410 or 30 days of failures, and the subscriber's retry
(service, REST API, sidebar and subscriptions page) — all over the loopback feed server."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from feeds import scheduling
from feeds.models import Feed
from feeds.services import FeedRetryRefused, feed_get_or_create, feed_refresh, feed_retry
from reader.project.celery import app
from tests.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db

RSS = {"Content-Type": "application/rss+xml"}
DAY = 24 * 3600


def _rss(items: int = 2) -> bytes:
    entries = "".join(
        f"<item><title>Item {i}</title><link>https://feeds.example.org/i/{i}</link>"
        f"<guid>i-{i}</guid><pubDate>Mon, 02 Mar 2026 {i:02d}:00:00 +0000</pubDate></item>"
        for i in range(items)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Sturdy</title>'
        f"<link>https://feeds.example.org/</link><description>d</description>{entries}"
        "</channel></rss>"
    ).encode()


@pytest.fixture(autouse=True)
def _no_host_block_leaks():
    yield
    scheduling.host_unblock("http://feeds.example.org/")


@pytest.fixture
def eager_tasks():
    """Run Celery tasks in-process (the on-commit enqueue then really refreshes the feed)."""
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def _feed(feed_server, path: str) -> Feed:
    return feed_get_or_create(url=feed_server.url(path))[0]


def _delay(feed: Feed, now) -> float:
    feed.refresh_from_db()
    return (feed.next_fetch_at - now).total_seconds()


def test_transient_failures_back_off_with_jitter_up_to_a_day_and_never_disable(feed_server):
    feed_server.add_route("/flaky.xml", status=500, body=b"oops")
    feed = _feed(feed_server, "/flaky.xml")
    factor = scheduling.jitter_factor(feed.pk)
    delays = []
    for _ in range(8):
        now = timezone.now()
        result = feed_refresh(feed_id=feed.pk, force=True)
        assert result.outcome == "http"
        delays.append(_delay(feed, now))
    feed.refresh_from_db()
    assert not feed.disabled and feed.error_count == 8
    assert all(b >= a - 1 for a, b in itertools.pairwise(delays))  # grows...
    assert delays[0] == pytest.approx(2 * 3600 * factor, abs=5)  # 2 x the 1 h interval
    assert max(delays) <= DAY and delays[-1] == pytest.approx(DAY * factor, abs=5)  # ...to 24 h
    assert 0.9 < factor <= 1.0  # jitter: feeds failing together spread out


def test_jitter_spreads_feeds_that_fail_together(feed_server):
    feed_server.add_route("/down.xml", status=500, body=b"")
    feeds = [_feed(feed_server, f"/down.xml?n={n}") for n in range(5)]
    now = timezone.now()
    for feed in feeds:
        feed_refresh(feed_id=feed.pk, force=True)
    assert len({round(_delay(feed, now)) for feed in feeds}) == 5


def test_the_first_success_restores_the_normal_interval(feed_server):
    feed_server.add_route(
        "/recovers.xml",
        sequence=[
            {"status": 500, "body": "down"},
            {"status": 500, "body": "down"},
            {"status": 200, "headers": RSS, "body": _rss().decode()},
        ],
    )
    feed = _feed(feed_server, "/recovers.xml")
    for _ in range(2):
        feed_refresh(feed_id=feed.pk, force=True)
    feed.refresh_from_db()
    assert feed.error_count == 2 and feed.first_error_at is not None
    now = timezone.now()
    assert feed_refresh(feed_id=feed.pk, force=True).outcome == "ok"
    feed.refresh_from_db()
    assert (feed.error_count, feed.first_error_at, feed.last_error) == (0, None, "")
    # Back to the interval the publishing rate gives, not the back-off.
    assert _delay(feed, now) <= feed.fetch_interval + 5


def test_thirty_days_of_uninterrupted_failures_disable_the_feed(feed_server):
    feed_server.add_route("/dead.xml", status=502, body=b"bad gateway")
    feed = _feed(feed_server, "/dead.xml")
    start = timezone.now()
    with time_machine.travel(start, tick=True):
        feed_refresh(feed_id=feed.pk, force=True)
    with time_machine.travel(start + timedelta(days=29, hours=23), tick=True):
        result = feed_refresh(feed_id=feed.pk, force=True)
    feed.refresh_from_db()
    assert not feed.disabled and result.next_fetch_at is not None
    with time_machine.travel(start + timedelta(days=30, minutes=1), tick=True):
        result = feed_refresh(feed_id=feed.pk, force=True)
    feed.refresh_from_db()
    assert feed.disabled and feed.auto_disabled
    assert "30 days" in feed.disabled_reason and "HTTP 502" in feed.disabled_reason
    assert result.next_fetch_at is None
    assert feed.pk not in scheduling.feeds_claim_due(limit=10, now=start + timedelta(days=40))


def test_a_success_in_between_starts_the_thirty_days_again(feed_server):
    feed_server.add_route(
        "/wobbly.xml",
        sequence=[
            {"status": 500, "body": "x"},
            {"status": 200, "headers": RSS, "body": _rss().decode()},
            {"status": 500, "body": "x"},
        ],
    )
    feed = _feed(feed_server, "/wobbly.xml")
    start = timezone.now()
    for days in (0, 20, 35):
        with time_machine.travel(start + timedelta(days=days), tick=True):
            feed_refresh(feed_id=feed.pk, force=True)
    feed.refresh_from_db()
    assert not feed.disabled and feed.error_count == 1


def test_410_gone_disables_at_once_with_a_reason(feed_server):
    feed_server.add_route("/gone.xml", status=410, body=b"")
    feed = _feed(feed_server, "/gone.xml")
    feed_refresh(feed_id=feed.pk, force=True)
    feed.refresh_from_db()
    assert feed.disabled and feed.auto_disabled
    assert "410" in feed.disabled_reason


def test_retry_re_enables_a_feed_tidings_disabled_and_refreshes_it(
    feed_server, eager_tasks, django_capture_on_commit_callbacks
):
    feed_server.add_route(
        "/back.xml",
        sequence=[{"status": 410, "body": ""}, {"status": 200, "headers": RSS, "body": _rss(3)}],
    )
    feed = _feed(feed_server, "/back.xml")
    feed_refresh(feed_id=feed.pk, force=True)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        feed_retry(feed_id=feed.pk)
    assert len(callbacks) == 1  # one refresh enqueued, run here by the eager worker
    feed.refresh_from_db()
    assert not feed.disabled and not feed.auto_disabled and feed.disabled_reason == ""
    assert feed.error_count == 0 and feed.entries.count() == 3


def test_retry_does_not_override_an_administrator(feed_server):
    feed = _feed(feed_server, "/admin-off.xml")
    Feed.objects.filter(pk=feed.pk).update(disabled=True, disabled_reason="Spam")
    with pytest.raises(FeedRetryRefused):
        feed_retry(feed_id=feed.pk)
    feed.refresh_from_db()
    assert feed.disabled


# --- what subscribers see, and the one-click retry ----------------------------------------------


@pytest.fixture
def gone_subscription(feed_server, alice):
    feed_server.add_route("/gone.xml", status=410, body=b"")
    feed = _feed(feed_server, "/gone.xml")
    feed_refresh(feed_id=feed.pk, force=True)
    return SubscriptionFactory(user=alice, feed=feed)


def test_the_sidebar_says_why_fetching_stopped_with_a_retry_button(
    client, alice, gone_subscription
):
    client.force_login(alice)
    html = client.get("/reader/").content.decode()
    assert "Fetching stopped:" in html and "HTTP 410" in html
    assert f'action="/subscriptions/{gone_subscription.pk}/retry/"' in html


def test_the_subscriptions_page_says_why_with_a_retry_button(client, alice, gone_subscription):
    client.force_login(alice)
    html = client.get("/subscriptions/").content.decode()
    assert "Fetching stopped" in html and "Tidings no longer fetches it" in html
    assert f'action="/subscriptions/{gone_subscription.pk}/retry/"' in html


def test_the_retry_button_re_enables_the_feed(client, alice, gone_subscription):
    client.force_login(alice)
    response = client.post(f"/subscriptions/{gone_subscription.pk}/retry/", {"next": "/reader/"})
    assert response.status_code == 302 and response["Location"] == "/reader/"
    feed = Feed.objects.get(pk=gone_subscription.feed_id)
    assert not feed.disabled and feed.next_fetch_at <= timezone.now()


def test_the_retry_page_action_ignores_an_outside_next(client, alice, gone_subscription):
    client.force_login(alice)
    response = client.post(
        f"/subscriptions/{gone_subscription.pk}/retry/", {"next": "https://evil.example.com/"}
    )
    assert response["Location"] == "/subscriptions/"


def test_the_api_retries_a_subscription_feed(client, alice, gone_subscription):
    client.force_login(alice)
    response = client.post(f"/api/v1/subscriptions/{gone_subscription.pk}/retry/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok" and body["feed"]["disabled"] is False
    listed = client.get(f"/api/v1/subscriptions/{gone_subscription.pk}/").json()
    assert listed["feed_status"] == "ok"


def test_the_api_shows_why_a_feed_stopped(client, alice, gone_subscription):
    client.force_login(alice)
    sub = client.get(f"/api/v1/subscriptions/{gone_subscription.pk}/").json()
    assert sub["feed_status"] == "disabled"
    feed = client.get(f"/api/v1/feeds/{gone_subscription.feed_id}/").json()
    assert "410" in feed["disabled_reason"] and feed["retry_allowed"] is True


def test_another_user_cannot_retry_someone_elses_subscription(client, bob, gone_subscription):
    client.force_login(bob)
    assert client.post(f"/api/v1/subscriptions/{gone_subscription.pk}/retry/").status_code == 404
    assert client.post(f"/subscriptions/{gone_subscription.pk}/retry/").status_code == 404
    assert Feed.objects.get(pk=gone_subscription.feed_id).disabled


def test_the_api_refuses_to_retry_a_feed_an_administrator_disabled(client, alice, feed_server):
    feed = _feed(feed_server, "/banned.xml")
    Feed.objects.filter(pk=feed.pk).update(disabled=True, disabled_reason="Spam")
    sub = SubscriptionFactory(user=alice, feed=feed)
    client.force_login(alice)
    response = client.post(f"/api/v1/subscriptions/{sub.pk}/retry/")
    assert response.status_code == 409
    assert response.json()["code"] == "feed_disabled_by_admin"
