"""Forms of the account pages, all built on Django's auth forms (no password code of our own)."""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.core.exceptions import ValidationError
from django.utils.translation import get_language_info, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.ratelimit import CredentialLock, RateLimited, account_name, client_ip


def rate_limit_message(seconds: int) -> str:
    """'Too many attempts... try again in N minutes.' for a wait of ``seconds``."""
    minutes = max(1, -(-seconds // 60))
    return ngettext(
        "Too many attempts. For your security, please try again in %(minutes)d minute.",
        "Too many attempts. For your security, please try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


class SignupForm(UserCreationForm):
    """Username, email (required) and password twice; Django validates the password."""

    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("Used only to reset your password."),
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError(_("An account with this email address already exists."))
        return email


class LoginRateLimitMixin:
    """For Django's authentication forms: the shared credential lock (accounts.ratelimit,
    door ``"login"``) refuses further tries from an IP address or for an account after too
    many failures at any door (settings.ACCOUNTS_LOGIN_*), with a clear message.

    ``rate_limited`` is True after clean() refused for that reason (the view answers 429).
    """

    rate_limited = False

    def clean(self):
        ip = client_ip(self.request) if self.request else "unknown"
        account = account_name(self.cleaned_data.get("username") or "")
        lock = CredentialLock("login", ip)
        try:
            lock.check(account)
            try:
                cleaned = super().clean()
            except ValidationError:
                lock.failed(account)
                raise
            lock.admit(account)
        except RateLimited as limited:
            self.rate_limited = True
            raise ValidationError(
                rate_limit_message(limited.retry_after), code="rate_limited"
            ) from None
        return cleaned


class RateLimitedAuthenticationForm(LoginRateLimitMixin, AuthenticationForm):
    """Django's sign-in form with the sign-in rate limits (/accounts/login/)."""


class RateLimitedAdminAuthenticationForm(LoginRateLimitMixin, AdminAuthenticationForm):
    """The admin site's sign-in form with the same rate limits (/admin/login/)."""


@cache
def timezone_choices() -> list[tuple[str, Any]]:
    """All IANA zone names as grouped form choices: UTC first, then one group per region.

    ``[("UTC", "UTC"), ("Africa", [("Africa/Abidjan", "Africa/Abidjan"), ...]), ...]``:
    a region is the part of the name before the first "/" (rendered as ``<optgroup>``);
    names without one ("EST", "GMT", ...) come last in the group "Other time zones".
    """
    regions: dict[str, list[tuple[str, str]]] = {}
    for name in sorted(zoneinfo.available_timezones()):
        if name == "UTC":
            continue
        region = name.split("/", 1)[0] if "/" in name else ""
        regions.setdefault(region, []).append((name, name))
    other = regions.pop("", [])
    grouped: list[tuple[str, Any]] = [("UTC", "UTC")]
    grouped += [(region, zones) for region, zones in sorted(regions.items())]
    if other:
        grouped.append((_("Other time zones"), other))
    return grouped


def language_choices() -> list[tuple[str, str]]:
    """settings.LANGUAGES, each named in its own language ("English", "简体中文")."""
    return [(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES]


class PreferencesForm(forms.ModelForm):
    """The reading and display preferences on the user row."""

    language = forms.ChoiceField(
        label=_("Interface language"),
        required=False,
        choices=lambda: [("", _("Browser's language")), *language_choices()],
    )
    timezone = forms.ChoiceField(label=_("Time zone"), choices=timezone_choices)
    entries_per_page = forms.IntegerField(label=_("Entries per page"), min_value=10, max_value=200)

    class Meta:
        model = User
        fields = (
            "language",
            "timezone",
            "theme",
            "entries_per_page",
            "sort_order",
            "mark_read_on_open",
            "show_unread_only",
            "merge_duplicates",  # duplicates across feeds
            "highlight_words",  # keyword highlights in titles
            "remote_images",  # privacy: images through the media proxy, on a click, or never
            "mark_read_when_played",  # the audio/video player
        )
        widgets = {
            "theme": forms.RadioSelect,
            "sort_order": forms.RadioSelect,
            "remote_images": forms.RadioSelect,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance.timezone or self.instance.timezone == "UTC":
            # The user kept the default: the page's script preselects the browser's zone.
            self.fields["timezone"].widget.attrs["data-browser-zone"] = "1"


class TokenCreateForm(forms.Form):
    """Name of a new personal API token."""

    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("For example the app or script that will use it."),
    )


class ClientPasswordForm(forms.Form):
    """A new client password for Google Reader / Fever apps, checked by Django's validators."""

    password1 = forms.CharField(
        label=_("Client password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Use a different password from your login password."),
    )
    password2 = forms.CharField(
        label=_("Client password confirmation"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two password fields didn’t match."))
        elif p1:
            if self.user.check_password(p1):
                self.add_error("password1", _("Use a different password from your login one."))
            try:
                password_validation.validate_password(p1, self.user)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class DeleteAccountForm(forms.Form):
    """Confirms account deletion with the current login password."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(_("Your password was entered incorrectly."))
        return password
