"""What the internet published, shared by every user.

A ``Feed`` per canonical feed URL and its ``Entry`` rows are stored once,
whatever the number of subscribers. This app has no foreign key to users.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property

from feeds.fetch_options import validate_extra_headers
from feeds.titles import display_title

# Entry identity policies an admin can choose per feed (feeds.pipeline.identity).
IDENTITY_POLICIES = [
    ("auto", "Automatic: guid, else link, else content (recommended)"),
    ("guid", "Guid only: never merge items that share a link or title"),
    ("link", "Link: the normalized link identifies the item (guids change)"),
    ("title_link", "Title and link: items share links, guids change"),
]


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
    # --- fetch options, identity policy, automatic disabling, WebSub ---
    # Set by the admin (feeds are shared); read by feeds.fetch_options.fetch_kwargs.
    user_agent = models.CharField(
        "User-Agent override",
        max_length=512,
        blank=True,
        help_text="Sent instead of Tidings' own User-Agent (servers that refuse unknown clients).",
    )
    extra_headers = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_extra_headers],
        help_text='Extra request headers as a JSON object, e.g. {"Cookie": "session=..."}.',
    )
    ignore_cache_headers = models.BooleanField(
        default=False,
        help_text="Send no If-None-Match/If-Modified-Since and ignore Cache-Control max-age.",
    )
    identity_policy = models.CharField(
        max_length=16,
        choices=IDENTITY_POLICIES,
        default="auto",
        help_text="How entries of this feed are told apart (feeds.pipeline.identity).",
    )
    # True when Tidings itself disabled the feed (410 Gone, 30 days of failures): any
    # subscriber may then retry it; a feed an administrator disabled stays disabled.
    auto_disabled = models.BooleanField(default=False, editable=False)
    # WebSub: the hub the feed advertised, and until when a verified lease pushes it to us.
    websub_hub = models.URLField(max_length=2048, blank=True, editable=False)
    push_until = models.DateTimeField(null=True, blank=True, editable=False)

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
    # Tracking pixels and tracking link parameters the sanitizer removed (feeds.pipeline.sanitize).
    trackers_removed = models.PositiveSmallIntegerField(default=0)
    # The article extracted from ``url`` (feeds.fulltext), sanitized HTML,
    # stored once and shared by every reader; the error of the last failed extraction.
    full_content = models.TextField(blank=True)
    full_content_fetched_at = models.DateTimeField(null=True, blank=True)
    full_content_error = models.CharField(max_length=512, blank=True)

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
            # The store's one lookup also matches stored links (identity policy: a
            # new guid with a known link is an update), so the link is indexed too.
            models.Index(fields=["feed", "normalized_url"], name="entry_feed_normurl_idx"),
        ]

    def __str__(self) -> str:
        return self.title or self.url or self.guid

    @cached_property
    def display_title(self) -> str:
        """The title every face shows: the stored title, else the first words of the
        content (else the summary), at most 80 characters; "" when there is no text
        (``feeds.titles.display_title``)."""
        return display_title(title=self.title, html=self.content or self.summary)


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


# --- Directory of recommended sources -------------------------------


class SourceCategory(models.Model):
    """A section of the directory of recommended sources (e.g. "Security"), in two languages.

    ``slug`` is the stable key used by the directory files (``categories.tsv``).
    ``edited_fields`` lists the fields the admin changed, which ``load_directory``
    never overwrites.
    """

    slug = models.SlugField(max_length=64, unique=True)
    name_en = models.CharField("name (English)", max_length=128)
    name_zh_hans = models.CharField("name (Simplified Chinese)", max_length=128, blank=True)
    position = models.IntegerField(default=0)
    edited_fields = models.JSONField(default=list, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "directory category"
        verbose_name_plural = "directory categories"
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.name_en or self.slug


class Source(models.Model):
    """A recommended feed in the directory, curated by the admin.

    ``seed_url`` is the feed URL as written in the bundled directory file (empty
    for sources the admin created): ``load_directory`` matches rows by it, so the
    admin may correct ``feed_url`` without the next load adding the old URL back.
    ``edited_fields`` lists the fields the admin changed; loads never overwrite
    them. ``feed`` is the shared ``Feed`` once the source has been linked
    (validated or subscribed to); the source's icon is that feed's icon.
    """

    title = models.CharField(max_length=512)
    feed_url = models.URLField("feed URL", max_length=2048)
    site_url = models.URLField("site URL", max_length=2048, blank=True)
    description = models.TextField(blank=True)
    language = models.CharField(max_length=35, blank=True, help_text="en, zh-hans, ...")
    category = models.ForeignKey(
        SourceCategory, null=True, blank=True, on_delete=models.SET_NULL, related_name="sources"
    )
    position = models.IntegerField(default=0)
    featured = models.BooleanField(default=False)
    active = models.BooleanField(default=True, help_text="Only active sources are shown to users")
    feed = models.ForeignKey(
        Feed, null=True, blank=True, on_delete=models.SET_NULL, related_name="sources"
    )
    seed_url = models.CharField(max_length=2048, blank=True, editable=False)
    edited_fields = models.JSONField(default=list, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "directory source"
        ordering = ["category__position", "position", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["seed_url"], name="source_seed_url_uniq", condition=~models.Q(seed_url="")
            )
        ]
        indexes = [models.Index(fields=["active", "position"], name="source_active_idx")]

    def __str__(self) -> str:
        return self.title


class DirectoryRemoval(models.Model):
    """A bundled category or source the admin deleted, so ``load_directory`` does not restore it.

    ``kind`` is "category" (``key`` = slug) or "source" (``key`` = seed URL).
    """

    kind = models.CharField(max_length=16)
    key = models.CharField(max_length=2048)
    removed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="directoryremoval_uniq")
        ]


# --- Fetch outcomes, for the admin summary and /metrics -------------


class FetchLog(models.Model):
    """One fetch of one feed: outcome, HTTP status, duration (s), bytes, entries new/updated.

    Written by ``feeds.fetch_log.record_fetch``; rows older than a day are folded
    into ``FetchRollup`` so that the Prometheus counters stay monotonic.
    ``outcome`` is "ok", "not_modified" or an error kind (the fetch error kinds
    of feeds.pipeline.fetch, "parse", "not_a_feed", "error").
    """

    feed_id = models.BigIntegerField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=32)
    status = models.IntegerField(null=True, blank=True)
    duration = models.FloatField(default=0.0, help_text="seconds")
    bytes = models.BigIntegerField(default=0)
    new = models.IntegerField(default=0)
    updated = models.IntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["at"], name="fetchlog_at_idx")]

    def __str__(self) -> str:
        return f"feed {self.feed_id} {self.outcome} at {self.at:%Y-%m-%d %H:%M:%S}"


class FetchRollup(models.Model):
    """Totals of pruned ``FetchLog`` rows for one outcome (counts, sums, duration buckets).

    ``buckets`` maps a histogram upper bound in seconds (as a string, "+Inf"
    last) to the number of fetches that took at most that long (not cumulative).
    """

    outcome = models.CharField(max_length=32, unique=True)
    count = models.BigIntegerField(default=0)
    duration_sum = models.FloatField(default=0.0)
    bytes_sum = models.BigIntegerField(default=0)
    new_sum = models.BigIntegerField(default=0)
    updated_sum = models.BigIntegerField(default=0)
    buckets = models.JSONField(default=dict)


# --- WebSub subscriptions ----------------------------------------


class WebSubSubscription(models.Model):
    """Tidings' subscription to a WebSub hub for one feed (W3C WebSub, sections 5 and 7).

    One row per feed (the hub the feed advertises now). ``topic`` is the feed's
    ``rel="self"`` URL; ``secret`` the ``hub.secret`` (HMAC key of X-Hub-Signature, under
    200 bytes); ``token`` the unguessable part of the callback URL
    ``SITE_URL/websub/<feed id>/<token>/``, new for every (re)subscription. ``state``:
    "pending" (request sent, awaiting verification), "active" (verified; the lease runs
    until ``lease_expires_at``), "denied" (the hub refused), "failed" (the request failed:
    ``last_error``), "unsubscribed". ``lease_seconds`` is what the hub granted.
    """

    STATES = [
        ("pending", "pending"),
        ("active", "active"),
        ("denied", "denied"),
        ("failed", "failed"),
        ("unsubscribed", "unsubscribed"),
    ]

    feed = models.OneToOneField(Feed, on_delete=models.CASCADE, related_name="websub")
    hub = models.URLField(max_length=2048)
    topic = models.URLField(max_length=2048)
    secret = models.CharField(max_length=128)
    token = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=STATES, default="pending")
    lease_seconds = models.PositiveIntegerField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    requested_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    last_push_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "WebSub subscription"
        indexes = [
            models.Index(fields=["state", "lease_expires_at"], name="websub_state_lease_idx")
        ]

    def __str__(self) -> str:
        return f"{self.topic} via {self.hub} ({self.state})"
