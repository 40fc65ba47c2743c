"""``manage.py add_feed URL``: create (or find) the feed of URL and fetch it at once.

Prints the feed's id, title, URL and entry count, or the error (exit status 1).
Adds no subscription: the feed is fetched by the scheduler only once a user
subscribes or a directory source points at it.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from feeds.management.commands._feedcli import printable
from feeds.models import Feed
from feeds.pipeline.fetch import FetchError
from feeds.services import feed_get_or_create, feed_refresh


class Command(BaseCommand):
    """Create or find a feed by URL, refresh it now, print what it holds."""

    help = "Create or find the feed of URL, fetch it at once, and print its id, title and entries."

    def add_arguments(self, parser):
        parser.add_argument("url", help="the feed's URL (http or https)")

    def handle(self, *args, url: str, **options):
        try:
            feed, created = feed_get_or_create(url=url)
        except FetchError as exc:
            raise CommandError(exc.message) from exc
        result = feed_refresh(feed_id=feed.pk, force=True)
        feed = Feed.objects.get(pk=result.feed_id)
        self.stdout.write(f"id: {feed.pk}{' (new)' if created else ''}")
        self.stdout.write(f"url: {printable(feed.url)}")
        self.stdout.write(f"title: {printable(feed.title)}")
        self.stdout.write(f"entries: {feed.entries.count()}")
        if result.outcome == "skipped":
            state = feed.disabled_reason if feed.disabled else "already being refreshed"
            self.stdout.write(f"not fetched: {printable(state)}")
        elif not result.ok:
            raise CommandError(printable(result.error or result.outcome))
        else:
            self.stdout.write(
                f"fetched: {result.status}, {result.new} new, {result.updated} updated"
            )
