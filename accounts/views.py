"""Account pages under /accounts/: sign-up, sign-in/out, password change and reset.

All password handling is Django's (auth views and forms); these classes only add the
sign-up modes, the rate limits and our templates.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts import services
from accounts.forms import RateLimitedAuthenticationForm, SignupForm, rate_limit_message
from accounts.models import SignupMode
from accounts.ratelimit import client_ip, reset_limits


def set_language_cookie(response: HttpResponse, language: str) -> HttpResponse:
    """Remember ``language`` in Django's language cookie, set as django.views.i18n.set_language
    does (deleted when empty: follow Accept-Language), so pages after sign-out keep it."""
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    else:
        response.delete_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
        )
    return response


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """GET: the sign-up form (or why sign-up is unavailable, 403). POST: create the account,
    sign it in and go to LOGIN_REDIRECT_URL. ``?invite=<token>`` carries an invitation."""
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    token = request.POST.get("invite") or request.GET.get("invite") or ""
    refusal = _signup_refusal(token)
    if refusal:
        return render(request, "accounts/signup_closed.html", {"reason": refusal}, status=403)
    invitation = services.invitation_get_usable(token) if token else None
    form = SignupForm(request.POST or None, initial={"email": getattr(invitation, "email", "")})
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_signup(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                invite_token=token,
            )
        except services.SignupClosed:
            reason = _signup_refusal(token) or "invite_invalid"
            return render(request, "accounts/signup_closed.html", {"reason": reason}, status=403)
        auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome to Tidings, %(name)s!") % {"name": user.username})
        return redirect(settings.LOGIN_REDIRECT_URL)
    context = {"form": form, "invite": token if invitation else ""}
    return render(request, "accounts/signup.html", context)


def _signup_refusal(token: str) -> str:
    """'' when sign-up may proceed, else 'closed', 'invite_required' or 'invite_invalid'."""
    mode = services.signup_mode()
    if mode == SignupMode.CLOSED:
        return "closed"
    if mode == SignupMode.INVITE:
        if not token:
            return "invite_required"
        if services.invitation_get_usable(token) is None:
            return "invite_invalid"
    return ""


@require_GET
def invite(request: HttpRequest, token: str) -> HttpResponse:
    """/accounts/invite/<token>/: forwards to the sign-up form carrying the invitation."""
    return HttpResponseRedirect(reverse("accounts:signup") + "?invite=" + token)


class LoginView(auth_views.LoginView):
    """Django's sign-in, rate limited per IP and per account (429 with a clear message)."""

    template_name = "accounts/login.html"
    authentication_form = RateLimitedAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        return set_language_cookie(response, form.get_user().language)

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if getattr(form, "rate_limited", False):
            response.status_code = 429
        return response


class LogoutView(auth_views.LogoutView):
    """POST only (Django 5): signs out and goes to LOGOUT_REDIRECT_URL."""


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change the login password (keeps the session; the client password is untouched)."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


class PasswordResetView(auth_views.PasswordResetView):
    """Email a reset link, rate limited per IP and per email address (429 when exceeded).

    The link is built from SITE_URL, never from the request's Host header.
    """

    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        per_ip, per_account = reset_limits()
        ip, email = client_ip(self.request), form.cleaned_data["email"].strip().lower()
        for limit, key in ((per_ip, ip), (per_account, email)):
            if limit.exceeded(key):
                form.add_error(None, rate_limit_message(limit.retry_after(key)))
                response = self.form_invalid(form)
                response.status_code = 429
                return response
        per_ip.hit(ip)
        per_account.hit(email)
        self.extra_email_context = {"site_url": settings.SITE_URL}
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
