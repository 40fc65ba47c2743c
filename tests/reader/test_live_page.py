"""What the server renders for the page's live updates, and the fallback without JavaScript:
the reader says that a new subscription's first fetch runs (with a plain Reload link) and
gives the poll interval; the time-zone select is grouped by region."""

from __future__ import annotations

import pytest
from django.utils import timezone

from feeds.models import Feed
from tests.factories import FeedFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


def test_a_never_fetched_feed_says_its_fetch_runs_until_it_has_run(client, alice, settings):
    settings.LIVE_POLL_SECONDS = 45
    sub = SubscriptionFactory(user=alice, feed=FeedFactory(last_fetched_at=None))
    client.force_login(alice)
    page = client.get(f"/reader/?show=all&sub={sub.pk}").content.decode()
    assert f'data-fetch-pending="{sub.pk}"' in page
    assert "Fetching this feed now: its entries appear here when it is done." in page
    assert f'href="?show=all&amp;sub={sub.pk}">Reload</a>' in page
    assert 'data-live-seconds="45"' in page
    Feed.objects.filter(pk=sub.feed_id).update(last_fetched_at=timezone.now())
    page = client.get(f"/reader/?show=all&sub={sub.pk}").content.decode()
    assert "data-fetch-pending" not in page


def test_the_fetch_note_is_in_chinese_too(client, alice):
    alice.language = "zh-hans"
    alice.save(update_fields=["language"])
    sub = SubscriptionFactory(user=alice, feed=FeedFactory(last_fetched_at=None))
    client.force_login(alice)
    page = client.get(f"/reader/?show=all&sub={sub.pk}").content.decode()
    assert "正在获取此订阅源，完成后条目会显示在这里。" in page
    assert 'data-fetching="正在获取订阅源…"' in page


def test_time_zones_are_grouped_by_region(client, alice):
    client.force_login(alice)
    page = client.get("/settings/").content.decode()
    assert '<optgroup label="Europe">' in page
    assert '<option value="Europe/Paris">Europe/Paris</option>' in page
    assert "data-browser-zone" in page  # alice keeps the default: the browser's zone is offered
    alice.timezone = "Asia/Shanghai"
    alice.save(update_fields=["timezone"])
    page = client.get("/settings/").content.decode()
    assert "data-browser-zone" not in page


def test_a_feed_whose_fetch_failed_says_why_and_offers_a_retry_instead_of_no_entries_yet(
    client, alice
):
    alice.language = "zh-hans"
    alice.save(update_fields=["language"])
    feed = FeedFactory(
        last_fetched_at=timezone.now(),
        last_error="Could not connect to 127.0.0.1: connection refused.",
        last_error_kind="connect",
        error_count=1,
    )
    sub = SubscriptionFactory(user=alice, feed=feed)
    client.force_login(alice)
    page = client.get(f"/reader/?show=all&sub={sub.pk}").content.decode()
    assert "⚠ Tidings 无法连接到该网站。" in page
    assert f'action="/subscriptions/{sub.pk}/retry/"' in page
    assert f'data-retry-for="{sub.pk}">立即重试</button>' in page
    assert "connection refused" not in page  # the English record stays for administrators
    # Once a fetch works the note goes; a feed that never failed never shows it.
    Feed.objects.filter(pk=feed.pk).update(last_error="", last_error_kind="", error_count=0)
    page = client.get(f"/reader/?show=all&sub={sub.pk}").content.decode()
    assert "fetch-error" not in page and "/retry/" not in page


def test_a_feed_that_tidings_stopped_fetching_says_so_in_the_list_with_a_retry(client, alice):
    feed = FeedFactory(
        last_fetched_at=timezone.now(),
        last_error="HTTP 410 Gone",
        last_error_kind="gone",
        last_status=410,
        disabled=True,
        auto_disabled=True,
    )
    sub = SubscriptionFactory(user=alice, feed=feed)
    client.force_login(alice)
    page = client.get(f"/reader/?show=unread&sub={sub.pk}").content.decode()
    list_pane = page[page.index('class="pane pane-list"') :]
    assert "Fetching stopped: The feed has been removed by the site" in list_pane
    assert f'data-retry-for="{sub.pk}">Retry now</button>' in list_pane
