"""Users and their preferences.

``User`` is custom from the first migration so it never has to be swapped.
Preferences live on the user row: one read per request, no join.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
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
