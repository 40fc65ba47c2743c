"""P33 at the service layer: Bob never reads, changes or learns of Alice's objects."""

from __future__ import annotations

import pytest

from reader import selectors, services
from reader.errors import NotFound
from reader.models import Category, EntryState, Subscription
from tests.reader.factories import CategoryFactory, EntryFactory, FeedFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

SECRET_URL = "https://priv.example.com/feed?token=ALICE-SECRET"


@pytest.fixture
def world(alice, bob):
    """Alice: private feed (in her folder) + shared feed; Bob: shared feed only (P33 setup)."""
    folder = CategoryFactory(user=alice, title="Secret stuff")
    private = FeedFactory(url=SECRET_URL, title="Alice Private Newsletter")
    shared = FeedFactory(url="https://weather.example.org/feed", title="Public Weather")
    secret_entry = EntryFactory(feed=private, title="Alice secret item", content="for Alice only")
    sunny = EntryFactory(feed=shared, title="Sunny", content="secret sunshine")
    EntryFactory(feed=shared, title="Rain")
    alice_private = SubscriptionFactory(user=alice, feed=private, category=folder)
    SubscriptionFactory(user=alice, feed=shared)
    SubscriptionFactory(user=bob, feed=shared)
    services.entries_set_read(user=alice, entry_ids=[sunny.pk], read=True)
    services.entries_set_starred(user=alice, entry_ids=[sunny.pk, secret_entry.pk], starred=True)
    return {
        "folder": folder,
        "sub": alice_private,
        "entry": secret_entry,
        "sunny": sunny,
        "private": private,
    }


def test_bob_gets_not_found_for_each_of_alices_objects(bob, world):
    with pytest.raises(NotFound):
        selectors.entry_get(user=bob, entry_id=world["entry"].pk)
    with pytest.raises(NotFound):
        selectors.subscription_get(user=bob, subscription_id=world["sub"].pk)
    with pytest.raises(NotFound):
        selectors.category_get(user=bob, category_id=world["folder"].pk)
    with pytest.raises(NotFound):
        services.subscription_update(user=bob, subscription_id=world["sub"].pk, title="mine")
    with pytest.raises(NotFound):
        services.subscription_update(
            user=bob, subscription_id=world["sub"].pk, category_id=world["folder"].pk
        )
    with pytest.raises(NotFound):
        services.subscription_delete(user=bob, subscription_id=world["sub"].pk)
    with pytest.raises(NotFound):
        services.category_rename(user=bob, category_id=world["folder"].pk, title="x")
    with pytest.raises(NotFound):
        services.category_delete(user=bob, category_id=world["folder"].pk)
    with pytest.raises(NotFound):
        services.mark_all_read(user=bob, subscription_id=world["sub"].pk)
    with pytest.raises(NotFound):
        services.mark_all_read(user=bob, category_id=world["folder"].pk)
    with pytest.raises(NotFound):
        services.subscription_create(
            user=bob, url="https://weather.example.org/feed2", category=world["folder"].pk
        )


def test_batches_from_bob_skip_alices_entries_silently(bob, world):
    foreign = [world["entry"].pk]
    assert services.entries_set_read(user=bob, entry_ids=foreign, read=True) == []
    assert services.entries_set_read(user=bob, entry_ids=foreign, read=False) == []
    assert services.entries_set_starred(user=bob, entry_ids=foreign, starred=True) == []
    assert services.entries_set_starred(user=bob, entry_ids=foreign, starred=False) == []
    assert not EntryState.objects.filter(user=bob).exists()


def test_nothing_changes_for_alice_and_bob_has_his_own_state_on_the_shared_feed(alice, bob, world):
    sunny = world["sunny"]
    bobs = selectors.entry_get(user=bob, entry_id=sunny.pk)
    assert (bobs.is_read, bobs.is_starred) == (False, False)
    services.entries_set_read(user=bob, entry_ids=[sunny.pk], read=True)
    services.entries_set_read(user=bob, entry_ids=[sunny.pk], read=False)
    services.mark_all_read(user=bob)
    alices = selectors.entry_get(user=alice, entry_id=sunny.pk)
    assert (alices.is_read, alices.is_starred) == (True, True)
    assert Subscription.objects.filter(pk=world["sub"].pk).exists()
    assert Category.objects.filter(pk=world["folder"].pk, title="Secret stuff").exists()


def test_bobs_lists_counts_search_and_export_never_show_the_private_feed(bob, world):
    for status in ("all", "unread", "read", "starred"):
        page = selectors.entry_list(user=bob, filters={"status": status})
        assert world["entry"].pk not in [e.pk for e in page.entries]
    page = selectors.entry_list(user=bob, filters={"subscription_id": world["sub"].pk})
    assert page.entries == []
    page = selectors.entry_list(user=bob, filters={"category_id": world["folder"].pk})
    assert page.entries == []
    found = selectors.entry_search(user=bob, q="secret")
    assert [e.title for e in found.entries] == ["Sunny"]
    counts = selectors.unread_counts(user=bob)
    assert world["sub"].pk not in counts["subscriptions"]
    assert counts["starred"] == 0
    assert world["folder"].pk not in counts["categories"]
    exported = services.opml_export(user=bob)
    assert "ALICE-SECRET" not in exported and "priv.example.com" not in exported
    assert [s.pk for s in selectors.subscription_list(user=bob)] != []
    assert world["sub"].pk not in [s.pk for s in selectors.subscription_list(user=bob)]
    assert list(selectors.category_list(user=bob)) == []
