"""Scheduling: intervals, back-off, Retry-After, which feeds are due, and exclusive claims."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections, transaction
from django.test import override_settings
from django.utils import timezone

from feeds import scheduling
from feeds.models import Feed, Source
from tests.conftest import requires_postgres
from tests.factories import SubscriptionFactory

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MIN, MAX = 900, 86400


def _feed(url: str, **fields) -> Feed:
    """A feed that was due a minute ago unless ``next_fetch_at`` says otherwise."""
    fields.setdefault("next_fetch_at", timezone.now() - timedelta(minutes=1))
    return Feed.objects.create(url=url, **fields)


def _subscribed_feed(user, url: str, **fields) -> Feed:
    feed = _feed(url, **fields)
    SubscriptionFactory(user=user, feed=feed)
    return feed


# --- pure policy ---------------------------------------------------------------


@override_settings(FEED_MIN_INTERVAL=MIN, FEED_MAX_INTERVAL=MAX)
def test_backoff_at_least_doubles_until_it_reaches_the_cap():
    delays = [
        scheduling.backoff_seconds(error_count=n, interval=MIN, feed_id=7) for n in range(1, 12)
    ]
    for before, after in itertools.pairwise(delays):
        if after < delays[-1]:  # below the cap
            assert after >= 2 * before
    assert delays[0] >= MIN
    assert max(delays) <= MAX
    assert delays[-1] == int(MAX * scheduling.jitter_factor(7))


@override_settings(FEED_MIN_INTERVAL=MIN, FEED_MAX_INTERVAL=MAX)
def test_backoff_never_overflows_after_thousands_of_errors():
    assert scheduling.backoff_seconds(error_count=10_000, interval=MIN) <= MAX


def test_jitter_spreads_feeds_within_ten_percent_and_is_stable_per_feed():
    factors = {scheduling.jitter_factor(feed_id) for feed_id in range(1, 200)}
    assert len(factors) > 50
    assert all(0.9 < f <= 1.0 for f in factors)
    assert scheduling.jitter_factor(42) == scheduling.jitter_factor(42)


@override_settings(FEED_MIN_INTERVAL=MIN, FEED_MAX_INTERVAL=MAX)
def test_jitter_never_schedules_sooner_than_the_minimum_interval():
    assert all(scheduling.jittered(MIN, feed_id=i) == MIN for i in range(50))
    assert 0.9 * 7200 < scheduling.jittered(7200, feed_id=3) <= 7200


def test_retry_after_is_clamped_between_the_interval_and_a_day():
    def delay(seconds, interval=MIN):
        retry_after = None if seconds is None else T0 + timedelta(seconds=seconds)
        return scheduling.retry_after_seconds(retry_after=retry_after, now=T0, interval=interval)

    assert delay(3600) == 3600
    assert delay(60) == MIN  # never sooner than the refresh interval
    assert delay(10 * 86400) == 86400  # never later than a day
    assert delay(-50) == MIN  # a date in the past
    assert delay(None) == MIN


@override_settings(FEED_MIN_INTERVAL=MIN, FEED_MAX_INTERVAL=MAX)
def test_adaptive_interval_follows_the_publishing_rate_within_bounds():
    hourly = [T0 - timedelta(hours=h) for h in range(20)]
    assert scheduling.adaptive_interval(published=hourly, now=T0, current=3600) == 3600
    every_minute = [T0 - timedelta(minutes=m) for m in range(20)]
    assert scheduling.adaptive_interval(published=every_minute, now=T0, current=3600) == MIN
    yearly = [T0 - timedelta(days=365 * y) for y in range(1, 5)]
    assert scheduling.adaptive_interval(published=yearly, now=T0, current=3600) == MAX


@override_settings(FEED_MIN_INTERVAL=MIN, FEED_MAX_INTERVAL=MAX)
def test_adaptive_interval_keeps_the_current_one_without_two_dated_entries():
    assert scheduling.adaptive_interval(published=[], now=T0, current=7200) == 7200
    assert scheduling.adaptive_interval(published=[T0], now=T0, current=7200) == 7200


@override_settings(FEED_MIN_INTERVAL=MIN, FEED_MAX_INTERVAL=MAX)
def test_ttl_and_max_age_lengthen_the_interval_but_stay_within_bounds():
    hourly = [T0 - timedelta(hours=h) for h in range(20)]
    kwargs = {"published": hourly, "now": T0, "current": 3600}
    assert scheduling.adaptive_interval(**kwargs, ttl_seconds=3 * 3600) == 3 * 3600
    assert scheduling.adaptive_interval(**kwargs, max_age=2 * 3600) == 2 * 3600
    assert scheduling.adaptive_interval(**kwargs, max_age=60) == 3600
    assert scheduling.adaptive_interval(**kwargs, ttl_seconds=30 * 86400) == MAX


def test_max_age_is_read_from_cache_control_and_ignored_with_no_cache():
    assert scheduling.max_age_seconds("public, max-age=1800") == 1800
    assert scheduling.max_age_seconds('max-age="600", must-revalidate') == 600
    assert scheduling.max_age_seconds("s-maxage=100") is None
    assert scheduling.max_age_seconds("no-cache, max-age=600") is None
    assert scheduling.max_age_seconds("") is None


# --- which feeds are due ---------------------------------------------------------


@pytest.mark.django_db
def test_only_feeds_with_a_subscriber_or_an_active_directory_source_are_claimed(alice):
    now = timezone.now()
    subscribed = _subscribed_feed(alice, "https://a.example.org/feed")
    directory = _feed("https://b.example.org/feed")
    Source.objects.create(title="B", feed_url=directory.url, feed=directory, active=True)
    inactive = _feed("https://c.example.org/feed")
    Source.objects.create(title="C", feed_url=inactive.url, feed=inactive, active=False)
    _feed("https://orphan.example.org/feed")

    claimed = scheduling.feeds_claim_due(limit=10, now=now)

    assert sorted(claimed) == sorted([subscribed.id, directory.id])


@pytest.mark.django_db
def test_disabled_not_yet_due_and_already_claimed_feeds_are_not_claimed(alice):
    now = timezone.now()
    due = _subscribed_feed(alice, "https://due.example.org/feed")
    _subscribed_feed(alice, "https://off.example.org/feed", disabled=True)
    _subscribed_feed(
        alice, "https://later.example.org/feed", next_fetch_at=now + timedelta(minutes=5)
    )
    _subscribed_feed(
        alice, "https://held.example.org/feed", leased_until=now + timedelta(minutes=5)
    )

    assert scheduling.feeds_claim_due(limit=10, now=now) == [due.id]
    assert scheduling.feeds_claim_due(limit=10, now=now) == []


@pytest.mark.django_db
def test_a_claim_that_is_never_run_expires_and_the_feed_is_due_again(alice):
    now = timezone.now()
    feed = _subscribed_feed(alice, "https://lost.example.org/feed")
    assert scheduling.feeds_claim_due(limit=10, now=now) == [feed.id]
    later = now + timedelta(seconds=scheduling.claim_lease_seconds() + 1)
    assert scheduling.feeds_claim_due(limit=10, now=later) == [feed.id]


@pytest.mark.django_db
def test_the_most_overdue_feeds_are_claimed_first_up_to_the_limit(alice):
    now = timezone.now()
    feeds = [
        _subscribed_feed(alice, f"https://f{i}.example.org/", next_fetch_at=now - timedelta(i))
        for i in range(5)
    ]
    assert scheduling.feeds_claim_due(limit=2, now=now) == [feeds[4].id, feeds[3].id]


# --- the fetch lease --------------------------------------------------------------


@pytest.mark.django_db
def test_the_lease_is_taken_once_and_a_duplicate_task_is_refused(alice):
    now = timezone.now()
    feed = _subscribed_feed(alice, "https://lease.example.org/feed", etag='"x"')

    leased = scheduling.feed_lease_acquire(feed_id=feed.id, force=False, now=now)

    assert leased is not None and leased.etag == '"x"' and leased.url == feed.url
    assert leased.disabled is False
    assert scheduling.feed_lease_acquire(feed_id=feed.id, force=False, now=now) is None
    # Even a forced refresh waits while the first one is in flight.
    assert scheduling.feed_lease_acquire(feed_id=feed.id, force=True, now=now) is None
    feed.refresh_from_db()
    assert feed.leased_until > now and feed.next_fetch_at > now


@pytest.mark.django_db
def test_a_crashed_refresh_lease_expires_and_the_feed_is_due_again(alice):
    now = timezone.now()
    feed = _subscribed_feed(alice, "https://crash.example.org/feed")
    assert scheduling.feed_lease_acquire(feed_id=feed.id, force=False, now=now)
    later = now + timedelta(seconds=scheduling.FETCH_LEASE_SECONDS + 1)
    assert scheduling.feeds_claim_due(limit=10, now=later) == [feed.id]


@pytest.mark.django_db
def test_force_takes_a_feed_that_is_not_due_but_never_a_disabled_one(alice):
    now = timezone.now()
    later = _subscribed_feed(alice, "https://l.example.org/", next_fetch_at=now + timedelta(1))
    off = _subscribed_feed(alice, "https://off.example.org/", disabled=True)
    assert scheduling.feed_lease_acquire(feed_id=later.id, force=False, now=now) is None
    assert scheduling.feed_lease_acquire(feed_id=later.id, force=True, now=now) is not None
    assert scheduling.feed_lease_acquire(feed_id=off.id, force=True, now=now) is None
    assert scheduling.feed_lease_acquire(feed_id=999_999, force=True, now=now) is None


@pytest.mark.django_db
def test_force_takes_a_feed_that_the_scheduler_claimed_but_nobody_started(alice):
    now = timezone.now()
    feed = _subscribed_feed(alice, "https://claimed.example.org/feed")
    assert scheduling.feeds_claim_due(limit=1, now=now) == [feed.id]
    assert scheduling.feed_lease_acquire(feed_id=feed.id, force=True, now=now) is not None
    # The queued task then finds it leased and not due: a no-op.
    assert scheduling.feed_lease_acquire(feed_id=feed.id, force=False, now=now) is None


# --- per-host Retry-After -------------------------------------------------------------


@pytest.mark.django_db
def test_a_host_block_pushes_every_feed_of_that_host_and_no_other(alice):
    now = timezone.now()
    until = now + timedelta(hours=1)
    same = _subscribed_feed(alice, "https://busy-h3.example.org/a.xml")
    same_port = _subscribed_feed(alice, "http://busy-h3.example.org:8080/b.xml")
    later_still = until + timedelta(hours=1)
    later = _subscribed_feed(alice, "https://busy-h3.example.org/c.xml", next_fetch_at=later_still)
    other = _subscribed_feed(alice, "https://calm-h3.example.org/a.xml")

    moved = scheduling.host_block("https://busy-h3.example.org/a.xml", until=until, now=now)

    assert moved == 2
    for feed in (same, same_port):
        feed.refresh_from_db()
        assert feed.next_fetch_at == until
    later.refresh_from_db()
    assert later.next_fetch_at == later_still  # never pulled earlier
    other.refresh_from_db()
    assert other.next_fetch_at <= now
    assert scheduling.host_blocked_until("https://busy-h3.example.org/zzz", now=now) == until
    assert scheduling.host_blocked_until("https://calm-h3.example.org/", now=now) is None
    assert scheduling.host_blocked_until("https://busy-h3.example.org/", now=until) is None


# --- two claimers at once ----------------------------------------------------------------


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_claimer_skips_rows_another_claimer_has_locked_instead_of_waiting(alice):
    now = timezone.now()
    feeds = [_subscribed_feed(alice, f"https://lock{i}.example.org/") for i in range(6)]
    locked = {f.id for f in feeds[:3]}
    holding, release = threading.Event(), threading.Event()

    def hold_locks():
        try:
            with transaction.atomic():
                list(Feed.objects.select_for_update().filter(id__in=locked))
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_locks)
    holder.start()
    try:
        assert holding.wait(10)
        with connection.cursor() as cursor:  # fail instead of hanging if SKIP LOCKED were missing
            cursor.execute("SET lock_timeout = '3s'")
        claimed = scheduling.feeds_claim_due(limit=10, now=now)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
    finally:
        release.set()
        holder.join()
    assert set(claimed) == {f.id for f in feeds[3:]}


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_claimers_never_hand_out_the_same_feed_twice(alice):
    now = timezone.now()
    feeds = [_subscribed_feed(alice, f"https://many{i}.example.org/") for i in range(60)]
    results: list[list[int]] = []
    start = threading.Barrier(4)

    def claim_until_empty():
        mine: list[int] = []
        try:
            start.wait(10)
            while batch := scheduling.feeds_claim_due(limit=3, now=now):
                mine.extend(batch)
        finally:
            results.append(mine)
            connections.close_all()

    threads = [threading.Thread(target=claim_until_empty) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    claimed = [feed_id for mine in results for feed_id in mine]
    assert sorted(claimed) == sorted(f.id for f in feeds)
    assert len(claimed) == len(set(claimed))


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_of_one_feed_lease_it_exactly_once(alice):
    now = timezone.now()
    feed = _subscribed_feed(alice, "https://race.example.org/feed")
    wins: list[bool] = []
    start = threading.Barrier(6)

    def try_lease():
        try:
            start.wait(10)
            leased = scheduling.feed_lease_acquire(feed_id=feed.id, force=False, now=now)
            wins.append(leased is not None)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=try_lease) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(wins) == [False] * 5 + [True]
