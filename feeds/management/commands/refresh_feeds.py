"""``manage.py refresh_feeds``: refresh feeds in this process, with a progress bar.

- no option: every due feed (subscribed or in the directory), claimed like the
  scheduler does, so a running beat/worker never fetches the same feed;
- ``--url URL``: that one feed, now;
- ``--all``: every subscribed or directory feed that is due; with ``--now``,
  every one of them regardless of its schedule (a host's Retry-After and
  disabled feeds are still respected);
- ``--enqueue``: send the feeds to the Celery workers instead of refreshing here.

Prints a summary: how many ok, not modified, failed, skipped, and new entries.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from feeds.management.commands._feedcli import ProgressBar, feed_lookup, printable
from feeds.models import Feed
from feeds.scheduling import feeds_claim_due, wanted_feeds_q
from feeds.services import RefreshResult, feed_refresh
from feeds.tasks import refresh_feed_enqueue


class Command(BaseCommand):
    """Refresh due feeds (or one, or all) now and print a summary."""

    help = "Refresh due feeds now (--url URL for one; --all --now for every feed regardless)."

    def add_arguments(self, parser):
        parser.add_argument("--url", help="refresh only this feed (URL or id), now")
        parser.add_argument("--all", action="store_true", help="every subscribed/directory feed")
        parser.add_argument("--now", action="store_true", help="ignore the schedule")
        parser.add_argument("--jobs", type=int, default=4, help="feeds fetched in parallel")
        parser.add_argument("--enqueue", action="store_true", help="send to Celery workers")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args, **options):
        if options["url"]:
            ids, force = [feed_lookup(options["url"]).pk], True
        elif options["all"]:
            ids = list(
                Feed.objects.filter(wanted_feeds_q(), disabled=False)
                .order_by("next_fetch_at")
                .values_list("id", flat=True)
            )
            force = options["now"]
        else:
            ids, force = _claim_all(), options["now"]
        if options["enqueue"]:
            for feed_id in ids:
                refresh_feed_enqueue(feed_id=feed_id, force=force)
            self.stdout.write(f"enqueued {len(ids)} feeds")
            return
        results = self._refresh(ids, force=force, jobs=options["jobs"], quiet=options["quiet"])
        self.stdout.write(_summary(results))
        if options["url"] and results and not results[0].ok:
            raise CommandError(printable(results[0].error or results[0].outcome))

    def _refresh(self, ids: list[int], *, force: bool, jobs: int, quiet: bool):
        bar = None if quiet else ProgressBar(len(ids), stream=getattr(self.stderr, "_out", None))
        results: list[RefreshResult] = []

        def one(feed_id: int) -> RefreshResult:
            try:
                return feed_refresh(feed_id=feed_id, force=force)
            finally:
                if threading.current_thread() is not threading.main_thread():
                    connection.close()  # a pool thread's connection must not outlive it

        if jobs <= 1 or len(ids) <= 1:
            for result in map(one, ids):
                results.append(result)
                if bar:
                    bar.advance(result.url)
            return results
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for result in pool.map(one, ids):
                results.append(result)
                if bar:
                    bar.advance(result.url)
        return results


def _claim_all() -> list[int]:
    ids: list[int] = []
    while batch := feeds_claim_due(limit=500):
        ids.extend(batch)
    return ids


def _summary(results: list[RefreshResult]) -> str:
    outcomes = Counter(r.outcome for r in results)
    failed = sum(n for o, n in outcomes.items() if o not in ("ok", "not_modified", "skipped"))
    new = sum(r.new for r in results)
    updated = sum(r.updated for r in results)
    text = (
        f"{len(results)} feeds: {outcomes['ok']} ok, {outcomes['not_modified']} not modified, "
        f"{failed} failed, {outcomes['skipped']} skipped; {new} new entries, {updated} updated"
    )
    errors = [
        f"  feed {r.feed_id} {printable(r.url)}: {printable(r.error)}" for r in results if r.error
    ]
    return "\n".join([text, *errors])
