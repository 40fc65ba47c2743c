"""Settings pages, all of /settings/: preferences, API credentials, account deletion, data
export, rules, saved views and OPML import.

Thin views (STYLE.md): every view acts on ``request.user`` only, parses a form, calls one
service (``accounts.services`` for the account, ``reader.services``, ``reader.rules`` and
``reader.saved_views`` for reading) and renders or redirects (post/redirect/get); an id
that is not the user's (a token, a rule, a view of someone else) is a 404. Exceptions to
the redirect: a new API token is shown once in the answer (201), and the rule preview
renders the page with the matches and the form still filled in.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import services as account_services
from accounts.forms import ClientPasswordForm, DeleteAccountForm, PreferencesForm, TokenCreateForm
from accounts.views import set_language_cookie
from reader import exports, rules, saved_views, selectors, services
from reader.api.saved_views import feed_urls
from reader.errors import InvalidInput, ReaderError
from reader.opml import import_job_summary
from reader.pages.error_texts import reader_error_message
from reader.pages.forms import RuleForm, SavedViewForm

# --- Account: preferences, API credentials, deletion, export --------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """GET: the preferences form. POST: save it (and the language cookie), back to /settings/."""
    form = PreferencesForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        # In the language just chosen (this request was translated in the previous one).
        with translation.override(user.language or translation.get_language()):
            messages.success(request, _("Preferences saved."))
        return set_language_cookie(redirect("settings:preferences"), user.language)
    return render(request, "settings/preferences.html", {"form": form})


def _api_page(request: HttpRequest, *, new_token: str = "", status: int = 200, **forms):
    context = {
        "tokens": account_services.token_list(user=request.user),
        "token_form": forms.get("token_form") or TokenCreateForm(),
        "client_form": forms.get("client_form") or ClientPasswordForm(user=request.user),
        "has_client_password": account_services.client_password_exists(user=request.user),
        "new_token": new_token,
        "greader_url": settings.SITE_URL + "/api/greader/",
        "fever_url": settings.SITE_URL + "/api/fever/",
    }
    response = render(request, "settings/api.html", context, status=status)
    response["Cache-Control"] = "no-store"  # the page may hold a token shown once
    return response


@login_required
@never_cache
@require_GET
def api(request: HttpRequest) -> HttpResponse:
    """/settings/api/: the user's tokens (name, created, last used), client password, URLs."""
    return _api_page(request)


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    """POST name -> 201 with the API page showing the new raw token once (not redirected,
    so the secret is never stored in the session or a message)."""
    form = TokenCreateForm(request.POST)
    if not form.is_valid():
        return _api_page(request, token_form=form, status=400)
    _token, raw = account_services.token_create(user=request.user, name=form.cleaned_data["name"])
    return _api_page(request, new_token=raw, status=201)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """POST: revoke one of the user's tokens; 404 when it is not theirs."""
    account_services.token_revoke(user=request.user, token_id=token_id)
    messages.success(request, _("Token revoked. Apps using it can no longer connect."))
    return redirect("settings:api")


@login_required
@require_POST
def client_password_set(request: HttpRequest) -> HttpResponse:
    """POST password1/password2: set the client password for Google Reader / Fever apps."""
    form = ClientPasswordForm(request.POST, user=request.user)
    if not form.is_valid():
        return _api_page(request, client_form=form, status=400)
    account_services.client_password_set(user=request.user, password=form.cleaned_data["password1"])
    messages.success(
        request, _("Client password saved. Use it in your Google Reader or Fever app.")
    )
    return redirect("settings:api")


@login_required
@require_POST
def client_password_delete(request: HttpRequest) -> HttpResponse:
    """POST: remove the client password (Google Reader and Fever apps are disconnected)."""
    account_services.client_password_clear(user=request.user)
    messages.success(request, _("Client password removed."))
    return redirect("settings:api")


@login_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest) -> HttpResponse:
    """GET: the confirmation form with export links. POST password: delete the account,
    sign out and go home. The only administrator cannot delete their account (400)."""
    form = DeleteAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            account_services.account_delete(user=request.user)
        except account_services.LastAdmin:
            form.add_error(
                None, _("You are the only administrator. Make someone else an administrator first.")
            )
            return render(request, "settings/delete.html", {"form": form}, status=400)
        logout(request)
        messages.success(request, _("Your account and your reading data were deleted."))
        return redirect("/")
    status = 400 if request.method == "POST" else 200
    return render(request, "settings/delete.html", {"form": form}, status=status)


@login_required
@require_GET
def export_opml(request: HttpRequest) -> HttpResponse:
    """The user's subscriptions as an OPML 2.0 attachment (``reader.services.opml_export``)."""
    response = HttpResponse(
        services.opml_export(user=request.user), content_type="text/x-opml; charset=utf-8"
    )
    response["Content-Disposition"] = _attachment("subscriptions", "opml")
    return response


@login_required
@require_GET
def export_starred(request: HttpRequest) -> HttpResponse:
    """The user's starred entries as a JSON attachment (``reader.exports.starred_export``)."""
    data = exports.starred_export(user=request.user)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = _attachment("starred", "json")
    return response


def _attachment(what: str, ext: str) -> str:
    day = timezone.localdate().isoformat()
    return f'attachment; filename="tidings-{what}-{day}.{ext}"'


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
        messages.error(request, exc.message)
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
        messages.error(request, exc.message)
    return redirect("settings_views")


# --- OPML import -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def settings_import(request: HttpRequest) -> HttpResponse:
    """/settings/import/: upload an OPML file; the page follows the job's progress.

    With JavaScript the form posts to the REST API and polls the job; without it
    this view starts the import and shows the latest jobs (reload to follow). Each job
    shows its warning or error, its counts with the added feeds' first fetches
    (``reader.opml.import_job_summary``) and every outline not simply added, with why.
    """
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Choose an OPML file to import."))
        else:
            try:
                services.opml_import_start(
                    user=request.user, data=upload.read(), filename=upload.name
                )
                messages.success(request, _("Import started."))
            except ReaderError as exc:
                messages.error(request, reader_error_message(exc))
        return redirect("settings_import")
    jobs = list(selectors.import_job_list(user=request.user)[:5])
    for job in jobs:
        job.summary = import_job_summary(job)
    return render(request, "settings/import.html", {"jobs": jobs, "current": "import"})
