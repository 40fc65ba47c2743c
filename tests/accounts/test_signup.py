"""Sign-up through HTTP in each mode, and invitations (expire, work once)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts import services
from accounts.models import Invitation, SiteSettings, User

pytestmark = pytest.mark.django_db

SIGNUP = "/accounts/signup/"


def form(username="carol", email="carol@example.com", password="a-long-pass-phrase-42", **extra):  # noqa: S107
    return {
        "username": username,
        "email": email,
        "password1": password,
        "password2": password,
        **extra,
    }


def test_sign_up_is_open_by_default():
    assert services.signup_mode() == "open"
    assert SiteSettings.objects.count() == 1


def test_it_signs_up_with_email_username_and_password_and_signs_in():
    client = Client()
    assert client.get(SIGNUP).status_code == 200
    response = client.post(SIGNUP, form())
    assert response.status_code == 302
    assert response["Location"] == settings.LOGIN_REDIRECT_URL
    carol = User.objects.get(username="carol")
    assert carol.email == "carol@example.com"
    assert carol.password != "a-long-pass-phrase-42" and carol.check_password(
        "a-long-pass-phrase-42"
    )
    assert int(client.session["_auth_user_id"]) == carol.pk


def test_it_rejects_a_weak_password_a_mismatch_and_a_missing_email():
    client = Client()
    assert client.post(SIGNUP, form(password="password")).status_code == 200
    assert client.post(SIGNUP, {**form(), "password2": "other-pass-phrase-42"}).status_code == 200
    assert client.post(SIGNUP, form(email="")).status_code == 200
    assert not User.objects.filter(username="carol").exists()


def test_it_rejects_a_taken_username_in_any_case_and_a_taken_email(alice):
    client = Client()
    response = client.post(SIGNUP, form(username="ALICE", email="new@example.com"))
    assert response.status_code == 200
    assert b"already exists" in response.content
    response = client.post(SIGNUP, form(email="Alice@Example.com"))
    assert b"already exists" in response.content
    assert User.objects.count() == 1


def test_a_signed_in_user_is_sent_to_the_reader(alice_client):
    response = alice_client.get(SIGNUP)
    assert response.status_code == 302
    assert response["Location"] == settings.LOGIN_REDIRECT_URL


def test_closed_mode_refuses_the_form_and_the_post(signup_mode):
    signup_mode("closed")
    client = Client()
    response = client.get(SIGNUP)
    assert response.status_code == 403
    assert b"not accepting new accounts" in response.content
    assert client.post(SIGNUP, form()).status_code == 403
    assert not User.objects.filter(username="carol").exists()


def test_closed_mode_refuses_even_a_valid_invitation(signup_mode):
    signup_mode("closed")
    invitation = services.invitation_create(created_by=None)
    assert Client().post(SIGNUP, form(invite=invitation.token)).status_code == 403
    invitation.refresh_from_db()
    assert invitation.used_at is None


def test_invite_mode_needs_an_invitation(signup_mode):
    signup_mode("invite")
    client = Client()
    response = client.get(SIGNUP)
    assert response.status_code == 403
    assert b"invite only" in response.content
    assert client.post(SIGNUP, form()).status_code == 403
    assert client.post(SIGNUP, form(invite="made-up-token")).status_code == 403
    assert not User.objects.filter(username="carol").exists()


def test_an_invitation_link_leads_to_the_form_and_works_once(signup_mode, alice):
    signup_mode("invite")
    invitation = services.invitation_create(created_by=alice, email="carol@example.com")
    assert invitation.url == f"{settings.SITE_URL}/accounts/invite/{invitation.token}/"
    client = Client()
    response = client.get(f"/accounts/invite/{invitation.token}/")
    assert response.status_code == 302
    assert response["Location"] == f"{SIGNUP}?invite={invitation.token}"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b'value="carol@example.com"' in page.content  # pre-filled
    assert invitation.token.encode() in page.content  # carried in a hidden field
    assert client.post(SIGNUP, form(invite=invitation.token)).status_code == 302
    invitation.refresh_from_db()
    carol = User.objects.get(username="carol")
    assert invitation.used_by == carol and invitation.used_at is not None

    again = Client()
    assert again.get(f"{SIGNUP}?invite={invitation.token}").status_code == 403
    response = again.post(
        SIGNUP, form(username="dave", email="d@example.com", invite=invitation.token)
    )
    assert response.status_code == 403
    assert b"already been used" in response.content
    assert not User.objects.filter(username="dave").exists()


def test_an_invitation_token_with_a_nul_is_refused_not_a_500(signup_mode):
    signup_mode("invite")
    client = Client()
    assert client.get(f"{SIGNUP}?invite=%00").status_code == 403
    assert client.post(SIGNUP, form(invite="a\x00b")).status_code == 403


def test_an_expired_invitation_is_refused(signup_mode):
    signup_mode("invite")
    invitation = services.invitation_create(created_by=None)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    client = Client()
    assert client.get(f"{SIGNUP}?invite={invitation.token}").status_code == 403
    assert client.post(SIGNUP, form(invite=invitation.token)).status_code == 403
    assert not User.objects.filter(username="carol").exists()


def test_an_invitation_claimed_meanwhile_rolls_the_new_account_back(signup_mode):
    signup_mode("invite")
    invitation = services.invitation_create(created_by=None)
    Invitation.objects.filter(pk=invitation.pk).update(used_at=timezone.now())
    with pytest.raises(services.SignupClosed):
        services.user_signup(
            username="carol", email="c@example.com", password="x", invite_token=invitation.token
        )
    assert not User.objects.filter(username="carol").exists()


def test_open_mode_ignores_invitations(signup_mode):
    signup_mode("open")
    invitation = services.invitation_create(created_by=None)
    assert Client().post(SIGNUP, form(invite=invitation.token)).status_code == 302
    invitation.refresh_from_db()
    assert invitation.used_at is None


@pytest.fixture
def admin_client_(django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "root-pass-123")
    client = Client()
    client.force_login(admin)
    return client, admin


def test_the_admin_sets_the_signup_mode_in_the_admin_site(admin_client_):
    client, _admin = admin_client_
    listing = client.get("/admin/accounts/sitesettings/")
    assert listing.status_code == 302
    assert listing["Location"] == "/admin/accounts/sitesettings/1/change/"
    assert client.get(listing["Location"]).status_code == 200
    response = client.post(listing["Location"], {"signup_mode": "closed"})
    assert response.status_code == 302
    assert services.signup_mode() == "closed"
    assert client.get("/admin/accounts/sitesettings/add/").status_code == 403


def test_the_admin_creates_an_invitation_and_sees_its_link(admin_client_):
    client, admin = admin_client_
    expires = timezone.now() + timedelta(days=3)
    response = client.post(
        "/admin/accounts/invitation/add/",
        {
            "email": "erin@example.com",
            "note": "my sister",
            "expires_at_0": expires.strftime("%Y-%m-%d"),
            "expires_at_1": expires.strftime("%H:%M:%S"),
        },
    )
    assert response.status_code == 302, response.content
    invitation = Invitation.objects.get(email="erin@example.com")
    assert invitation.created_by == admin and invitation.is_usable()
    page = client.get(f"/admin/accounts/invitation/{invitation.pk}/change/")
    assert invitation.url.encode() in page.content


def test_the_admin_adds_a_user_and_edits_preferences_in_the_admin_site(admin_client_):
    client, _admin = admin_client_
    response = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "frank",
            "password1": "frank-pass-phrase-1",
            "password2": "frank-pass-phrase-1",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content
    frank = User.objects.get(username="frank")
    assert frank.check_password("frank-pass-phrase-1")
    page = client.get(f"/admin/accounts/user/{frank.pk}/change/")
    assert page.status_code == 200
    assert b'name="entries_per_page"' in page.content


def test_the_admin_sees_tokens_without_their_hash(admin_client_, alice):
    client, _admin = admin_client_
    token, _raw = services.token_create(user=alice, name="alice-script")
    listing = client.get("/admin/accounts/apitoken/")
    assert listing.status_code == 200 and b"alice-script" in listing.content
    page = client.get(f"/admin/accounts/apitoken/{token.pk}/change/")
    assert page.status_code == 200
    assert token.token_hash.encode() not in page.content
    assert client.get("/admin/accounts/apitoken/add/").status_code == 403
