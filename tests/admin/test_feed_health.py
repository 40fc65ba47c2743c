"""Feed health in the admin: the list's figures against known feeds, filters, actions, summary."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from feeds.fetch_log import record_fetch
from feeds.health import average_entry_interval
from feeds.models import Feed, FetchLog, Source
from reader.project.health import heartbeat_record
from reader.project.site_figures import queue_lengths
from tests.admin.conftest import make_entries, make_feed, subscribe
from tests.conftest import requires_redis

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/feeds/feed/"


@pytest.fixture
def known_feeds(alice, bob, now):
    """Four feeds with known figures.

    - healthy: 2 subscribers, entries published 6 h, 4 h and 0 h ago (mean interval 3 h), 200;
    - failing: 1 subscriber, 3 consecutive timeouts, due an hour ago;
    - disabled: gone (410), no subscriber, but an active directory source;
    - orphan: no subscriber, no source, never fetched.
    """
    healthy = make_feed(
        "http://healthy.example.org/feed",
        title="Healthy",
        last_fetched_at=now - timedelta(minutes=10),
        last_status=200,
        next_fetch_at=now + timedelta(minutes=50),
    )
    make_entries(healthy, [now - timedelta(hours=6), now - timedelta(hours=4), now])
    subscribe(alice, healthy)
    subscribe(bob, healthy)
    failing = make_feed(
        "http://failing.example.org/feed",
        title="Failing",
        last_fetched_at=now - timedelta(hours=2),
        error_count=3,
        last_error="The feed's server did not answer in time",
        last_error_kind="timeout",
        next_fetch_at=now - timedelta(hours=1),
    )
    make_entries(failing, [now - timedelta(days=3)])
    subscribe(alice, failing)
    disabled = make_feed(
        "http://gone.example.org/feed",
        title="Gone",
        last_status=410,
        disabled=True,
        disabled_reason="The feed is gone (HTTP 410)",
        next_fetch_at=now - timedelta(days=1),
    )
    Source.objects.create(title="Gone", feed_url=disabled.url, feed=disabled)
    orphan = make_feed("http://orphan.example.org/feed", next_fetch_at=now - timedelta(minutes=1))
    return {"healthy": healthy, "failing": failing, "disabled": disabled, "orphan": orphan}


def rows(response) -> dict[str, Feed]:
    return {feed.url: feed for feed in response.context["cl"].result_list}


def test_the_health_list_needs_a_staff_user(client, alice):
    client.force_login(alice)
    assert client.get(CHANGELIST).status_code == 302


def test_the_health_list_shows_each_feeds_figures(admin_client, known_feeds, now):
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    listed = rows(response)
    assert len(listed) == 4
    healthy = listed["http://healthy.example.org/feed"]
    assert healthy.subscriber_count == 2
    assert healthy.entry_count == 3
    assert healthy.last_status == 200
    assert healthy.last_fetched_at == now - timedelta(minutes=10)
    assert healthy.next_fetch_at == now + timedelta(minutes=50)
    assert average_entry_interval(healthy) == timedelta(hours=3)
    failing = listed["http://failing.example.org/feed"]
    assert (failing.subscriber_count, failing.entry_count, failing.error_count) == (1, 1, 3)
    assert average_entry_interval(failing) is None
    orphan = listed["http://orphan.example.org/feed"]
    assert (orphan.subscriber_count, orphan.entry_count) == (0, 0)
    html = response.content.decode()
    assert "3.0 h" in html
    assert "did not answer in time" in html
    assert "The feed is gone (HTTP 410)" in html


def test_the_health_list_costs_the_same_queries_for_3_feeds_or_30(admin_client, known_feeds, alice):
    with CaptureQueriesContext(connection) as few:
        admin_client.get(CHANGELIST)
    for i in range(27):
        feed = make_feed(f"http://more.example.org/{i}", title=f"More {i}")
        make_entries(feed, [known_feeds["healthy"].created_at])
        subscribe(alice, feed)
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(CHANGELIST)
    assert len(rows(response)) == 31
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=failing", {"failing"}),
        ("status=disabled", {"disabled"}),
        ("status=ok", {"healthy", "orphan"}),
        ("subscribers=unsubscribed", {"disabled", "orphan"}),
        ("subscribers=orphan", {"orphan"}),
        ("subscribers=subscribed", {"healthy", "failing"}),
    ],
)
def test_the_filters_pick_the_right_feeds(admin_client, known_feeds, query, expected):
    response = admin_client.get(f"{CHANGELIST}?{query}")
    urls = {known_feeds[name].url for name in expected}
    assert set(rows(response)) == urls


def post_action(client, name: str, feeds):
    data = {"action": name, "_selected_action": [f.pk for f in feeds]}
    response = client.post(CHANGELIST, data, follow=True)
    assert response.status_code == 200
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_reset_errors_re_enables_and_makes_the_feed_due(admin_client, known_feeds, now):
    failing, disabled = known_feeds["failing"], known_feeds["disabled"]
    messages = post_action(admin_client, "reset_errors", [failing, disabled])
    assert messages == ["2 feeds reset and re-enabled."]
    for feed in (failing, disabled):
        feed.refresh_from_db()
        assert feed.error_count == 0
        assert feed.last_error == ""
        assert feed.disabled is False
        assert feed.next_fetch_at >= now


def test_disable_stops_fetching_with_a_reason(admin_client, known_feeds):
    healthy = known_feeds["healthy"]
    assert post_action(admin_client, "disable", [healthy]) == ["1 feeds disabled."]
    healthy.refresh_from_db()
    assert healthy.disabled is True
    assert healthy.disabled_reason == "Disabled by admin"


@requires_redis
def test_refresh_now_queues_one_task_per_feed(
    admin_client, known_feeds, django_capture_on_commit_callbacks
):
    import redis
    from django.conf import settings

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("interactive")
    before = queue_lengths()["interactive"]
    with django_capture_on_commit_callbacks(execute=True):
        messages = post_action(
            admin_client, "refresh_now", [known_feeds["healthy"], known_feeds["failing"]]
        )
    assert messages == ["2 feeds queued for a refresh."]
    # A small selection is someone waiting: queue interactive, ahead of the feeds backlog.
    assert queue_lengths()["interactive"] == before + 2
    broker.delete("interactive")


def test_feeds_cannot_be_added_by_hand(admin_client):
    assert admin_client.get(CHANGELIST + "add/").status_code == 403


def test_the_summary_page_shows_the_figures(admin_client, known_feeds, now):
    record_fetch(feed_id=known_feeds["healthy"].pk, outcome="ok", status=200, duration=0.2, new=1)
    record_fetch(feed_id=known_feeds["healthy"].pk, outcome="not_modified", status=304)
    record_fetch(feed_id=known_feeds["failing"].pk, outcome="timeout", duration=30.0)
    record_fetch(feed_id=known_feeds["failing"].pk, outcome="http", status=500)
    old = record_fetch(feed_id=known_feeds["failing"].pk, outcome="dns")
    FetchLog.objects.filter(pk=old.pk).update(at=now - timedelta(hours=2))
    heartbeat_record(name="worker")

    response = admin_client.get(CHANGELIST + "summary/")
    assert response.status_code == 200
    summary = response.context["summary"]
    assert summary["feeds"] == {
        "total": 4,
        "due": 1,  # failing is due; orphan is due but wanted by nobody; gone is disabled
        "failing": 1,
        "disabled": 1,
        "unsubscribed": 2,
    }
    assert summary["fetches"]["total"] == 4
    assert summary["fetches"]["errors"] == {"http": 1, "timeout": 1}
    assert summary["fetches"]["new"] == 1
    assert set(summary["queues"]) == {"interactive", "feeds", "default"}
    assert summary["heartbeats"]["worker"] < 5
    assert summary["heartbeats"]["beat"] is None
    html = response.content.decode()
    assert 'class="failing">1<' in html
    assert 'class="error-timeout">1<' in html
    assert "never seen" in html


def test_the_changelist_links_to_the_summary(admin_client):
    assert "summary/" in admin_client.get(CHANGELIST).content.decode()
