"""Every admin page of the directory, feed health and users renders for a staff user."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from feeds.fetch_log import record_fetch
from feeds.models import Feed, FetchLog, Source, SourceCategory
from reader.models import Subscription
from reader.project.site_figures import queue_lengths
from tests.admin.conftest import make_entries, make_feed, subscribe

pytestmark = pytest.mark.django_db


def test_each_list_and_form_renders(admin_client, alice, now):
    call_command("load_directory", stdout=open("/dev/null", "w"))  # noqa: SIM115
    feed = make_feed("http://pages.example.org/feed", title="Pages")
    make_entries(feed, [now])
    subscribe(alice, feed)
    Source.objects.filter(title="Jina AI").update(feed=feed)
    record_fetch(feed_id=feed.pk, outcome="ok", status=200)
    pages = [
        "/admin/",
        "/admin/feeds/source/",
        f"/admin/feeds/source/{Source.objects.get(title='Jina AI').pk}/change/",
        "/admin/feeds/source/add/",
        "/admin/feeds/source/import-opml/",
        "/admin/feeds/sourcecategory/",
        f"/admin/feeds/sourcecategory/{SourceCategory.objects.first().pk}/change/",
        "/admin/feeds/feed/",
        f"/admin/feeds/feed/{feed.pk}/change/",
        "/admin/feeds/feed/summary/",
        "/admin/feeds/fetchlog/",
        f"/admin/feeds/fetchlog/{FetchLog.objects.get().pk}/change/",
        "/admin/reader/subscription/",
        f"/admin/reader/subscription/{Subscription.objects.get().pk}/change/",
        "/admin/reader/category/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{alice.pk}/change/",
    ]
    for page in pages:
        response = admin_client.get(page)
        assert response.status_code == 200, page
    assert Feed.objects.count() == 1


def test_the_admin_summary_pages_refuse_non_staff(client, alice):
    client.force_login(alice)
    for page in ("/admin/feeds/feed/summary/", "/admin/feeds/source/export-opml/"):
        response = client.get(page)
        assert response.status_code == 302, page
        assert "/admin/login/" in response["Location"]


def test_queue_lengths_on_the_filesystem_broker_count_message_files(settings, tmp_path):
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path)}
    for name in ("1_a.feeds.msg", "2_b.feeds.msg", "3_c.default.msg", "junk.txt"):
        (tmp_path / name).write_bytes(b"{}")
    assert queue_lengths() == {"interactive": 0, "feeds": 2, "default": 1}


def test_queue_lengths_are_unknown_for_an_unreachable_broker(settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    assert queue_lengths() is None
