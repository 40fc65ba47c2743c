"""Per-user reading state: categories, subscriptions and entry state exceptions.

Read state follows DESIGN.md: an entry of a subscription is read when
``entry.id <= subscription.read_max_id`` (bulk mark-all-read watermark, in
first-seen order) or ``entry.published_at < subscription.unread_since`` (a new
subscriber's old entries), unless an ``EntryState`` row says otherwise.
``EntryState`` rows are sparse exceptions and stars.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from feeds.models import Entry, Feed


class Category(models.Model):
    """A user's folder of subscriptions (one level, as in Miniflux and FreshRSS)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="categories"
    )
    title = models.CharField(max_length=255)
    position = models.IntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "categories"
        ordering = ["position", "title"]
        constraints = [
            models.UniqueConstraint(fields=["user", "title"], name="category_user_title_uniq")
        ]

    def __str__(self) -> str:
        return self.title


class Subscription(models.Model):
    """A user following a shared feed, with their own title, category and read watermark."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscriptions"
    )
    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="subscriptions")
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="subscriptions"
    )
    title = models.CharField(max_length=512, blank=True, help_text="Per-user title override")
    position = models.IntegerField(default=0)
    read_max_id = models.BigIntegerField(default=0)
    unread_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Extract the full article of new entries of this feed (feeds.fulltext).
    fetch_full_text = models.BooleanField(default=False)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "feed"], name="subscription_user_feed_uniq")
        ]
        indexes = [
            models.Index(fields=["feed"], name="subscription_feed_idx"),
            models.Index(fields=["user", "category"], name="subscription_user_cat_idx"),
        ]

    def __str__(self) -> str:
        return self.title or self.feed.title or self.feed.url


class EntryState(models.Model):
    """A user's exception for one entry: read above the watermark, kept unread, or starred.

    ``read`` is None (follow the watermark), True (read) or False (kept unread).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="entry_states"
    )
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="states")
    read = models.BooleanField(null=True, blank=True)
    starred = models.BooleanField(default=False)
    starred_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "entry"], name="entrystate_user_entry_uniq")
        ]
        indexes = [
            models.Index(
                fields=["user", "-starred_at"],
                name="entrystate_starred_idx",
                condition=models.Q(starred=True),
            ),
            # Read exceptions of a user (sparse): the unread list and counts join these.
            models.Index(
                fields=["user", "entry"],
                name="entrystate_read_exc_idx",
                condition=models.Q(read__isnull=False),
            ),
        ]


class ReadStateChange(models.Model):
    """Entries of a subscription whose read or starred state changed with no EntryState row
    left to say when: ids ``first_id..last_id`` (inclusive) of the subscription's feed, at
    ``changed_at``.

    ``EntryState.updated_at`` dates the marks that leave a row. This records the rest: a
    watermark that moved (mark-all-read: ``old watermark + 1 .. new watermark``; making a
    new subscription's older entries unread: from the lowered watermark up), and an
    exception row removed (``first_id == last_id``). Written only by ``reader.read_state``;
    read by ``reader.selectors.entry_changes_since`` (Nextcloud News ``items/updated``). A
    row may cover entries whose state did not change (a superset is harmless: the API
    says changed items *may* include unchanged ones). Rows older than
    ``read_state.STATE_CHANGE_RETENTION`` are coalesced into one row per subscription.
    """

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="state_changes"
    )
    first_id = models.BigIntegerField()
    last_id = models.BigIntegerField()
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["subscription", "changed_at"], name="readstatechange_sub_idx")
        ]


class ImportJob(models.Model):
    """One OPML import of a user, run by the Celery task ``reader.tasks.import_opml``.

    ``total`` is the number of feed outlines found, ``processed`` how many were
    handled so far (progress n of N). ``failures`` is a list of
    ``{"url": str, "reason": str}``; ``categories`` the folder titles seen;
    ``warning`` tells where a malformed file broke (its line) when it was recovered.
    ``report`` accounts for every outline of the file, in order: dicts with ``status``
    (``added``, ``subscribed``: already followed, ``skipped``, ``failed``, ``folder``),
    ``kind`` (``feed``, ``folder``, ``empty_folder``, ``other``) and, when known,
    ``line``, ``title``, ``url``, ``written_url`` (the ``xmlUrl`` as written when it
    was a ``feed:`` URL), ``folder``, ``reason_code``, ``reason`` and, for added feeds,
    ``feed_id`` (``reader.opml.import_job_summary`` reads their first fetch).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        RUNNING = "running", "running"
        DONE = "done", "done"
        FAILED = "failed", "failed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs"
    )
    status = models.CharField(max_length=16, choices=Status, default=Status.PENDING)
    filename = models.CharField(max_length=255, blank=True)
    data = models.BinaryField(help_text="The uploaded OPML bytes (at most 5 MiB)")
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    failures = models.JSONField(default=list, blank=True)
    categories = models.JSONField(default=list, blank=True)
    report = models.JSONField(default=list, blank=True)
    warning = models.TextField(blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="importjob_user_idx")]

    def __str__(self) -> str:
        return f"OPML import {self.pk} ({self.status}, {self.processed}/{self.total})"


class Heartbeat(models.Model):
    """Last time a background process (worker, beat) was seen alive; read by /healthz.

    ``identity`` names the process that wrote the row ("hostname:pid", "" when unknown),
    ``started_at`` when it started, ``stopped_at`` when it stopped on a shutdown signal
    (None while it runs). The row ``run`` records when ``make run`` (run_all) started.
    """

    #: Name of the row that ``run_all`` writes when ``make run`` starts its processes.
    RUN = "run"

    name = models.CharField(max_length=64, primary_key=True)
    seen_at = models.DateTimeField()
    identity = models.CharField(max_length=128, blank=True, default="")
    started_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)


# --- Rules, hidden entries and saved views -------------


class Rule(models.Model):
    """A user's filter: when ``field`` of a new entry matches ``pattern``, do ``action``.

    Scope: global (``subscription`` and ``category`` both null), one subscription,
    or every subscription of one category. ``match`` is "any_words" (any of the
    whitespace-separated words), "all_words", "phrase" (the text as written) or
    "regex" (``regex`` package syntax, evaluated with a time limit). Matching is
    case-insensitive. ``action`` is "read", "star" or "hide" (hidden entries are
    read and left out of every list and count). See ``reader.rules``.
    """

    class Field(models.TextChoices):
        ANY = "any", "any"
        TITLE = "title", "title"
        CONTENT = "content", "content"
        AUTHOR = "author", "author"
        LINK = "link", "link"
        CATEGORY = "category", "category"

    class Match(models.TextChoices):
        ANY_WORDS = "any_words", "any_words"
        ALL_WORDS = "all_words", "all_words"
        PHRASE = "phrase", "phrase"
        REGEX = "regex", "regex"

    class Action(models.TextChoices):
        READ = "read", "read"
        STAR = "star", "star"
        HIDE = "hide", "hide"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rules"
    )
    name = models.CharField(max_length=255, blank=True)
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.CASCADE, related_name="rules"
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, related_name="rules"
    )
    field = models.CharField(max_length=16, choices=Field, default=Field.TITLE)
    match = models.CharField(max_length=16, choices=Match, default=Match.ANY_WORDS)
    pattern = models.CharField(max_length=500)
    action = models.CharField(max_length=8, choices=Action, default=Action.READ)
    enabled = models.BooleanField(default=True)
    position = models.IntegerField(default=0)
    hits = models.PositiveIntegerField(default=0, help_text="Entries acted on so far")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["user", "enabled"], name="rule_user_enabled_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(subscription__isnull=True) | models.Q(category__isnull=True),
                name="rule_one_scope",
            )
        ]

    def __str__(self) -> str:
        return self.name or f"{self.field} {self.match} {self.pattern!r} -> {self.action}"


class HiddenEntry(models.Model):
    """An entry a rule hid from ``user``: left out of lists and unread counts (also marked read).

    ``rule`` is the rule that hid it (null once that rule is deleted).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hidden_entries"
    )
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="hidden_by")
    rule = models.ForeignKey(Rule, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "hidden entries"
        constraints = [
            models.UniqueConstraint(fields=["user", "entry"], name="hiddenentry_user_entry_uniq")
        ]


class SavedView(models.Model):
    """A named search (query plus filters) shown in the sidebar with its unread count.

    ``q`` uses the search syntax of ``reader.search``; ``subscription`` /
    ``category`` narrow it; ``since_days`` keeps entries published in the last N
    days (null: no limit). ``status`` is what opening it shows first (unread or
    all). ``display`` is "list" or "cards". ``feed_token`` (empty: no feed) is the
    secret of its private RSS/Atom URL.
    """

    class Display(models.TextChoices):
        LIST = "list", "list"
        CARDS = "cards", "cards"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(max_length=255)
    q = models.CharField(max_length=500, blank=True)
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.CASCADE, related_name="saved_views"
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, related_name="saved_views"
    )
    since_days = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(max_length=8, default="unread")
    display = models.CharField(max_length=8, choices=Display, default=Display.LIST)
    feed_token = models.CharField(max_length=64, blank=True, db_index=True)
    position = models.IntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="savedview_user_name_uniq")
        ]

    def __str__(self) -> str:
        return self.name


class PlaybackPosition(models.Model):
    """Where ``user`` stopped in the audio or video of ``entry`` (its first playable enclosure).

    ``position`` and ``duration`` are seconds (``duration`` null until the player knew it);
    written by ``reader.services.playback_save`` every few seconds while playing and on pause.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="playback_positions"
    )
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="playback_positions")
    position = models.FloatField(default=0.0, help_text="seconds")
    duration = models.FloatField(null=True, blank=True, help_text="seconds")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "entry"], name="playback_user_entry_uniq")
        ]
