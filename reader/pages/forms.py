"""Forms of the settings pages for rules and saved views (scope as one choice).

A scope is "" (everything), "sub-<id>" or "cat-<id>" among the user's own subscriptions
and categories; ``values()`` turns a valid form into the keyword arguments of
``reader.rules.rule_build`` / ``rule_create`` or ``reader.saved_views.saved_view_create``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from reader import selectors

FIELD_CHOICES = [
    ("title", gettext_lazy("Title")),
    ("content", gettext_lazy("Content")),
    ("author", gettext_lazy("Author")),
    ("link", gettext_lazy("Link")),
    ("category", gettext_lazy("Category")),
    ("any", gettext_lazy("Any of these")),
]
MATCH_CHOICES = [
    ("any_words", gettext_lazy("contains any of the words")),
    ("all_words", gettext_lazy("contains all of the words")),
    ("phrase", gettext_lazy("contains the phrase")),
    ("regex", gettext_lazy("matches the regular expression")),
]
ACTION_CHOICES = [
    ("read", gettext_lazy("Mark as read")),
    ("star", gettext_lazy("Star")),
    ("hide", gettext_lazy("Hide")),
]
STATUS_CHOICES = [("unread", gettext_lazy("Unread")), ("all", gettext_lazy("All entries"))]
DISPLAY_CHOICES = [("list", gettext_lazy("List")), ("cards", gettext_lazy("Cards"))]


def _scope_choices(user: Any) -> list[tuple[str, str]]:
    """Scope choices: "" (everything), "sub-<id>" and "cat-<id>" of the user's own."""
    choices: list[tuple[str, str]] = [("", _("All subscriptions"))]
    for cat in selectors.category_list(user=user):
        choices.append((f"cat-{cat.pk}", _("Category: %(title)s") % {"title": cat.title}))
    for sub in selectors.subscription_list(user=user):
        title = sub.title or sub.feed.title or sub.feed.url
        choices.append((f"sub-{sub.pk}", _("Subscription: %(title)s") % {"title": title}))
    return choices


def _scope_ids(value: str) -> dict[str, int | None]:
    kind, _sep, number = (value or "").partition("-")
    ids: dict[str, int | None] = {"subscription_id": None, "category_id": None}
    if number.isdigit() and len(number) < 19:
        if kind == "sub":
            ids["subscription_id"] = int(number)
        elif kind == "cat":
            ids["category_id"] = int(number)
    return ids


class RuleForm(forms.Form):
    """A rule as the settings page edits it (scope as one choice)."""

    name = forms.CharField(label=gettext_lazy("Name (optional)"), max_length=255, required=False)
    scope = forms.ChoiceField(label=gettext_lazy("Applies to"), required=False)
    field = forms.ChoiceField(label=gettext_lazy("When"), choices=FIELD_CHOICES)
    match = forms.ChoiceField(label=gettext_lazy("Match"), choices=MATCH_CHOICES)
    pattern = forms.CharField(
        label=gettext_lazy("Words, phrase or regular expression"),
        max_length=500,
        help_text=gettext_lazy("Case is ignored. Regular expressions run with a time limit."),
    )
    action = forms.ChoiceField(label=gettext_lazy("Then"), choices=ACTION_CHOICES)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = _scope_choices(user)

    def values(self) -> dict[str, Any]:
        """Keyword arguments for ``rules.rule_build`` / ``rule_create``."""
        data = dict(self.cleaned_data)
        scope = data.pop("scope", "")
        return {**data, **_scope_ids(scope)}


class SavedViewForm(forms.Form):
    """A saved view as the settings page edits it."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=255)
    q = forms.CharField(
        label=gettext_lazy("Search words"),
        max_length=500,
        required=False,
        help_text=gettext_lazy('Words must all match; "a phrase"; -word excludes.'),
    )
    scope = forms.ChoiceField(label=gettext_lazy("In"), required=False)
    since_days = forms.IntegerField(
        label=gettext_lazy("Only the last N days"), min_value=1, max_value=3650, required=False
    )
    status = forms.ChoiceField(label=gettext_lazy("Show first"), choices=STATUS_CHOICES)
    display = forms.ChoiceField(label=gettext_lazy("Display"), choices=DISPLAY_CHOICES)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = _scope_choices(user)

    def values(self) -> dict[str, Any]:
        """Keyword arguments for ``saved_views.saved_view_create``."""
        data = dict(self.cleaned_data)
        scope = data.pop("scope", "")
        return {**data, **_scope_ids(scope)}
