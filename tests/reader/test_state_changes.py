"""What changed since a time (``reader.selectors.entry_changes_since``) against a plain model.

A hypothesis state machine runs random sequences of entries arriving, marks (read, unread,
star, unstar) and mark-all-read (one subscription, a category, Uncategorized or everything,
with or without an id bound). The model keeps each entry's read and starred state as a user
sees it (a dict, no watermark). After every step it takes a checkpoint (the time and every
state); after every later step, for the last few checkpoints, each entry that arrived since
or whose state differs from then must be among the entries changed since that time, with its present
state. Entries marked read by a mark-all-read move only the watermark (no ``EntryState``
row), and marking an entry back to the watermark's verdict removes its row: both must still
be reported, which is what ``reader.models.ReadStateChange`` records.

``test_changes_since_a_time_hold_on_sqlite`` runs this module again on SQLite.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from reader import read_state, selectors, services
from reader.models import ReadStateChange
from tests.procs import pytest_child
from tests.reader.factories import CategoryFactory, EntryFactory, FeedFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

MODEL_SETTINGS = settings(
    max_examples=int(os.environ.get("TIDINGS_MODEL_EXAMPLES", "15")),
    stateful_step_count=14,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


class ChangesMachine(RuleBasedStateMachine):
    """Alice: feeds 0 and 1 in category Tech, feed 2 uncategorized; a few entries each."""

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        from django.contrib.auth import get_user_model

        self.user = get_user_model().objects.create_user("alice", "alice@example.com", "pw-123")
        self.tech = CategoryFactory(user=self.user, title="Tech")
        feeds = [FeedFactory() for _ in range(3)]
        self.subs = [
            SubscriptionFactory(user=self.user, feed=feeds[0], category=self.tech),
            SubscriptionFactory(user=self.user, feed=feeds[1], category=self.tech),
            SubscriptionFactory(user=self.user, feed=feeds[2]),
        ]
        # The subscriptions start before every checkpoint: only what happens next counts.
        self.state: dict[int, tuple[bool, bool]] = {}  # entry id -> (read, starred)
        self.sub_of: dict[int, int] = {}  # entry id -> index of its subscription
        for index in range(3):
            for _ in range(2):
                self._arrive(index)
        self.checkpoints: list[tuple[object, dict[int, tuple[bool, bool]]]] = []

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _arrive(self, index: int) -> None:
        entry = EntryFactory(feed=self.subs[index].feed)
        self.state[entry.pk] = (False, False)
        self.sub_of[entry.pk] = index

    def _pick(self, picks: list[int]) -> list[int]:
        ordered = sorted(self.state)
        return sorted({ordered[p % len(ordered)] for p in picks})

    @rule(index=st.integers(0, 2))
    def entry_arrives(self, index):
        self._arrive(index)

    @rule(picks=st.lists(st.integers(0, 7), min_size=1, max_size=3), read=st.booleans())
    def mark(self, picks, read):
        ids = self._pick(picks)
        services.entries_set_read(user=self.user, entry_ids=ids, read=read)
        for i in ids:
            self.state[i] = (read, self.state[i][1])

    @rule(picks=st.lists(st.integers(0, 7), min_size=1, max_size=3), starred=st.booleans())
    def star(self, picks, starred):
        ids = self._pick(picks)
        services.entries_set_starred(user=self.user, entry_ids=ids, starred=starred)
        for i in ids:
            self.state[i] = (self.state[i][0], starred)

    @rule(scope=st.sampled_from(["sub0", "sub2", "tech", "root", "all"]), bound=st.integers(-1, 50))
    def mark_all_read(self, scope, bound):
        ordered = sorted(self.state)
        max_id = None if bound < 0 else ordered[bound % len(ordered)]
        kwargs = {
            "sub0": {"subscription_id": self.subs[0].pk},
            "sub2": {"subscription_id": self.subs[2].pk},
            "tech": {"category_id": self.tech.pk},
            "root": {"category_id": 0},
            "all": {},
        }[scope]
        services.mark_all_read(user=self.user, max_entry_id=max_id, **kwargs)
        in_scope = {"sub0": {0}, "sub2": {2}, "tech": {0, 1}, "root": {2}, "all": {0, 1, 2}}
        for i, (_read, starred) in self.state.items():
            if self.sub_of[i] in in_scope[scope] and (max_id is None or i <= max_id):
                self.state[i] = (True, starred)

    @invariant()
    def every_change_since_a_checkpoint_is_reported_with_its_state(self):
        # A checkpoint after every step: the last few are checked after each later step.
        for since, then in self.checkpoints[-4:]:
            changed = {e.pk: (e.is_read, e.is_starred) for e in _changes(self.user, since)}
            for entry_id, now in self.state.items():
                if then.get(entry_id) != now:
                    assert changed.get(entry_id) == now, (entry_id, then.get(entry_id), now)
        self.checkpoints.append((timezone.now(), dict(self.state)))

    @invariant()
    def the_id_lists_agree_with_the_model(self):
        def ids(status):
            return {
                e.pk for e in selectors.entry_id_list(user=self.user, filters={"status": status})
            }

        unread, starred = ids("unread"), ids("starred")
        assert unread == {i for i, (read, _) in self.state.items() if not read}
        assert starred == {i for i, (_, star) in self.state.items() if star}


def _changes(user, since):
    return selectors.entry_changes_since(user=user, since=since)


def test_changes_since_a_time_follow_the_model():
    """Every entry that arrived or changed state since a checkpoint is reported, as it is now."""
    run_state_machine_as_test(ChangesMachine, settings=MODEL_SETTINGS)


def test_a_mark_all_read_is_reported_without_writing_a_row_per_entry(alice):
    sub = SubscriptionFactory(user=alice)
    entries = [EntryFactory(feed=sub.feed) for _ in range(5)]
    since = timezone.now()
    services.mark_all_read(user=alice, subscription_id=sub.pk, max_entry_id=entries[3].pk)
    changed = {e.pk: e.is_read for e in selectors.entry_changes_since(user=alice, since=since)}
    assert changed == {e.pk: True for e in entries[:4]}
    assert list(ReadStateChange.objects.values_list("first_id", "last_id")) == [(1, entries[3].pk)]


def test_marking_an_entry_back_to_unread_is_reported_though_its_row_is_gone(alice):
    sub = SubscriptionFactory(user=alice)
    entry = EntryFactory(feed=sub.feed)
    services.entries_set_read(user=alice, entry_ids=[entry.pk], read=True)
    since = timezone.now()
    services.entries_set_read(user=alice, entry_ids=[entry.pk], read=False)
    assert not entry.states.exists()
    changed = selectors.entry_changes_since(user=alice, since=since)
    assert [(e.pk, e.is_read) for e in changed] == [(entry.pk, False)]
    assert changed[0].changed_at >= since


def test_old_changes_are_coalesced_into_one_row_that_still_covers_them(alice):
    sub = SubscriptionFactory(user=alice)
    entries = [EntryFactory(feed=sub.feed) for _ in range(6)]
    since = timezone.now()
    for entry in entries[:3]:
        services.mark_all_read(user=alice, subscription_id=sub.pk, max_entry_id=entry.pk)
    services.entries_set_read(user=alice, entry_ids=[entries[5].pk], read=True)
    services.entries_set_read(user=alice, entry_ids=[entries[5].pk], read=False)
    assert ReadStateChange.objects.count() == 4
    later = timezone.now() + read_state.STATE_CHANGE_RETENTION + timedelta(days=1)
    with connection.cursor() as cur:
        assert read_state.coalesce_state_changes(cur, user_id=alice.pk, now=later) == 1
    assert list(ReadStateChange.objects.values_list("first_id", "last_id")) == [(1, entries[5].pk)]
    changed = {e.pk for e in selectors.entry_changes_since(user=alice, since=since)}
    assert {e.pk for e in entries[:3]} | {entries[5].pk} <= changed


def test_making_older_entries_unread_reports_them(alice):
    sub = SubscriptionFactory(user=alice, unread_since=timezone.now() + timedelta(days=1))
    old = EntryFactory(feed=sub.feed)
    since = timezone.now()
    assert services.subscription_unread_older(user=alice, subscription_id=sub.pk) == 1
    changed = selectors.entry_changes_since(user=alice, since=since)
    assert [(e.pk, e.is_read) for e in changed] == [(old.pk, False)]


def test_another_users_marks_are_not_their_changes(alice, bob):
    shared = FeedFactory()
    SubscriptionFactory(user=alice, feed=shared)
    bob_sub = SubscriptionFactory(user=bob, feed=shared)
    entry = EntryFactory(feed=shared)
    since = timezone.now()
    services.mark_all_read(user=bob, subscription_id=bob_sub.pk)
    services.entries_set_starred(user=bob, entry_ids=[entry.pk], starred=True)
    assert selectors.entry_changes_since(user=alice, since=since) == []


@pytest.mark.skipif(
    os.environ.get("TIDINGS_MODEL_CHILD") == "1", reason="already the SQLite child run"
)
def test_changes_since_a_time_hold_on_sqlite(tmp_path):
    """This module again in a child pytest on SQLite (the embedded default)."""
    if connection.vendor == "sqlite":
        pytest.skip("this run is on SQLite already")
    child = pytest_child(
        __file__,
        env={
            "DATABASE_URL": f"sqlite:///{tmp_path / 'changes.sqlite3'}",
            "TIDINGS_MODEL_CHILD": "1",
            "DJANGO_SETTINGS_MODULE": django_settings.SETTINGS_MODULE,
        },
        deselect="sqlite",
    )
    assert child.returncode == 0, child.stdout[-6000:] + child.stderr[-3000:]
    assert "database=sqlite" in child.stdout
