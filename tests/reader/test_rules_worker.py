"""Rules on a real Celery worker: feed_refresh stores new entries, the entries_stored signal
enqueues reader.tasks.apply_rules through Redis, a worker process applies the subscriber's rule."""

from __future__ import annotations

import pytest

from reader import rules
from reader.models import EntryState, HiddenEntry
from tests.conftest import requires_redis
from tests.procs import start_worker, stop, wait_for
from tests.reader.syndication import Item, entry, refresh, serve, subscribe


@requires_redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_applies_rules_to_entries_a_refresh_stored(project_env, feed_server, alice):
    items = [
        Item("Sponsored: buy now", "https://w.example.org/1", "w1"),
        Item("Worth reading", "https://w.example.org/2", "w2"),
    ]
    sub = subscribe(alice, serve(feed_server, "/w.xml", "W", items))
    rules.rule_create(user=alice, pattern="sponsored", action="hide")
    worker = start_worker(project_env)
    try:
        refresh(sub)  # not in a transaction: the task is sent at once
        hidden = entry(sub, "w1")
        assert wait_for(lambda: HiddenEntry.objects.filter(user=alice, entry=hidden).exists())
        assert EntryState.objects.get(user=alice, entry=hidden).read is True
        assert not EntryState.objects.filter(user=alice, entry=entry(sub, "w2")).exists()
    finally:
        stop(worker)
