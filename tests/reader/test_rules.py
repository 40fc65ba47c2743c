"""Rules (issue 11): new entries fetched from the loopback server and stored by feed_refresh are
marked read, starred or hidden for each subscriber whose rules match; preview and apply later."""

from __future__ import annotations

import time

import pytest

from feeds.models import Entry
from reader import rules, selectors, services
from reader.errors import InvalidInput, NotFound
from reader.models import EntryState, HiddenEntry, Rule
from tests.reader.syndication import Item, entry, refresh, serve, subscribe

pytestmark = pytest.mark.django_db

ITEMS = [
    Item("Sponsored: buy this", "https://a.example.org/1", "g1", author="Ads Team"),
    Item("A party for everyone", "https://a.example.org/2", "g2", categories=("Events",)),
    Item(
        "Release notes",
        "https://a.example.org/releases/3",
        "g3",
        description="<p>The new <b>security   fix</b> is out.</p>",
    ),
    Item("区块链 新闻", "https://a.example.org/4", "g4", author="Mallory"),
]


@pytest.fixture
def eager_tasks():
    """Run Celery tasks in-process, as a worker would (the task code is the real one)."""
    from reader.project.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def feed_url(feed_server):
    return serve(feed_server, "/news.xml", "News", ITEMS)


def _refresh_with_hooks(sub, django_capture_on_commit_callbacks):
    """Refresh, then run the on-commit callbacks (the rules task is enqueued on commit)."""
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        refresh(sub)
    return callbacks


def _state(user, sub, guid):
    e = entry(sub, guid)
    got = selectors.entry_get(user=user, entry_id=e.pk)
    hidden = HiddenEntry.objects.filter(user=user, entry=e).exists()
    return got.is_read, got.is_starred, hidden


def test_new_entries_are_marked_read_starred_or_hidden_after_a_refresh(
    alice, feed_url, eager_tasks, django_capture_on_commit_callbacks
):
    sub = subscribe(alice, feed_url)
    rules.rule_create(user=alice, field="title", match="any_words", pattern="sponsored")
    rules.rule_create(
        user=alice, field="content", match="phrase", pattern="security fix", action="star"
    )
    rules.rule_create(
        user=alice, field="author", match="regex", pattern=r"^mal+ory$", action="hide"
    )
    callbacks = _refresh_with_hooks(sub, django_capture_on_commit_callbacks)
    assert len(callbacks) == 1
    assert _state(alice, sub, "g1") == (True, False, False)
    assert _state(alice, sub, "g2") == (False, False, False)
    assert _state(alice, sub, "g3") == (False, True, False)
    assert _state(alice, sub, "g4") == (True, False, True)
    assert sorted(Rule.objects.values_list("hits", flat=True)) == [1, 1, 1]


def test_hidden_entries_leave_every_list_and_count_but_starred(
    alice, feed_url, eager_tasks, django_capture_on_commit_callbacks
):
    sub = subscribe(alice, feed_url)
    rules.rule_create(user=alice, field="any", match="any_words", pattern="区块链", action="hide")
    _refresh_with_hooks(sub, django_capture_on_commit_callbacks)
    hidden = entry(sub, "g4")
    for status in ("all", "unread", "read"):
        page = selectors.entry_list(user=alice, filters={"status": status})
        assert hidden.pk not in [e.pk for e in page.entries], status
    assert hidden.pk not in [e.pk for e in selectors.entry_search(user=alice, q="新闻").entries]
    assert selectors.unread_counts(user=alice)["subscriptions"][sub.pk] == 3
    services.entries_set_starred(user=alice, entry_ids=[hidden.pk], starred=True)
    starred = selectors.entry_list(user=alice, filters={"status": "starred"}).entries
    assert [e.pk for e in starred] == [hidden.pk]
    # Marking it unread again brings it back.
    services.entries_set_read(user=alice, entry_ids=[hidden.pk], read=False)
    assert not HiddenEntry.objects.filter(user=alice).exists()
    assert selectors.unread_counts(user=alice)["subscriptions"][sub.pk] == 4


def test_words_match_whole_words_and_ignore_case(alice):
    match = rules.compile_matcher(match="any_words", pattern="ART Sale")
    assert match("Modern art museum")
    assert match("big sale!")
    assert not match("A party")
    every = rules.compile_matcher(match="all_words", pattern="art sale")
    assert not every("Modern art")
    assert every("Art: the sale")
    phrase = rules.compile_matcher(match="phrase", pattern="security fix")
    assert phrase("a Security\n  Fix today")
    assert not phrase("security and fix")
    cjk = rules.compile_matcher(match="any_words", pattern="区块链")
    assert cjk("关于区块链的新闻")


def test_a_slow_regular_expression_times_out_as_no_match(alice, settings):
    settings.RULE_REGEX_TIMEOUT = 0.01
    match = rules.compile_matcher(match="regex", pattern="(a|aa)+$")
    started = time.monotonic()
    results = [match("a" * 60 + "b") for _ in range(10)]
    elapsed = time.monotonic() - started
    assert results == [False] * 10
    # At most MAX_TIMEOUTS evaluations run to the limit (overshoot included); later ones skip.
    assert elapsed < 2.0


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"match": "regex", "pattern": "(unclosed"}, "regular expression"),
        ({"pattern": "   "}, "needs words"),
        ({"pattern": "x", "action": "delete"}, "Unknown action"),
        ({"pattern": "x", "field": "body"}, "Unknown field"),
        ({"pattern": "x", "match": "glob"}, "Unknown match"),
    ],
)
def test_invalid_rules_are_refused_with_a_reason(alice, values, message):
    with pytest.raises(InvalidInput, match=message):
        rules.rule_create(user=alice, **values)
    assert not Rule.objects.exists()


def test_scopes_limit_a_rule_to_a_subscription_or_a_category(
    alice, feed_server, eager_tasks, django_capture_on_commit_callbacks
):
    one = subscribe(alice, serve(feed_server, "/one.xml", "One", ITEMS[:2]))
    two_items = [Item("Sponsored two", "https://b.example.org/1", "h1")]
    category = services.category_create(user=alice, title="Work")
    two = subscribe(alice, serve(feed_server, "/two.xml", "Two", two_items), category=category)
    rules.rule_create(user=alice, pattern="sponsored", subscription_id=one.pk)
    rules.rule_create(user=alice, pattern="sponsored", action="star", category_id=category.pk)
    _refresh_with_hooks(one, django_capture_on_commit_callbacks)
    _refresh_with_hooks(two, django_capture_on_commit_callbacks)
    assert _state(alice, one, "g1") == (True, False, False)
    assert _state(alice, two, "h1") == (False, True, False)
    with pytest.raises(InvalidInput):
        rules.rule_create(user=alice, pattern="x", subscription_id=one.pk, category_id=category.pk)


def test_each_subscriber_gets_only_their_own_rules(
    alice, bob, feed_url, eager_tasks, django_capture_on_commit_callbacks
):
    alice_sub = subscribe(alice, feed_url)
    bob_sub = subscribe(bob, feed_url)
    rules.rule_create(user=bob, pattern="sponsored", action="hide")
    _refresh_with_hooks(alice_sub, django_capture_on_commit_callbacks)
    assert _state(bob, bob_sub, "g1") == (True, False, True)
    assert _state(alice, alice_sub, "g1") == (False, False, False)
    assert not EntryState.objects.filter(user=alice).exists()
    # Bob's rule and subscription are not Alice's to use.
    bob_rule = Rule.objects.get(user=bob)
    with pytest.raises(NotFound):
        rules.rule_get(user=alice, rule_id=bob_rule.pk)
    with pytest.raises(NotFound):
        rules.rule_apply(user=alice, rule_id=bob_rule.pk)
    with pytest.raises(NotFound):
        rules.rule_create(user=alice, pattern="x", subscription_id=bob_sub.pk)


def test_no_task_is_enqueued_when_no_subscriber_has_a_rule(
    alice, feed_url, django_capture_on_commit_callbacks
):
    sub = subscribe(alice, feed_url)
    callbacks = _refresh_with_hooks(sub, django_capture_on_commit_callbacks)
    assert callbacks == []
    rules.rule_create(user=alice, pattern="x", enabled=False)
    assert not rules.rules_enqueue_for_new_entries(feed_id=sub.feed_id, entry_ids=[1])


def test_a_preview_changes_nothing_and_apply_acts_on_existing_entries(alice, feed_url):
    sub = subscribe(alice, feed_url)
    refresh(sub)
    draft = rules.rule_build(user=alice, field="link", match="regex", pattern=r"/releases/\d+$")
    preview = rules.rule_preview(user=alice, rule=draft)
    assert preview.scanned == 4
    assert preview.matched == 1
    assert [e.title for e in preview.entries] == ["Release notes"]
    assert draft.pk is None and not EntryState.objects.exists()
    saved = rules.rule_create(user=alice, field="category", pattern="events", action="star")
    assert _state(alice, sub, "g2") == (False, False, False)  # new entries only, until applied
    assert rules.rule_apply(user=alice, rule_id=saved.pk) == 1
    assert _state(alice, sub, "g2") == (False, True, False)
    assert Rule.objects.get(pk=saved.pk).hits == 1


def test_update_and_delete_keep_validation_and_ownership(alice, bob):
    rule = rules.rule_create(user=alice, pattern="one")
    rules.rule_update(user=alice, rule_id=rule.pk, pattern="two", action="hide", enabled=False)
    rule.refresh_from_db()
    assert (rule.pattern, rule.action, rule.enabled) == ("two", "hide", False)
    with pytest.raises(InvalidInput):
        rules.rule_update(user=alice, rule_id=rule.pk, match="regex", pattern="[")
    with pytest.raises(NotFound):
        rules.rule_delete(user=bob, rule_id=rule.pk)
    rules.rule_delete(user=alice, rule_id=rule.pk)
    assert not Rule.objects.exists()


def test_the_task_is_idempotent(alice, feed_url):
    from reader.tasks import apply_rules

    sub = subscribe(alice, feed_url)
    refresh(sub)
    rules.rule_create(user=alice, pattern="sponsored", action="star")
    ids = list(Entry.objects.filter(feed_id=sub.feed_id).values_list("id", flat=True))
    assert apply_rules(sub.feed_id, ids) == 1
    assert apply_rules(sub.feed_id, ids) == 1
    assert EntryState.objects.filter(user=alice, starred=True).count() == 1
