"""What a new subscription starts with unread (recent, all, none), and "N older entries were
marked read" with its one-click undo, through the service, the web form and the REST API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from reader import read_state, selectors, services
from reader.errors import InvalidInput
from reader.models import EntryState, Subscription
from tests.api.conftest import ApiClient
from tests.factories import EntryFactory, FeedFactory

pytestmark = pytest.mark.django_db


def _feed_with_old_and_new(old: int = 5, new: int = 2):
    """A fetched feed with ``old`` entries published 40+ days ago and ``new`` this week."""
    feed = FeedFactory(url="https://feeds.example.org/history.xml", last_fetched_at=timezone.now())
    now = timezone.now()
    for i in range(old):
        EntryFactory(feed=feed, published_at=now - timedelta(days=40 + i))
    for i in range(new):
        EntryFactory(feed=feed, published_at=now - timedelta(days=1 + i))
    return feed


def _unread(user, sub) -> int:
    return selectors.unread_counts(user=user)["subscriptions"][sub.pk]


@pytest.mark.parametrize(
    ("choice", "unread", "older_read"),
    [("recent", 2, 5), ("all", 7, 0), ("none", 0, 7)],
)
def test_the_starting_choice_sets_what_is_unread(alice, choice, unread, older_read):
    """Each choice of the subscribe form gives its unread count and its "older read" count."""
    feed = _feed_with_old_and_new()
    sub = services.subscription_create(user=alice, url=feed.url, unread_start=choice)
    assert _unread(alice, sub) == unread
    assert read_state.older_read_count(sub) == older_read


def test_entries_of_the_first_fetch_follow_the_choice(alice):
    """With "none", entries the first fetch brings (published before) start read; later ones
    are unread. With "all" they all start unread."""
    feed = FeedFactory(url="https://feeds.example.org/empty.xml")
    none = services.subscription_create(user=alice, url=feed.url, unread_start="none")
    EntryFactory(feed=feed, published_at=timezone.now() - timedelta(days=400))
    assert _unread(alice, none) == 0
    EntryFactory(feed=feed, published_at=timezone.now() + timedelta(minutes=1))
    assert _unread(alice, none) == 1


def test_an_unknown_choice_is_refused(alice):
    feed = _feed_with_old_and_new()
    with pytest.raises(InvalidInput):
        services.subscription_create(user=alice, url=feed.url, unread_start="some")


def test_unread_older_makes_the_older_entries_unread_once(alice):
    feed = _feed_with_old_and_new()
    sub = services.subscription_create(user=alice, url=feed.url)
    assert services.subscription_unread_older(user=alice, subscription_id=sub.pk) == 5
    sub.refresh_from_db()
    assert sub.unread_since is None
    assert _unread(alice, sub) == 7
    assert read_state.older_read_count(sub) == 0
    assert services.subscription_unread_older(user=alice, subscription_id=sub.pk) == 0


def test_unread_older_keeps_what_mark_all_read_made_read(alice):
    """After "mark all read", the recent entries stay read; only the older ones come back."""
    feed = _feed_with_old_and_new()
    sub = services.subscription_create(user=alice, url=feed.url)
    services.mark_all_read(user=alice, subscription_id=sub.pk)
    assert _unread(alice, sub) == 0
    assert services.subscription_unread_older(user=alice, subscription_id=sub.pk) == 5
    assert _unread(alice, sub) == 5
    assert EntryState.objects.filter(user=alice, read=True).count() == 2


def test_unread_older_keeps_hand_marks_and_other_users_alone(alice, bob):
    feed = _feed_with_old_and_new()
    sub = services.subscription_create(user=alice, url=feed.url)
    bobs = services.subscription_create(user=bob, url=feed.url)
    oldest = feed.entries.order_by("published_at").first()
    services.entries_set_read(user=alice, entry_ids=[oldest.pk], read=False)
    assert _unread(alice, sub) == 3
    assert read_state.older_read_count(sub) == 4  # the one kept unread by hand is not counted
    assert services.subscription_unread_older(user=alice, subscription_id=sub.pk) == 4
    assert _unread(alice, sub) == 7
    assert _unread(bob, bobs) == 2
    from reader.errors import NotFound

    with pytest.raises(NotFound):
        services.subscription_unread_older(user=bob, subscription_id=sub.pk)


def test_the_reader_says_why_older_entries_are_read_and_offers_to_unread_them(client, alice):
    feed = _feed_with_old_and_new()
    sub = services.subscription_create(user=alice, url=feed.url)
    client.force_login(alice)
    page = client.get(f"/reader/?show=unread&sub={sub.pk}").content.decode()
    assert "5 older entries were marked read." in page
    assert f'href="?show=all&amp;sub={sub.pk}"' in page
    response = client.post(f"/subscriptions/{sub.pk}/unread-older/")
    assert response.status_code == 302
    assert response["Location"] == f"/reader/?show=unread&sub={sub.pk}"
    assert _unread(alice, sub) == 7
    page = client.get(f"/reader/?show=unread&sub={sub.pk}").content.decode()
    assert "older entries were marked read" not in page


def test_the_note_is_in_chinese_too(client, alice):
    feed = _feed_with_old_and_new()
    sub = services.subscription_create(user=alice, url=feed.url)
    alice.language = "zh-hans"
    alice.save(update_fields=["language"])
    client.force_login(alice)
    page = client.get(f"/reader/?show=unread&sub={sub.pk}").content.decode()
    assert "5 条较早的条目已标记为已读。" in page
    assert "将它们标记为未读" in page
    assert "订阅时，可用“初始未读”选择哪些文章一开始为未读。" in page


def test_the_note_names_the_setting_that_chose_it_and_links_to_it(client, alice):
    feed = _feed_with_old_and_new()
    sub = services.subscription_create(user=alice, url=feed.url)
    client.force_login(alice)
    page = client.get(f"/reader/?show=unread&sub={sub.pk}").content.decode()
    note = page[page.index('class="older-read') :]
    note = note[: note.index("</div>")]
    assert "When you subscribe, “Unread at first” chooses which entries start unread." in note
    assert 'href="/subscriptions/#add-unread-start"' in note
    page = client.get("/subscriptions/").content.decode()
    assert 'id="add-unread-start"' in page  # the link's target


def test_an_old_subscription_says_nothing(client, alice):
    feed = _feed_with_old_and_new()
    sub = services.subscription_create(user=alice, url=feed.url)
    Subscription.objects.filter(pk=sub.pk).update(created_at=timezone.now() - timedelta(days=30))
    client.force_login(alice)
    page = client.get(f"/reader/?show=unread&sub={sub.pk}").content.decode()
    assert "older entries were marked read" not in page


def test_another_users_subscription_cannot_be_unread(client, alice, bob):
    feed = _feed_with_old_and_new()
    sub = services.subscription_create(user=alice, url=feed.url)
    client.force_login(bob)
    assert client.post(f"/subscriptions/{sub.pk}/unread-older/").status_code == 404
    assert _unread(alice, sub) == 2


def test_the_web_form_passes_the_choice(client, alice):
    feed = _feed_with_old_and_new()
    client.force_login(alice)
    page = client.get("/subscriptions/").content.decode()
    assert 'name="unread_start"' in page and "Last 30 days" in page
    response = client.post("/subscriptions/", {"url": feed.url, "unread_start": "all"})
    assert response.status_code == 302
    sub = Subscription.objects.get(user=alice)
    assert (sub.unread_since, sub.read_max_id) == (None, 0)
    assert _unread(alice, sub) == 7


def test_the_rest_parameter_passes_the_choice(alice, bob):
    feed = _feed_with_old_and_new()
    api = ApiClient(alice, "token")
    response = api.post("/api/v1/subscriptions/", {"url": feed.url, "unread_start": "none"})
    assert response.status_code == 201, response.content
    assert response.json()["unread_count"] == 0
    assert (
        api.post(
            "/api/v1/subscriptions/", {"url": "x.example.org", "unread_start": "x"}
        ).status_code
        == 400
    )
    sub_id = response.json()["id"]
    assert (
        ApiClient(bob, "token").post(f"/api/v1/subscriptions/{sub_id}/unread-older/").status_code
        == 404
    )
    done = api.post(f"/api/v1/subscriptions/{sub_id}/unread-older/")
    assert done.json() == {"subscription_id": sub_id, "unread": 7}
