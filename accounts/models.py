"""Users and their preferences, sign-up settings, invitations and API credentials.

``User`` is custom from the first migration so it never has to be swapped.
Preferences live on the user row: one read per request, no join.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A Tidings account (Django auth user) with reading preferences."""

    class Theme(models.TextChoices):
        SYSTEM = "system", _("Follow system")
        LIGHT = "light", _("Light")
        DARK = "dark", _("Dark")

    class SortOrder(models.TextChoices):
        NEWEST = "newest", _("Newest first")
        OLDEST = "oldest", _("Oldest first")

    class RemoteImages(models.TextChoices):
        """Whether feed images load when an entry opens (docs/privacy.md)."""

        ON = "on", _("Load images")
        CLICK = "click", _("Load images after a click")
        OFF = "off", _("Never load images")

    email = models.EmailField(_("email address"), blank=True)
    language = models.CharField(
        _("interface language"),
        max_length=10,
        blank=True,
        help_text=_("Empty: follow the browser's Accept-Language."),
    )
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    theme = models.CharField(_("theme"), max_length=10, choices=Theme, default=Theme.SYSTEM)
    entries_per_page = models.PositiveSmallIntegerField(_("entries per page"), default=50)
    sort_order = models.CharField(
        _("sort order"), max_length=10, choices=SortOrder, default=SortOrder.NEWEST
    )
    mark_read_on_open = models.BooleanField(_("mark entries read when opened"), default=True)
    show_unread_only = models.BooleanField(_("show only unread by default"), default=True)
    # Duplicates across feeds, keyword highlights, per-view display.
    merge_duplicates = models.BooleanField(
        _("show an article once when several subscriptions carry it"), default=False
    )
    highlight_words = models.CharField(
        _("words to highlight in titles"),
        max_length=500,
        blank=True,
        help_text=_("Separate words or phrases with commas."),
    )
    view_displays = models.JSONField(default=dict, blank=True, editable=False)
    # Privacy and media: remote images, the podcast player.
    remote_images = models.CharField(
        _("images in entries"), max_length=8, choices=RemoteImages, default=RemoteImages.ON
    )
    mark_read_when_played = models.BooleanField(
        _("mark an entry read when its audio or video has played to the end"), default=True
    )


class SignupMode(models.TextChoices):
    """Who may create an account."""

    OPEN = "open", _("Open: anyone can sign up")
    INVITE = "invite", _("Invite only: a valid invitation link is needed")
    CLOSED = "closed", _("Closed: nobody can sign up")


class SiteSettings(models.Model):
    """The site-wide settings the admin edits in the admin site; exactly one row (pk=1).

    Read it with ``SiteSettings.load()``, which creates the row with defaults on first use.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    signup_mode = models.CharField(
        _("sign-up mode"), max_length=10, choices=SignupMode, default=SignupMode.OPEN
    )

    class Meta:
        verbose_name = _("site settings")
        verbose_name_plural = _("site settings")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="sitesettings_singleton")
        ]

    def __str__(self) -> str:
        return str(_("Site settings"))

    @classmethod
    def load(cls) -> SiteSettings:
        """Return the single row, creating it with defaults when absent."""
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


def _invitation_token() -> str:
    return secrets.token_urlsafe(32)


def _invitation_expiry():
    return timezone.now() + timedelta(days=7)


class Invitation(models.Model):
    """A sign-up link for invite-only mode: works once, until ``expires_at``.

    The token is kept in clear so the admin can copy the link again; it grants only the right
    to create one account. ``email``, when set, pre-fills the sign-up form.
    """

    token = models.CharField(max_length=64, unique=True, default=_invitation_token, editable=False)
    email = models.EmailField(_("email (optional)"), blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires at"), default=_invitation_expiry)
    used_at = models.DateTimeField(null=True, blank=True, editable=False)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.email or self.note or self.token[:8]

    @property
    def url(self) -> str:
        """Absolute link to give the invitee: SITE_URL + /accounts/invite/<token>/."""
        return settings.SITE_URL + reverse("accounts:invite", args=[self.token])

    def is_usable(self, now=None) -> bool:
        """True when not used yet and not expired at ``now`` (default: now)."""
        return self.used_at is None and self.expires_at > (now or timezone.now())


class ApiToken(models.Model):
    """A personal API token. Only the SHA-256 hex of the token is stored (``token_hash``).

    The raw token (``tid_`` + 43 url-safe characters) is shown once at creation; ``prefix``
    (its first 8 characters) helps the user recognise it in the list.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=12, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ClientPassword(models.Model):
    """The password that Google Reader and Fever apps send, apart from the login password.

    ``password`` is a Django password hash (checked for GReader ClientLogin); ``fever_api_key``
    is lower-case hex MD5 of ``"username:password"``, the value Fever clients send, so Fever
    needs no clear password. Changing the login password leaves both untouched.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="client_password",
    )
    password = models.CharField(max_length=128)
    fever_api_key = models.CharField(max_length=32, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"client password of {self.user_id}"


class ClientSession(models.Model):
    """A signed-in session of an app that logs in with the client password and then sends a
    session id (the Tiny Tiny RSS API's ``login`` / ``sid``).

    Only the SHA-256 hex of the session id is stored (``key_hash``). ``password_fingerprint``
    is a keyed hash of the client-password hash the session was opened with, checked on every
    use: replacing or clearing the client password ends every session opened with it.
    ``logout`` deletes the row. ``last_used_at`` moves at most once a minute; a session unused for
    ``accounts.services.CLIENT_SESSION_IDLE`` ends.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="client_sessions"
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    password_fingerprint = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("app session")
        verbose_name_plural = _("app sessions")

    def __str__(self) -> str:
        return f"app session of {self.user_id}"
