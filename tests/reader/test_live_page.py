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
