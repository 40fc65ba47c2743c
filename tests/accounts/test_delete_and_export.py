"""Account deletion (password confirmed; per-user data cascades, shared feeds stay) and the
data exports (OPML of subscriptions, JSON of starred entries)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from accounts.models import ApiToken, ClientPassword, User

pytestmark = pytest.mark.django_db


def test_the_page_links_both_exports(alice_client):
    page = alice_client.get("/settings/delete/")
    assert page.status_code == 200
    assert b'href="/settings/export/subscriptions.opml"' in page.content
    assert b'href="/settings/export/starred.json"' in page.content


def test_a_wrong_password_deletes_nothing(world):
    response = world.alice.client.post("/settings/delete/", {"password": "wrong"})
    assert response.status_code == 400
    assert b"incorrectly" in response.content
    assert User.objects.filter(pk=world.alice.user.pk).exists()


def test_deletion_removes_the_users_data_and_keeps_shared_feeds_and_bobs_subscription(world):
    from feeds.models import Entry, Feed
    from reader.models import Category, EntryState, Subscription

    alice = world.alice.user
    response = world.alice.client.post("/settings/delete/", {"password": "alice-pass-123"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert not User.objects.filter(pk=alice.pk).exists()
    for model in (Subscription, Category, EntryState, ApiToken, ClientPassword):
        assert not model.objects.filter(user_id=alice.pk).exists(), model
    assert Feed.objects.filter(pk=world.feed.pk).exists()
    assert Entry.objects.filter(feed=world.feed).count() == len(world.entries)
    assert Subscription.objects.filter(user=world.bob.user, feed=world.feed).exists()
    assert EntryState.objects.filter(user=world.bob.user, starred=True).exists()
    assert ApiToken.objects.filter(user=world.bob.user).exists()
    # Signed out: the old session no longer opens the settings.
    assert world.alice.client.get("/settings/").status_code == 302


def test_the_only_administrator_cannot_delete_their_account(django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.com", "root-pass-123")
    client = Client()
    client.force_login(root)
    response = client.post("/settings/delete/", {"password": "root-pass-123"})
    assert response.status_code == 400
    assert b"only administrator" in response.content
    assert User.objects.filter(pk=root.pk).exists()
    django_user_model.objects.create_superuser("root2", "root2@example.com", "root-pass-123")
    assert client.post("/settings/delete/", {"password": "root-pass-123"}).status_code == 302


def test_the_starred_export_is_a_json_file_of_the_users_stars_only(world):
    from reader.models import EntryState

    EntryState.objects.filter(user=world.bob.user).update(entry=world.entries[1])
    response = world.alice.client.get("/settings/export/starred.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="tidings-starred-')
    data = json.loads(response.content)
    assert data["user"] == "alice" and data["count"] == 1
    [entry] = data["entries"]
    assert entry["id"] == world.entries[0].pk
    assert entry["title"] == "Entry 0"
    assert entry["feed"] == {"title": "Shared feed", "url": world.feed.url, "site_url": ""}
    assert entry["starred_at"]


def test_the_opml_export_lists_the_users_subscriptions(world):
    reader_services = pytest.importorskip("reader.services")
    if not hasattr(reader_services, "opml_export"):
        pytest.skip("reader.services.opml_export does not exist yet")
    response = world.alice.client.get("/settings/export/subscriptions.opml")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(
        'attachment; filename="tidings-subscriptions-'
    )
    assert world.feed.url.encode() in response.content
    assert b"alice reads this" in response.content
    assert b"bob reads this" not in response.content
