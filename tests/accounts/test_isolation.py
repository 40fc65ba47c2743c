"""Per-user isolation: for every endpoint, neither alice nor bob can read or change the
other's subscriptions, categories, entry states, tokens, client password or preferences.

How to extend (each issue adds its endpoints here):
- add a ``Case`` to ``CASES``: the method, a URL built from the *victim's* objects (and
  optionally a body built from them), the status codes the *attacker* may get, and, for
  APIs, ``auth="bearer"`` to call with the attacker's API token instead of the session;
- if your endpoint touches per-user rows not yet covered, add a function to ``SNAPSHOTS``
  returning a comparable picture of one user's rows.
Every case then runs both ways (alice -> bob, bob -> alice) and anonymously, and checks that
(1) the status is expected, (2) the response shows none of the victim's private strings,
(3) the victim's snapshot is unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from accounts.models import ApiToken, ClientPassword, Invitation, User
from tests.accounts.conftest import Owned, World

pytestmark = pytest.mark.django_db

Builder = Callable[[World, Owned], Any]


@dataclass(frozen=True)
class Case:
    """One request an attacker makes against the victim's objects."""

    name: str
    method: str
    url: Builder  # (world, victim) -> URL
    expected: tuple[int, ...]  # statuses the signed-in attacker may get
    data: Builder | None = None  # (world, victim) -> body
    auth: str = "session"  # "session" or "bearer" (the attacker's API token)
    content_type: str | None = None  # None: form-encoded for POST
    anonymous: tuple[int, ...] = (302, 401, 403, 404, 405)  # statuses without credentials
    extra: dict = field(default_factory=dict)


def _route(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _prefs(world: World, victim: Owned) -> dict:
    return {
        "language": "zh-hans",
        "timezone": "Pacific/Auckland",
        "theme": "dark",
        "entries_per_page": "11",
        "sort_order": "oldest",
        "show_unread_only": "",
        "mark_read_on_open": "",
        # Fields a form must never accept for another user:
        "user": victim.user.pk,
        "id": victim.user.pk,
        "username": victim.user.username,
    }


CASES: list[Case] = [
    # --- /settings/ (accounts, issue 4) ---
    Case("preferences page", "get", lambda w, v: "/settings/", (200,)),
    Case("save preferences", "post", lambda w, v: "/settings/", (302,), data=_prefs),
    Case("api settings page", "get", lambda w, v: "/settings/api/", (200,)),
    Case(
        "create token",
        "post",
        lambda w, v: "/settings/api/tokens/",
        (201,),
        data=lambda w, v: {"name": "new", "user": v.user.pk},
    ),
    Case(
        "revoke the victim's token",
        "post",
        lambda w, v: f"/settings/api/tokens/{v.token.pk}/revoke/",
        (404,),
    ),
    Case(
        "set client password",
        "post",
        lambda w, v: "/settings/api/client-password/",
        (302,),
        data=lambda w, v: {
            "password1": "attacker-app-pass-5",
            "password2": "attacker-app-pass-5",
            "user": v.user.pk,
        },
    ),
    Case(
        "remove client password",
        "post",
        lambda w, v: "/settings/api/client-password/delete/",
        (302,),
        data=lambda w, v: {"user": v.user.pk},
    ),
    Case("delete page", "get", lambda w, v: "/settings/delete/", (200,)),
    Case(
        "delete with the victim's password",
        "post",
        lambda w, v: "/settings/delete/",
        (400,),
        data=lambda w, v: {"password": f"{v.user.username}-pass-123", "user": v.user.pk},
    ),
    Case("starred export", "get", lambda w, v: "/settings/export/starred.json", (200,)),
    Case("opml export", "get", lambda w, v: "/settings/export/subscriptions.opml", (200, 404)),
    Case("password change page", "get", lambda w, v: "/accounts/password/change/", (200,)),
    Case(
        "invitation admin",
        "get",
        lambda w, v: "/admin/accounts/invitation/",
        (302,),  # not staff: sent to the admin sign-in
        anonymous=(302,),
    ),
]

# --- /api/v1/ (REST API, issue 7): rows present once the routes exist ---
if _route("api:tokens"):
    CASES += [
        Case("api: list tokens", "get", lambda w, v: reverse("api:tokens"), (200,), auth="bearer"),
        Case(
            "api: delete the victim's token",
            "delete",
            lambda w, v: reverse("api:token", args=[v.token.pk]),
            (404,),
            auth="bearer",
        ),
    ]
if _route("api:me"):
    CASES += [Case("api: me", "get", lambda w, v: reverse("api:me"), (200,), auth="bearer")]


# --- What must not change: one function per kind of per-user row ---
PREFERENCE_FIELDS = (
    "username",
    "email",
    "password",
    "is_active",
    "language",
    "timezone",
    "theme",
    "entries_per_page",
    "sort_order",
    "mark_read_on_open",
    "show_unread_only",
)


def _user_row(user: User) -> Any:
    return list(User.objects.filter(pk=user.pk).values(*PREFERENCE_FIELDS))


def _tokens(user: User) -> Any:
    return list(
        ApiToken.objects.filter(user=user).order_by("pk").values("pk", "name", "token_hash")
    )


def _client_password(user: User) -> Any:
    return list(ClientPassword.objects.filter(user=user).values("password", "fever_api_key"))


def _reading(user: User) -> Any:
    from reader.models import Category, EntryState, Subscription

    return (
        list(Category.objects.filter(user=user).order_by("pk").values()),
        list(Subscription.objects.filter(user=user).order_by("pk").values()),
        list(
            EntryState.objects.filter(user=user)
            .order_by("pk")
            .values("pk", "entry_id", "read", "starred", "starred_at")
        ),
    )


def _invitations(user: User) -> Any:
    return list(Invitation.objects.filter(used_by=user).values())


SNAPSHOTS: list[Callable[[User], Any]] = [
    _user_row,
    _tokens,
    _client_password,
    _reading,
    _invitations,
]


def snapshot(user: User) -> list[Any]:
    """Everything of ``user`` that another user must not be able to change."""
    return [take(user) for take in SNAPSHOTS]


def private_strings(victim: Owned) -> list[str]:
    """Strings that only the victim's own pages may show."""
    user = victim.user
    return [
        user.email,
        victim.category.title,
        victim.subscription.title,
        victim.token.name,
        victim.token.prefix,
        victim.raw_token,
        user.client_password.fever_api_key,
    ]


def _request(client: Client, case: Case, world: World, victim: Owned, headers: dict):
    url = case.url(world, victim)
    data = case.data(world, victim) if case.data else None
    kwargs: dict[str, Any] = {**headers, **case.extra}
    if case.content_type:
        kwargs["content_type"] = case.content_type
    call = getattr(client, case.method)
    return call(url, data, **kwargs) if data is not None else call(url, **kwargs)


def _check(response, case: Case, victim: Owned, expected: tuple[int, ...], before) -> None:
    assert response.status_code in expected, (case.name, response.status_code)
    body = response.content.decode(errors="replace")
    for secret in private_strings(victim):
        assert secret not in body, (case.name, secret)
    assert snapshot(victim.user) == before, case.name


@pytest.mark.parametrize("direction", ["alice->bob", "bob->alice"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_a_user_cannot_read_or_change_the_other_users_data(world, case, direction):
    attacker, victim = (
        (world.alice, world.bob) if direction == "alice->bob" else (world.bob, world.alice)
    )
    before = snapshot(victim.user)
    if case.auth == "bearer":
        client, headers = Client(), {"HTTP_AUTHORIZATION": f"Bearer {attacker.raw_token}"}
    else:
        client, headers = attacker.client, {}
    response = _request(client, case, world, victim, headers)
    _check(response, case, victim, case.expected, before)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_an_anonymous_visitor_cannot_read_or_change_anyones_data(world, case):
    for victim in (world.alice, world.bob):
        before = snapshot(victim.user)
        response = _request(Client(), case, world, victim, {})
        _check(response, case, victim, case.anonymous, before)


def test_each_user_sees_their_own_data_on_the_pages(world):
    """The positive side: the pages that hide the other's data do show one's own."""
    for me in (world.alice, world.bob):
        page = me.client.get("/settings/api/").content.decode()
        assert me.token.name in page and me.token.prefix in page
        export = me.client.get("/settings/export/starred.json").json()
        assert [e["id"] for e in export["entries"]] == [me.state.entry_id]
