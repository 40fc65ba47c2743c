"""Pages of issue 11 part B: /settings/rules/, /settings/views/, and the reader's display toggle.

Thin views (STYLE.md): parse a form, call one function of ``reader.rules`` or
``reader.saved_views``, render or redirect. Every POST is CSRF-checked and
answers with a redirect (post/redirect/get), except the rule preview, which
renders the page with the matches and the form still filled in.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from reader import rules, saved_views, selectors
from reader.api.saved_views import feed_urls
from reader.errors import InvalidInput, ReaderError

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


def _error(request: HttpRequest, exc: ReaderError) -> None:
    messages.error(request, exc.message)


# --- Rules --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def rules_page(request: HttpRequest) -> HttpResponse:
    """/settings/rules/: the user's rules, a form to add one, and a preview of a draft.

    POST with ``preview`` renders the matches among existing entries (nothing
    saved); without it the rule is saved (and applied to existing entries too
    when ``apply_now`` is checked).
    """
    user = request.user
    preview = None
    form = RuleForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            if "preview" in request.POST:
                draft = rules.rule_build(user=user, **form.values())
                preview = rules.rule_preview(user=user, rule=draft)
            else:
                rule = rules.rule_create(user=user, **form.values())
                if request.POST.get("apply_now"):
                    count = rules.rule_apply(user=user, rule_id=rule.pk)
                    messages.success(
                        request, _("Rule saved and applied to %(n)d entries.") % {"n": count}
                    )
                else:
                    messages.success(request, _("Rule saved."))
                return redirect("settings_rules")
        except InvalidInput as exc:
            where = "pattern" if isinstance(exc, rules.InvalidPattern) else None
            form.add_error(where, exc.message)
    context = {
        "form": form,
        "preview": preview,
        "rules": list(rules.rule_list(user=user)),
        "current": "rules",
    }
    return render(request, "settings/rules.html", context)


@login_required
@require_POST
def rule_action(request: HttpRequest, rule_id: int) -> HttpResponse:
    """POST ``action`` = enable, disable, apply or delete on one of the user's rules."""
    action = request.POST.get("action", "")
    user = request.user
    try:
        if action in ("enable", "disable"):
            rules.rule_update(user=user, rule_id=rule_id, enabled=action == "enable")
            messages.success(request, _("Rule saved."))
        elif action == "apply":
            count = rules.rule_apply(user=user, rule_id=rule_id)
            messages.success(request, _("Rule applied to %(n)d entries.") % {"n": count})
        elif action == "delete":
            rules.rule_delete(user=user, rule_id=rule_id)
            messages.success(request, _("Rule deleted."))
    except ReaderError as exc:
        _error(request, exc)
    return redirect("settings_rules")


# --- Saved views -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def views_page(request: HttpRequest) -> HttpResponse:
    """/settings/views/: the saved views (with private feed URLs) and a form to add one.

    The search page pre-fills the form through ``?q=``.
    """
    user = request.user
    initial = {"q": request.GET.get("q", "")[:500], "name": request.GET.get("q", "")[:255]}
    form = SavedViewForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            view = saved_views.saved_view_create(user=user, **form.values())
            messages.success(request, _("View saved."))
            return redirect(f"/reader/?view={view.pk}&show={view.status}")
        except InvalidInput as exc:
            form.add_error(None, exc.message)
    views = list(saved_views.saved_view_list(user=user))
    for view in views:
        view.feed = feed_urls(view)
    context = {"form": form, "views": views, "current": "views"}
    return render(request, "settings/views.html", context)


@login_required
@require_POST
def view_action(request: HttpRequest, view_id: int) -> HttpResponse:
    """POST ``action`` = feed_on (new secret URL), feed_off, rename (``name``) or delete."""
    action = request.POST.get("action", "")
    user = request.user
    try:
        if action == "feed_on":
            saved_views.feed_token_rotate(user=user, view_id=view_id)
            messages.success(request, _("A new private feed address was made."))
        elif action == "feed_off":
            saved_views.feed_token_clear(user=user, view_id=view_id)
            messages.success(request, _("The private feed is off."))
        elif action == "rename":
            saved_views.saved_view_update(
                user=user, view_id=view_id, name=request.POST.get("name", "")
            )
            messages.success(request, _("View saved."))
        elif action == "delete":
            saved_views.saved_view_delete(user=user, view_id=view_id)
            messages.success(request, _("View deleted."))
    except ReaderError as exc:
        _error(request, exc)
    return redirect("settings_views")


# --- Display per view -----------------------------------------------------------------------


@login_required
@require_POST
def display_set(request: HttpRequest) -> HttpResponse:
    """POST ``key`` (see ``saved_views.display_key``) and ``display`` (list or cards); back to
    ``next`` (a local URL) or the reader."""
    try:
        saved_views.display_set(
            user=request.user,
            key=request.POST.get("key", ""),
            display=request.POST.get("display", ""),
        )
    except ReaderError as exc:
        _error(request, exc)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/reader/"
    return redirect(target)


# --- The reader page ------------------------------------------------------------------------


def reader_view(request: HttpRequest) -> saved_views.ViewSpec | None:
    """The view named by ``?view=`` ("today" or a saved view id), or None.

    Raises ``NotFound`` (a 404) for an unknown id or another user's view.
    """
    return saved_views.view_resolve(user=request.user, key=request.GET.get("view", "")[:20])


def reader_extras(
    request: HttpRequest, *, view: saved_views.ViewSpec | None, show: str, sub: Any, cat: Any
) -> dict[str, Any]:
    """Context the reader page adds for views: the open ``view``, the sidebar's ``views``
    (Today and saved views with unread counts: two queries), the list's ``display`` ("list"
    or "cards") and the ``display_key`` the toggle posts."""
    key = saved_views.display_key(view=view.key if view else "", show=show, sub=sub, cat=cat)
    return {
        "view": view,
        "views": saved_views.sidebar_views(user=request.user, current=view.key if view else ""),
        "display": saved_views.display_for(user=request.user, key=key),
        "display_key": key,
    }
