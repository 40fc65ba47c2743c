"""Settings pages under /settings/: preferences, API credentials, deletion and data export.

Every view acts on ``request.user`` only, through accounts.services; an id that is not the
user's (a token of someone else) is a 404.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import services
from accounts.forms import ClientPasswordForm, DeleteAccountForm, PreferencesForm, TokenCreateForm
from accounts.views import set_language_cookie


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
        "tokens": services.token_list(user=request.user),
        "token_form": forms.get("token_form") or TokenCreateForm(),
        "client_form": forms.get("client_form") or ClientPasswordForm(user=request.user),
        "has_client_password": services.client_password_exists(user=request.user),
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
    _token, raw = services.token_create(user=request.user, name=form.cleaned_data["name"])
    return _api_page(request, new_token=raw, status=201)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """POST: revoke one of the user's tokens; 404 when it is not theirs."""
    services.token_revoke(user=request.user, token_id=token_id)
    messages.success(request, _("Token revoked. Apps using it can no longer connect."))
    return redirect("settings:api")


@login_required
@require_POST
def client_password_set(request: HttpRequest) -> HttpResponse:
    """POST password1/password2: set the client password for Google Reader / Fever apps."""
    form = ClientPasswordForm(request.POST, user=request.user)
    if not form.is_valid():
        return _api_page(request, client_form=form, status=400)
    services.client_password_set(user=request.user, password=form.cleaned_data["password1"])
    messages.success(
        request, _("Client password saved. Use it in your Google Reader or Fever app.")
    )
    return redirect("settings:api")


@login_required
@require_POST
def client_password_delete(request: HttpRequest) -> HttpResponse:
    """POST: remove the client password (Google Reader and Fever apps are disconnected)."""
    services.client_password_clear(user=request.user)
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
            services.account_delete(user=request.user)
        except services.LastAdmin:
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
    """The user's subscriptions as an OPML 2.0 attachment, from reader.services.opml_export.

    404 until the reading app provides opml_export.
    """
    try:
        from reader.services import opml_export  # reader depends on accounts, not the reverse
    except ImportError as exc:
        raise Http404("OPML export is not available yet.") from exc
    response = HttpResponse(
        opml_export(user=request.user), content_type="text/x-opml; charset=utf-8"
    )
    response["Content-Disposition"] = _attachment("subscriptions", "opml")
    return response


@login_required
@require_GET
def export_starred(request: HttpRequest) -> HttpResponse:
    """The user's starred entries as a JSON attachment (shape: services.starred_export)."""
    data = services.starred_export(user=request.user)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = _attachment("starred", "json")
    return response


def _attachment(what: str, ext: str) -> str:
    day = timezone.localdate().isoformat()
    return f'attachment; filename="tidings-{what}-{day}.{ext}"'
