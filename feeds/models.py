"""What the internet published, shared by every user.

A ``Feed`` per canonical feed URL and its ``Entry`` rows are stored once,
whatever the number of subscribers. This app has no foreign key to users.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Feed(models.Model):
    """One feed URL (RSS 0.9x/1.0/2.0, Atom 0.3/1.0 or JSON Feed 1.x) and its fetch state.

    ``fetch_interval`` and the back-off are in seconds; ``next_fetch_at`` is when
    the scheduler may claim it again; ``leased_until`` marks a claim by a worker.
    """

    url = models.URLField(max_length=2048, unique=True)
    title = models.CharField(max_length=512, blank=True)
    site_url = models.URLField(max_length=2048, blank=True)
    description = models.TextField(blank=True)
    language = models.CharField(max_length=35, blank=True)
    # Conditional GET validators (RFC 9110 section 8.8), sent back verbatim.
    etag = models.CharField(max_length=512, blank=True)
    last_modified = models.CharField(max_length=128, blank=True)
    # Fetch bookkeeping.
    last_fetched_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_status = models.IntegerField(null=True, blank=True, help_text="HTTP status, last fetch")
    last_error = models.TextField(blank=True, help_text="Readable message of the last failure")
    last_error_kind = models.CharField(max_length=32, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    first_error_at = models.DateTimeField(null=True, blank=True)
    fetch_interval = models.PositiveIntegerField(default=3600, help_text="seconds")
    next_fetch_at = models.DateTimeField(default=timezone.now)
    leased_until = models.DateTimeField(null=True, blank=True)
    disabled = models.BooleanField(default=False)
    disabled_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["disabled", "next_fetch_at"], name="feed_due_idx")]

    def __str__(self) -> str:
        return self.title or self.url


class FeedIcon(models.Model):
    """The site icon of a feed, fetched through the SSRF guard and served by Tidings."""

    feed = models.OneToOneField(Feed, on_delete=models.CASCADE, related_name="icon")
    url = models.URLField(max_length=2048, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    data = models.BinaryField(blank=True)
    fetched_at = models.DateTimeField(default=timezone.now)


class Entry(models.Model):
    """One item of a feed (RSS item, Atom entry, JSON Feed item), normalized and sanitized.

    ``identity_hash`` is the SHA-256 hex of the entry's identity (guid, else
    normalized link, else title+content; see feeds.pipeline.identity) and is
    unique per feed. ``content`` and ``summary`` hold sanitized HTML only.
    ``published_at`` is UTC; ``created_at`` is when Tidings first saw it.
    """

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="entries")
    identity_hash = models.CharField(max_length=64)
    guid = models.CharField(max_length=2048, blank=True)
    url = models.URLField(max_length=2048, blank=True)
    normalized_url = models.CharField(max_length=2048, blank=True)
    title = models.TextField(blank=True)
    author = models.CharField(max_length=512, blank=True)
    summary = models.TextField(blank=True)
    content = models.TextField(blank=True)
    raw_hash = models.CharField(max_length=64, blank=True, help_text="hash of raw content")
    published_at = models.DateTimeField()
    updated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    enclosures = models.JSONField(default=list, blank=True)
    categories = models.JSONField(default=list, blank=True)
    thumbnail_url = models.URLField(max_length=2048, blank=True)

    class Meta:
        verbose_name_plural = "entries"
        constraints = [
            models.UniqueConstraint(
                fields=["feed", "identity_hash"], name="entry_feed_identity_uniq"
            )
        ]
        indexes = [
            models.Index(fields=["feed", "-published_at", "-id"], name="entry_feed_published_idx"),
            models.Index(fields=["feed", "created_at"], name="entry_feed_created_idx"),
            models.Index(fields=["-published_at", "-id"], name="entry_published_idx"),
        ]

    def __str__(self) -> str:
        return self.title or self.url or self.guid


class EntryTombstone(models.Model):
    """The identity of an entry pruned by retention, so it does not come back as new."""

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="tombstones")
    identity_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["feed", "identity_hash"], name="tombstone_feed_identity_uniq"
            )
        ]
