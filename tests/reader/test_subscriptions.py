"""Subscriptions and categories: create (reuse, duplicates, discovery), update, delete, merges."""

from __future__ import annotations

import pytest

from feeds.models import Entry, Feed
from feeds.signals import feed_merged
from reader import selectors, services
from reader.errors import (
    CategoryExists,
    DiscoveryChoice,
    FeedUnreachable,
    InvalidInput,
    InvalidURL,
    SubscriptionExists,
)
from reader.models import Category, EntryState, Subscription
from tests.reader.factories import (
    CategoryFactory,
    EntryFactory,
    FeedFactory,
    SubscriptionFactory,
    entries,
)

pytestmark = pytest.mark.django_db


def test_subscribing_to_a_url_tidings_already_fetches_reuses_the_feed(
    alice, bob, django_capture_on_commit_callbacks
):
    feed = FeedFactory(url="https://feeds.example.org/shared.xml")
    with django_capture_on_commit_callbacks() as callbacks:
        a = services.subscription_create(user=alice, url="https://FEEDS.example.org:443/shared.xml")
        b = services.subscription_create(user=bob, url=feed.url, title="  Bob's name  ")
    assert a.feed_id == b.feed_id == feed.pk
    assert Feed.objects.count() == 1
    assert callbacks == []  # no refresh: the feed is fetched already
    assert (b.title, a.title) == ("Bob's name", "")


def test_a_new_feed_is_created_and_refreshed_on_commit(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        sub = services.subscription_create(
            user=alice, url="feeds.example.org/fresh.xml", discover=False
        )
    assert sub.feed.url == "https://feeds.example.org/fresh.xml"
    assert len(callbacks) == 1
    assert sub.unread_since is not None and sub.read_max_id == 0


def test_subscribing_twice_is_subscription_exists_with_the_row(alice):
    first = services.subscription_create(user=alice, url="https://a.example.org/f", discover=False)
    with pytest.raises(SubscriptionExists) as caught:
        services.subscription_create(user=alice, url="https://A.example.org/f", discover=False)
    assert caught.value.subscription.pk == first.pk


@pytest.mark.parametrize(
    "url",
    ["", "ftp://a.example.org/f", "javascript:alert(1)", "http://", "http://127.0.0.1/x", "["],
)
def test_bad_urls_are_refused(alice, url):
    with pytest.raises(InvalidURL):
        services.subscription_create(user=alice, url=url, discover=False)
    assert not Subscription.objects.exists()


def _discovery_server(feed_server):
    feed_xml = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Site feed</title>'
        "<link>https://feeds.example.org/</link><item><title>One</title><guid>1</guid></item>"
        "</channel></rss>"
    )
    link = '<link rel="alternate" type="application/rss+xml" href="{}">'
    page = "<html><head><title>Site</title>{}</head><body>hi</body></html>"
    feed_server.add_route(
        "/feed.xml", body=feed_xml, headers={"Content-Type": "application/rss+xml"}
    )
    feed_server.add_route("/comments.xml", body=feed_xml, headers={"Content-Type": "text/xml"})
    feed_server.add_route(
        "/one.html",
        body=page.format(link.format("/feed.xml")),
        headers={"Content-Type": "text/html"},
    )
    both = link.format("/feed.xml") + link.format("/comments.xml")
    feed_server.add_route(
        "/two.html", body=page.format(both), headers={"Content-Type": "text/html"}
    )
    feed_server.add_route("/gone", status=404)


def test_subscribing_by_site_url_finds_its_feed_through_autodiscovery(alice, feed_server):
    pytest.importorskip("feeds.pipeline.discover")
    _discovery_server(feed_server)
    sub = services.subscription_create(user=alice, url=feed_server.url("/one.html"))
    assert sub.feed.url == feed_server.url("/feed.xml")


def test_a_site_with_several_feeds_asks_the_user_to_choose(alice, feed_server):
    pytest.importorskip("feeds.pipeline.discover")
    _discovery_server(feed_server)
    with pytest.raises(DiscoveryChoice) as caught:
        services.subscription_create(user=alice, url=feed_server.url("/two.html"))
    urls = sorted(c.url for c in caught.value.candidates)
    assert urls == sorted([feed_server.url("/feed.xml"), feed_server.url("/comments.xml")])
    chosen = services.subscription_create(user=alice, url=urls[0])
    assert chosen.feed.url == urls[0]


def test_an_unreachable_site_says_why(alice, feed_server):
    pytest.importorskip("feeds.pipeline.discover")
    _discovery_server(feed_server)
    with pytest.raises(FeedUnreachable) as caught:
        services.subscription_create(user=alice, url=feed_server.url("/gone"))
    assert "404" in caught.value.message
    assert not Subscription.objects.exists()


def test_title_category_and_position_are_per_user(alice, bob):
    feed = FeedFactory(title="Feed title")
    mine = SubscriptionFactory(user=alice, feed=feed)
    theirs = SubscriptionFactory(user=bob, feed=feed)
    tech = services.category_create(user=alice, title=" Tech ")
    services.subscription_update(
        user=alice, subscription_id=mine.pk, title="Mine", category_id=tech.pk, position=5
    )
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.title, mine.category_id, mine.position) == ("Mine", tech.pk, 5)
    assert (theirs.title, theirs.category_id) == ("", None)
    services.subscription_update(user=alice, subscription_id=mine.pk, category_id=None, title="")
    mine.refresh_from_db()
    assert (mine.title, mine.category_id, mine.position) == ("", None, 5)


def test_categories_are_created_renamed_and_unique_per_user(alice, bob):
    tech = services.category_create(user=alice, title="Tech")
    services.category_create(user=bob, title="Tech")  # another user's is fine
    with pytest.raises(CategoryExists):
        services.category_create(user=alice, title="  Tech ")
    with pytest.raises(InvalidInput):
        services.category_create(user=alice, title="   ")
    news = services.category_create(user=alice, title="News")
    with pytest.raises(CategoryExists):
        services.category_rename(user=alice, category_id=news.pk, title="Tech")
    renamed = services.category_rename(user=alice, category_id=tech.pk, title="Technology")
    assert renamed.title == "Technology"
    assert [c.title for c in selectors.category_list(user=alice)] == ["Technology", "News"]


def test_deleting_a_category_moves_its_feeds_to_uncategorized(alice):
    tech = CategoryFactory(user=alice)
    subs = SubscriptionFactory.create_batch(2, user=alice, category=tech)
    assert services.category_delete(user=alice, category_id=tech.pk) == 2
    assert not Category.objects.filter(pk=tech.pk).exists()
    assert [s.category_id for s in selectors.subscription_list(user=alice)] == [None, None]
    assert {s.pk for s in selectors.subscription_list(user=alice, category_id=0)} == {
        s.pk for s in subs
    }


def test_unsubscribing_drops_read_marks_but_keeps_stars(alice):
    sub = SubscriptionFactory(user=alice)
    starred, read = entries(sub.feed, 2)
    services.entries_set_starred(user=alice, entry_ids=[starred.pk], starred=True)
    services.entries_set_read(user=alice, entry_ids=[read.pk], read=True)
    services.subscription_delete(user=alice, subscription_id=sub.pk)
    assert not Subscription.objects.filter(user=alice).exists()
    assert list(EntryState.objects.values_list("entry_id", "starred")) == [(starred.pk, True)]


def test_a_feed_merge_moves_subscriptions_and_states_without_duplicates(alice, bob):
    source, target = FeedFactory(), FeedFactory()
    dup_source = EntryFactory(feed=source, guid="same")
    dup_target = EntryFactory(feed=target, guid="same", identity_hash=dup_source.identity_hash)
    only_source = EntryFactory(feed=source, guid="only-source")
    alice_sub = SubscriptionFactory(user=alice, feed=source, title="Alice's")
    SubscriptionFactory(user=bob, feed=source)
    bob_target = SubscriptionFactory(user=bob, feed=target)
    services.entries_set_starred(user=alice, entry_ids=[dup_source.pk], starred=True)
    services.entries_set_read(user=bob, entry_ids=[dup_source.pk], read=True)
    services.entries_set_starred(user=bob, entry_ids=[dup_target.pk], starred=True)
    # What feeds.services.feed_merge does: move non-duplicate entries, signal, delete.
    Entry.objects.filter(pk=only_source.pk).update(feed=target)
    feed_merged.send(sender=Feed, source_id=source.pk, target_id=target.pk)
    source.delete()

    alice_sub.refresh_from_db()
    assert (alice_sub.feed_id, alice_sub.title) == (target.pk, "Alice's")
    assert list(Subscription.objects.filter(user=bob).values_list("pk", flat=True)) == [
        bob_target.pk
    ]
    assert selectors.entry_get(user=alice, entry_id=dup_target.pk).is_starred
    bobs = selectors.entry_get(user=bob, entry_id=dup_target.pk)
    assert (bobs.is_read, bobs.is_starred) == (True, True)
    assert selectors.unread_counts(user=bob)["subscriptions"] == {bob_target.pk: 1}


def _sent_queues(monkeypatch) -> list[str]:
    from feeds import tasks

    sent: list[str] = []
    monkeypatch.setattr(
        tasks.refresh_feed, "apply_async", lambda *a, queue=None, **k: sent.append(queue)
    )
    return sent


def test_a_new_subscriptions_first_refresh_goes_to_queue_interactive(
    alice, monkeypatch, django_capture_on_commit_callbacks
):
    sent = _sent_queues(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        services.subscription_create(
            user=alice, url="https://feeds.example.org/i.xml", discover=False
        )
    assert sent == ["interactive"]


def test_an_opml_import_and_the_scheduler_keep_queue_feeds(
    alice, monkeypatch, django_capture_on_commit_callbacks
):
    from feeds import tasks
    from feeds.tasks import refresh_due_feeds, refresh_feed_enqueue
    from reader.opml import opml_import_run, opml_import_start

    sent = _sent_queues(monkeypatch)
    monkeypatch.setattr(
        tasks.refresh_feeds, "apply_async", lambda *a, queue=None, **k: sent.append(queue)
    )
    opml = (
        b'<?xml version="1.0"?><opml version="2.0"><body>'
        b'<outline type="rss" text="a" xmlUrl="https://feeds.example.org/a.xml"/>'
        b'<outline type="rss" text="b" xmlUrl="https://feeds.example.org/b.xml"/>'
        b"</body></opml>"
    )
    with django_capture_on_commit_callbacks(execute=True):
        job = opml_import_start(user=alice, data=opml, enqueue=False)
        opml_import_run(job_id=job.pk)
    with django_capture_on_commit_callbacks(execute=True):
        refresh_feed_enqueue(feed_id=Feed.objects.first().pk)  # queued already: not sent
    Feed.objects.update(leased_until=None)  # the claims lapsed: the scheduler sends them
    refresh_due_feeds()
    assert sent == ["feeds"] * 4  # two for the import (a batch per feed), two for the scheduler
