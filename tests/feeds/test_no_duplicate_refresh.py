"""A feed already queued or being refreshed is never queued again, whoever sends it.

Senders: the scheduler (``refresh_due_feeds`` every minute), a new subscription's first fetch
(``refresh_feed_enqueue``), an OPML import's first fetches (``refresh_feeds_enqueue``), and
"refresh now"/retry (forced: a person asked, so it is sent even then, and is not counted).
Before the claim on send, the embedded default's slow broker let beat queue 867 second
refreshes of feeds an OPML import had queued already.

A hypothesis state machine sends, delivers and finishes refreshes in random order (the broker
is a list: ``apply_async`` of both refresh tasks is captured) and checks after every step that
no feed is in more than one unforced message, or in one while an unforced refresh of it runs.
``test_no_duplicates_on_sqlite`` runs this module again in a child pytest on SQLite.
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
from kombu.exceptions import OperationalError

from feeds import scheduling, tasks
from feeds.models import Feed
from feeds.services import feed_retry
from reader.opml import opml_import_run, opml_import_start
from tests.factories import SubscriptionFactory
from tests.procs import pytest_child

pytestmark = pytest.mark.django_db

FEEDS = 4


class Broker:
    """Captures the two refresh tasks' messages: (feed ids, forced, queue)."""

    def __init__(self, monkeypatch) -> None:
        self.messages: list[tuple[list[int], bool, str]] = []
        self.refused = False

        def one(args, kwargs=None, queue=None, **_):
            self._send([args[0]], bool((kwargs or {}).get("force")), queue)

        def many(args, kwargs=None, queue=None, **_):
            self._send(list(args[0]), False, queue)

        monkeypatch.setattr(tasks.refresh_feed, "apply_async", one)
        monkeypatch.setattr(tasks.refresh_feeds, "apply_async", many)
        # Tests run inside a transaction: send on "commit" at once, as outside one.
        monkeypatch.setattr(transaction, "on_commit", lambda func, *a, **k: func())

    def _send(self, ids: list[int], force: bool, queue: str | None) -> None:
        if self.refused:
            raise OperationalError("broker down")
        self.messages.append((ids, force, queue or ""))

    def unforced(self, feed_id: int) -> int:
        return sum(1 for ids, force, _ in self.messages if not force and feed_id in ids)


def _feed(user, n: int, **fields) -> Feed:
    fields.setdefault("next_fetch_at", timezone.now() - timedelta(minutes=1))
    feed = Feed.objects.create(url=f"https://f{n}.example.org/feed.xml", **fields)
    SubscriptionFactory(user=user, feed=feed)
    return feed


def _finish(feed_id: int) -> None:
    """What a successful refresh writes at the end: next fetch later, lease released."""
    Feed.objects.filter(pk=feed_id).update(
        next_fetch_at=timezone.now() + timedelta(minutes=30), leased_until=None
    )


# --- examples ------------------------------------------------------------------------------


def test_the_scheduler_does_not_queue_a_feed_a_subscription_queued_already(alice, monkeypatch):
    broker = Broker(monkeypatch)
    feed = _feed(alice, 1)
    tasks.refresh_feed_enqueue(feed_id=feed.pk)
    assert tasks.refresh_due_feeds() == 0
    assert broker.messages == [([feed.pk], False, "feeds")]


def test_an_opml_import_sends_its_new_feeds_in_batches_that_the_scheduler_leaves_alone(
    alice, monkeypatch
):
    broker = Broker(monkeypatch)
    outlines = "".join(
        f'<outline type="rss" text="f{n}" xmlUrl="https://f{n}.example.org/a.xml"/>'
        for n in range(45)
    )
    opml = f'<?xml version="1.0"?><opml version="2.0"><body>{outlines}</body></opml>'.encode()
    job = opml_import_start(user=alice, data=opml, enqueue=False)
    opml_import_run(job_id=job.pk)

    sent = [feed_id for ids, _, _ in broker.messages for feed_id in ids]
    assert sorted(sent) == sorted(Feed.objects.values_list("pk", flat=True))
    assert len(sent) == 45 and all(q == "feeds" for _, _, q in broker.messages)
    assert len(broker.messages) < 45 / 2  # batches, not one message per feed
    assert tasks.refresh_due_feeds() == 0  # every new feed is queued already


def test_the_scheduler_sends_due_feeds_as_batches_of_at_most_the_batch_size(alice, monkeypatch):
    broker = Broker(monkeypatch)
    feeds = [_feed(alice, n) for n in range(50)]
    assert tasks.refresh_due_feeds() == 50
    sizes = [len(ids) for ids, _, _ in broker.messages]
    assert sum(sizes) == 50 and max(sizes) <= django_settings.FEED_REFRESH_BATCH
    assert sorted(i for ids, _, _ in broker.messages for i in ids) == sorted(f.pk for f in feeds)
    assert tasks.refresh_due_feeds() == 0


def test_a_few_due_feeds_are_spread_over_several_messages(alice, monkeypatch):
    broker = Broker(monkeypatch)
    for n in range(4):
        _feed(alice, n)
    tasks.refresh_due_feeds()
    assert [len(ids) for ids, _, _ in broker.messages] == [1, 1, 1, 1]


def test_a_feed_being_refreshed_is_not_queued_again_but_a_forced_refresh_is_sent(
    alice, monkeypatch
):
    broker = Broker(monkeypatch)
    feed = _feed(alice, 1)
    assert scheduling.feed_lease_acquire(feed_id=feed.pk, force=False, now=timezone.now())
    Feed.objects.filter(pk=feed.pk).update(next_fetch_at=timezone.now() - timedelta(seconds=1))
    tasks.refresh_feed_enqueue(feed_id=feed.pk)  # due again on paper, but leased
    assert broker.messages == []
    tasks.refresh_feed_enqueue(feed_id=feed.pk, force=True, interactive=True)
    assert broker.messages == [([feed.pk], True, "interactive")]


def test_a_refresh_the_broker_refused_drops_its_claim_so_the_scheduler_sends_it_later(
    alice, monkeypatch
):
    broker = Broker(monkeypatch)
    feed = _feed(alice, 1)
    broker.refused = True
    tasks.refresh_feed_enqueue(feed_id=feed.pk)
    assert tasks.refresh_due_feeds() == 0  # the scheduler's batch is refused too
    assert Feed.objects.get(pk=feed.pk).leased_until is None
    broker.refused = False
    assert tasks.refresh_due_feeds() == 1
    assert broker.messages == [([feed.pk], False, "feeds")]


def test_a_claim_outlasts_a_long_backlog_and_expires_after_the_claim_lease(alice):
    feed = _feed(alice, 1)
    now = timezone.now()
    assert scheduling.feeds_claim(feed_ids=[feed.pk], now=now) == [feed.pk]
    backlog = now + timedelta(minutes=30)  # the task still waits in the queue
    assert scheduling.feeds_claim_due(limit=10, now=backlog) == []
    lost = now + timedelta(seconds=scheduling.claim_lease_seconds() + 1)
    assert scheduling.feeds_claim_due(limit=10, now=lost) == [feed.pk]


def test_retry_of_a_queued_feed_sends_one_forced_refresh_and_the_scheduler_none(alice, monkeypatch):
    broker = Broker(monkeypatch)
    feed = _feed(alice, 1)
    tasks.refresh_due_feeds()
    feed_retry(feed_id=feed.pk)
    tasks.refresh_due_feeds()
    assert broker.messages == [([feed.pk], False, "feeds"), ([feed.pk], True, "interactive")]


# --- the model ----------------------------------------------------------------------------

MODEL_SETTINGS = settings(
    max_examples=int(os.environ.get("TIDINGS_MODEL_EXAMPLES", "25")),
    stateful_step_count=25,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


class RefreshQueueMachine(RuleBasedStateMachine):
    """Four subscribed feeds, a captured broker, and refreshes that start and finish."""

    broker: Broker
    user: object

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.feeds = [_feed(self.user, n).pk for n in range(FEEDS)]
        self.broker.messages.clear()
        self.running: dict[int, bool] = {}  # feed id -> forced

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    feed_index = st.integers(min_value=0, max_value=FEEDS - 1)

    @rule()
    def scheduler_tick(self) -> None:
        tasks.refresh_due_feeds()

    @rule(index=feed_index)
    def subscription_first_fetch(self, index: int) -> None:
        tasks.refresh_feed_enqueue(feed_id=self.feeds[index])

    @rule(indexes=st.sets(feed_index, min_size=1))
    def opml_import_first_fetches(self, indexes: set[int]) -> None:
        tasks.refresh_feeds_enqueue(feed_ids=[self.feeds[i] for i in sorted(indexes)])

    @rule(index=feed_index)
    def refresh_now(self, index: int) -> None:
        tasks.refresh_feed_enqueue(feed_id=self.feeds[index], force=True, interactive=True)

    @rule(index=feed_index)
    def retry(self, index: int) -> None:
        feed_retry(feed_id=self.feeds[index])

    @rule(pick=st.integers(min_value=0))
    def worker_takes_a_message(self, pick: int) -> None:
        if not self.broker.messages:
            return
        ids, force, _ = self.broker.messages.pop(pick % len(self.broker.messages))
        for feed_id in ids:
            if scheduling.feed_lease_acquire(feed_id=feed_id, force=force, now=timezone.now()):
                self.running[feed_id] = force

    @rule(pick=st.integers(min_value=0))
    def a_refresh_finishes(self, pick: int) -> None:
        if self.running:
            feed_id = sorted(self.running)[pick % len(self.running)]
            del self.running[feed_id]
            _finish(feed_id)

    @rule(index=feed_index)
    def time_passes_and_a_feed_is_due(self, index: int) -> None:
        feed_id = self.feeds[index]
        if feed_id not in self.running:
            Feed.objects.filter(pk=feed_id, next_fetch_at__gt=timezone.now()).update(
                next_fetch_at=timezone.now() - timedelta(seconds=1)
            )

    @invariant()
    def no_feed_is_queued_twice_or_queued_while_it_runs(self) -> None:
        for feed_id in getattr(self, "feeds", []):
            queued = self.broker.unforced(feed_id)
            running = feed_id in self.running and not self.running[feed_id]
            assert queued + running <= 1, (feed_id, queued, running, self.broker.messages)


def test_no_refresh_is_queued_twice_in_any_order_of_sends_and_refreshes(alice, monkeypatch):
    RefreshQueueMachine.broker = Broker(monkeypatch)
    RefreshQueueMachine.user = alice
    print(f"database={connection.vendor}")
    run_state_machine_as_test(RefreshQueueMachine, settings=MODEL_SETTINGS)


def test_no_duplicates_on_sqlite(tmp_path):
    """This module again in a child pytest on SQLite (the embedded default)."""
    if connection.vendor == "sqlite":
        pytest.skip("this run is on SQLite already")
    child = pytest_child(
        __file__,
        env={
            "DATABASE_URL": f"sqlite:///{tmp_path / 'refresh.sqlite3'}",
            "DJANGO_SETTINGS_MODULE": django_settings.SETTINGS_MODULE,
        },
        deselect="sqlite",
    )
    assert child.returncode == 0, child.stdout[-6000:] + child.stderr[-3000:]
    assert " passed" in child.stdout and " failed" not in child.stdout
