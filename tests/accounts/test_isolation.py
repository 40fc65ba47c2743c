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
from reader.api.compat.integer_ids import integer_entry_id
from tests.accounts.conftest import Owned, World
from tests.factories import RuleFactory, SavedViewFactory

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
    auth: str = "session"  # "session", "bearer" or "x-auth-token" (the attacker's API token)
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
        "remote_images": "off",
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


def _entry(w: World) -> int:
    return w.entries[0].pk


# --- Reading pages (web UI, issue 8): rows present once the routes exist ---
if _route("reader"):
    CASES += [
        Case("reader page", "get", lambda w, v: "/reader/?show=all", (200,)),
        Case(
            "reader: victim's subscription",
            "get",
            lambda w, v: f"/reader/?sub={v.subscription.pk}",
            (200, 404),
        ),
        Case(
            "reader: victim's category",
            "get",
            lambda w, v: f"/reader/?cat={v.category.pk}",
            (200, 404),
        ),
        Case(
            "reader: shared entry",
            "get",
            lambda w, v: f"/reader/entries/{_entry(w)}/",
            (200, 302, 404),
        ),
        Case(
            "reader: unstar the shared entry",
            "post",
            lambda w, v: f"/reader/entries/{_entry(w)}/action/",
            (302, 404),
            data=lambda w, v: {"action": "unstar", "user": v.user.pk},
        ),
        Case(
            "reader: mark all read in the victim's subscription",
            "post",
            lambda w, v: "/reader/mark-all-read/",
            (302, 404),
            data=lambda w, v: {"subscription_id": v.subscription.pk},
        ),
        Case(
            "reader: mark all read in the victim's category",
            "post",
            lambda w, v: "/reader/mark-all-read/",
            (302, 404),
            data=lambda w, v: {"category_id": v.category.pk},
        ),
    ]
if _route("subscriptions"):
    CASES += [
        Case("subscriptions page", "get", lambda w, v: "/subscriptions/", (200,)),
        Case(
            "edit the victim's subscription",
            "post",
            lambda w, v: f"/subscriptions/{v.subscription.pk}/edit/",
            (404,),
            data=lambda w, v: {"title": "pwned", "category": v.category.pk},
        ),
        Case(
            "delete the victim's subscription",
            "post",
            lambda w, v: f"/subscriptions/{v.subscription.pk}/delete/",
            (404,),
        ),
        Case(
            "bulk-delete the victim's subscription",
            "post",
            lambda w, v: "/subscriptions/bulk/",
            (302, 404),
            data=lambda w, v: {"ids": [v.subscription.pk], "action": "delete"},
        ),
        Case(
            "bulk-move the victim's subscription",
            "post",
            lambda w, v: "/subscriptions/bulk/",
            (302, 404),
            data=lambda w, v: {"ids": [v.subscription.pk], "action": "move", "category": ""},
        ),
    ]
if _route("directory_unsubscribe"):
    CASES += [
        Case(
            "directory: unsubscribe the victim",
            "post",
            lambda w, v: "/directory/unsubscribe/",
            (302, 404),
            data=lambda w, v: {"subscription_id": v.subscription.pk},
        )
    ]
if _route("search"):
    CASES += [Case("search page", "get", lambda w, v: "/search/?q=Entry", (200,))]
if _route("settings_import"):
    CASES += [Case("OPML import page", "get", lambda w, v: "/settings/import/", (200,))]
if _route("feed_icon", 1):
    CASES += [Case("feed icon", "get", lambda w, v: f"/icons/{w.feed.pk}/", (200, 404))]


# --- /api/v1/ (REST API, issue 7): rows present once the routes exist ---
def _api(name: str, method: str, url: Builder, expected: tuple[int, ...], data=None) -> Case:
    return Case(
        f"api: {name}",
        method,
        url,
        expected,
        data=data,
        auth="bearer",
        content_type="application/json" if data is not None else None,
    )


if _route("api:tokens"):
    CASES += [
        _api("list tokens", "get", lambda w, v: reverse("api:tokens"), (200,)),
        _api(
            "delete the victim's token",
            "delete",
            lambda w, v: reverse("api:token", args=[v.token.pk]),
            (404,),
        ),
    ]
if _route("api:me"):
    CASES += [_api("me", "get", lambda w, v: reverse("api:me"), (200,))]
if _route("api:categories"):
    _cat = lambda w, v: reverse("api:category", args=[v.category.pk])  # noqa: E731
    CASES += [
        _api("list categories", "get", lambda w, v: reverse("api:categories"), (200,)),
        _api("get the victim's category", "get", _cat, (404,)),
        _api(
            "rename the victim's category", "patch", _cat, (404,), data=lambda w, v: {"title": "x"}
        ),
        _api("delete the victim's category", "delete", _cat, (404,)),
        _api(
            "order the victim's categories",
            "post",
            lambda w, v: reverse("api:categories-order"),
            (400, 404),
            data=lambda w, v: {"ids": [v.category.pk]},
        ),
    ]
if _route("api:subscriptions"):
    _sub = lambda w, v: reverse("api:subscription", args=[v.subscription.pk])  # noqa: E731
    CASES += [
        _api("list subscriptions", "get", lambda w, v: reverse("api:subscriptions"), (200,)),
        _api("get the victim's subscription", "get", _sub, (404,)),
        _api(
            "retitle the victim's subscription",
            "patch",
            _sub,
            (404,),
            data=lambda w, v: {"title": "pwned"},
        ),
        _api("delete the victim's subscription", "delete", _sub, (404,)),
        _api(
            "refresh the victim's subscription",
            "post",
            lambda w, v: reverse("api:subscription-refresh", args=[v.subscription.pk]),
            (404,),
            data=lambda w, v: {},
        ),
    ]
if _route("api:entries"):
    _ent = lambda w, v: reverse("api:entry", args=[_entry(w)])  # noqa: E731
    CASES += [
        _api("list entries", "get", lambda w, v: reverse("api:entries") + "?status=all", (200,)),
        _api(
            "list entries of the victim's category",
            "get",
            lambda w, v: reverse("api:entries") + f"?category={v.category.pk}",
            (200, 404),
        ),
        _api("get the shared entry", "get", _ent, (200, 404)),
        _api(
            "unstar the shared entry",
            "patch",
            _ent,
            (200, 404),
            data=lambda w, v: {"starred": False},
        ),
        _api(
            "batch-unread the shared entries",
            "post",
            lambda w, v: reverse("api:entries-batch"),
            (200, 404),
            data=lambda w, v: {"ids": [e.pk for e in w.entries], "read": False},
        ),
    ]
if _route("api:mark-all-read"):
    CASES += [
        _api(
            "mark all read in the victim's subscription",
            "post",
            lambda w, v: reverse("api:mark-all-read"),
            (404,),
            data=lambda w, v: {"subscription_id": v.subscription.pk},
        ),
        _api(
            "mark all read in the victim's category",
            "post",
            lambda w, v: reverse("api:mark-all-read"),
            (404,),
            data=lambda w, v: {"category_id": v.category.pk},
        ),
        _api("unread counts", "get", lambda w, v: reverse("api:unread-counts"), (200,)),
    ]
if _route("api:feeds"):
    CASES += [
        _api("list feeds", "get", lambda w, v: reverse("api:feeds"), (200,)),
        _api(
            "get the shared feed",
            "get",
            lambda w, v: reverse("api:feed", args=[w.feed.pk]),
            (200, 404),
        ),
    ]
if _route("api:opml-export"):
    CASES += [_api("OPML export", "get", lambda w, v: reverse("api:opml-export"), (200,))]


# --- Rules and saved views (issue 11 part B): each user owns one of each (fixture below) ---
def _rule(w: World, v: Owned) -> int:
    from reader.models import Rule

    return Rule.objects.get(user=v.user).pk


def _view(w: World, v: Owned) -> int:
    from reader.models import SavedView

    return SavedView.objects.get(user=v.user).pk


@pytest.fixture(autouse=True)
def _rules_and_views(world):
    """A rule and a saved view (with a private feed) for each user, before any snapshot."""

    for owned in (world.alice, world.bob):
        RuleFactory(user=owned.user, pattern="needle", subscription=owned.subscription)
        SavedViewFactory(user=owned.user, name="Saved", q="Entry", feed_token=f"t{owned.user.pk}x")


if _route("settings_rules"):
    CASES += [
        Case("rules page", "get", lambda w, v: "/settings/rules/", (200,)),
        Case(
            "delete the victim's rule",
            "post",
            lambda w, v: f"/settings/rules/{_rule(w, v)}/",
            (404,),
            data=lambda w, v: {"action": "delete"},
        ),
        Case("saved views page", "get", lambda w, v: "/settings/views/", (200,)),
        Case(
            "delete the victim's saved view",
            "post",
            lambda w, v: f"/settings/views/{_view(w, v)}/",
            (404,),
            data=lambda w, v: {"action": "delete"},
        ),
        Case(
            "open the victim's saved view",
            "get",
            lambda w, v: f"/reader/?view={_view(w, v)}",
            (404,),
        ),
        Case(
            "set the display of the victim's saved view",
            "post",
            lambda w, v: "/reader/display/",
            (302, 404),
            data=lambda w, v: {"key": f"view-{_view(w, v)}", "display": "cards"},
        ),
    ]
if _route("api:rules"):
    CASES += [
        _api("list rules", "get", lambda w, v: reverse("api:rules"), (200,)),
        _api(
            "get the victim's rule",
            "get",
            lambda w, v: reverse("api:rule", args=[_rule(w, v)]),
            (404,),
        ),
        _api(
            "disable the victim's rule",
            "patch",
            lambda w, v: reverse("api:rule", args=[_rule(w, v)]),
            (404,),
            data=lambda w, v: {"enabled": False},
        ),
        _api(
            "apply the victim's rule",
            "post",
            lambda w, v: reverse("api:rule-apply", args=[_rule(w, v)]),
            (404,),
            data=lambda w, v: {},
        ),
        _api(
            "a rule on the victim's subscription",
            "post",
            lambda w, v: reverse("api:rules"),
            (404,),
            data=lambda w, v: {"pattern": "x", "subscription_id": v.subscription.pk},
        ),
        _api(
            "preview on the victim's category",
            "post",
            lambda w, v: reverse("api:rules-preview"),
            (404,),
            data=lambda w, v: {"pattern": "x", "category_id": v.category.pk},
        ),
        _api("list saved views", "get", lambda w, v: reverse("api:views"), (200,)),
        _api(
            "rename the victim's saved view",
            "patch",
            lambda w, v: reverse("api:view", args=[_view(w, v)]),
            (404,),
            data=lambda w, v: {"name": "pwned"},
        ),
        _api(
            "rotate the victim's private feed",
            "post",
            lambda w, v: reverse("api:view-feed", args=[_view(w, v)]),
            (404,),
            data=lambda w, v: {},
        ),
    ]


# --- /v1/ (the Miniflux API): the attacker's API token as X-Auth-Token ---
def _miniflux(name: str, method: str, url: Builder, expected: tuple[int, ...], data=None) -> Case:
    return Case(
        f"miniflux: {name}",
        method,
        url,
        expected,
        data=data,
        auth="x-auth-token",
        content_type="application/json" if data is not None else None,
    )


if _route("miniflux:me"):
    _mf_cat = lambda w, v: f"/v1/categories/{v.category.pk}"  # noqa: E731
    CASES += [
        _miniflux("me", "get", lambda w, v: "/v1/me", (200,)),
        _miniflux("feeds", "get", lambda w, v: "/v1/feeds", (200,)),
        _miniflux("categories", "get", lambda w, v: "/v1/categories?counts=true", (200,)),
        _miniflux("entries", "get", lambda w, v: "/v1/entries?limit=0", (200,)),
        _miniflux("export", "get", lambda w, v: "/v1/export", (200,)),
        _miniflux(
            "rename the victim's category",
            "put",
            _mf_cat,
            (404,),
            data=lambda w, v: {"title": "pwned"},
        ),
        _miniflux("delete the victim's category", "delete", _mf_cat, (404,)),
        _miniflux(
            "mark the victim's category read",
            "put",
            lambda w, v: f"/v1/categories/{v.category.pk}/mark-all-as-read",
            (404,),
        ),
        _miniflux(
            "the victim's category's feeds",
            "get",
            lambda w, v: f"/v1/categories/{v.category.pk}/feeds",
            (404,),
        ),
        _miniflux(
            "the victim's category's entries",
            "get",
            lambda w, v: f"/v1/entries?category_id={v.category.pk}",
            (404,),
        ),
        _miniflux(
            "mark all of the victim's entries read",
            "put",
            lambda w, v: f"/v1/users/{v.user.pk}/mark-all-as-read",
            (404,),
        ),
        _miniflux(
            "move one's feed into the victim's category",
            "put",
            lambda w, v: f"/v1/feeds/{w.feed.pk}",
            (404,),
            data=lambda w, v: {"category_id": v.category.pk},
        ),
        _miniflux(
            "unstar the victim's starred entry (stars one's own)",
            "put",
            lambda w, v: f"/v1/entries/{integer_entry_id(v.state.entry_id)}/bookmark",
            (204,),
        ),
    ]

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


def _organizing(user: User) -> Any:
    from reader.models import HiddenEntry, Rule, SavedView

    return (
        list(Rule.objects.filter(user=user).order_by("pk").values()),
        list(SavedView.objects.filter(user=user).order_by("pk").values()),
        list(HiddenEntry.objects.filter(user=user).order_by("pk").values("entry_id")),
    )


SNAPSHOTS: list[Callable[[User], Any]] = [
    _user_row,
    _tokens,
    _client_password,
    _reading,
    _invitations,
    _organizing,
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
    elif case.auth == "x-auth-token":
        client, headers = Client(), {"HTTP_X_AUTH_TOKEN": attacker.raw_token}
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
