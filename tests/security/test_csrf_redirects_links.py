"""Case P34: CSRF on state-changing endpoints, outbound links, "Read original", open redirects.

cases/README.md rule 10 and P34/CASE.md. The attacker page of P34 fires GETs at state-changing
routes and a cross-site form POST: every state change must refuse GET (405) and refuse a POST
without a valid CSRF token (403), for the page forms and for the REST API under session auth;
token APIs (REST bearer, Fever, GReader) never accept the session cookie alone for writes.
Every ``target=_blank`` link has ``rel`` with ``noopener`` and ``noreferrer``; "Read original"
is a plain link to the entry's own stored http(s) URL; no endpoint redirects off-site from a
query or form parameter (login ``next`` included).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import html5lib
import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from feeds.models import Entry, Feed
from feeds.pipeline.parse import parse_feed
from feeds.pipeline.store import store_parsed
from reader.models import EntryState, Subscription
from tests.conftest import shared_path
from tests.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db

EVIL = "https://evil.example.net/cats.html"
P34_FEED = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Link Out</title><link>https://feeds.example.org/</link>
<description>x</description>
<item><title>Open me</title><link>https://evil.example.net/cats.html</link><guid>out-1</guid>
<description><![CDATA[<p>Read <a href="https://evil.example.net/cats.html" target="_self">the
original</a>.</p>]]></description></item>
<item><title>Script link</title><link>javascript:alert(document.cookie)</link><guid>out-2</guid>
<description>x</description></item>
</channel></rss>"""


def _p34_feed_bytes() -> bytes:
    try:
        return (shared_path("cases", "P34-csrf-and-outbound-links") / "feed.xml").read_bytes()
    except pytest.skip.Exception:
        return P34_FEED


@pytest.fixture
def world(alice):
    """Alice subscribes to the P34 feed (stored through the real parse + store)."""
    feed = Feed.objects.create(url="https://feeds.example.org/p34.xml")
    store_parsed(feed=feed, parsed=parse_feed(P34_FEED, url=feed.url), now=timezone.now())
    if _p34_feed_bytes() != P34_FEED:  # the shared case file too, when present
        shared = Feed.objects.create(url="https://feeds.example.org/p34-shared.xml")
        parsed = parse_feed(_p34_feed_bytes(), url=shared.url)
        store_parsed(feed=shared, parsed=parsed, now=timezone.now())
        SubscriptionFactory(user=alice, feed=shared)
    sub = SubscriptionFactory(user=alice, feed=feed)
    entry = Entry.objects.get(feed=feed, guid="out-1")
    return {"feed": feed, "sub": sub, "entry": entry}


def _csrf_client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def _state(alice) -> tuple:
    return (
        sorted(EntryState.objects.filter(user=alice).values_list("entry_id", "read", "starred")),
        sorted(Subscription.objects.filter(user=alice).values_list("id", "title", "read_max_id")),
    )


CONFIRMATION_PAGES = {"/settings/delete/"}


def _page_writes(world) -> list[tuple[str, dict]]:
    e, s = world["entry"].pk, world["sub"].pk
    return [
        (f"/reader/entries/{e}/action/", {"action": "read"}),
        (f"/reader/entries/{e}/action/", {"action": "star"}),
        ("/reader/mark-all-read/", {"subscription_id": str(s)}),
        ("/directory/unsubscribe/", {"subscription_id": str(s)}),
        (f"/subscriptions/{s}/edit/", {"title": "pwned"}),
        (f"/subscriptions/{s}/delete/", {}),
        ("/subscriptions/bulk/", {"ids": [str(s)], "action": "delete"}),
        ("/settings/api/tokens/", {"name": "attacker"}),
        ("/settings/delete/", {"password": "alice-pass-123", "confirm": "alice"}),
        ("/accounts/logout/", {}),
    ]


def test_state_changing_pages_refuse_get_and_change_nothing(alice, world):
    client = _csrf_client(alice)
    before = _state(alice)
    for path, data in _page_writes(world):
        response = client.get(path, data)
        if path in CONFIRMATION_PAGES:  # GET shows the form that asks to confirm
            assert response.status_code == 200, path
        else:
            assert response.status_code == 405, (path, response.status_code)
    assert _state(alice) == before
    alice.refresh_from_db()
    assert alice.is_active
    assert client.get("/reader/").status_code == 200  # still signed in


def test_cross_site_posts_to_page_forms_are_refused_without_the_csrf_token(alice, world):
    client = _csrf_client(alice)
    before = _state(alice)
    tokens = alice.api_tokens.count() if hasattr(alice, "api_tokens") else None
    for path, data in _page_writes(world):
        response = client.post(path, data, HTTP_ORIGIN="https://evil.example.net")
        assert response.status_code == 403, (path, response.status_code)
        response = client.post(path, data)  # no Origin, no token: still refused
        assert response.status_code == 403, (path, response.status_code)
    assert _state(alice) == before
    if tokens is not None:
        assert alice.api_tokens.count() == tokens


def test_the_same_form_with_the_csrf_token_works(alice, world):
    client = _csrf_client(alice)
    client.get("/reader/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        f"/reader/entries/{world['entry'].pk}/action/",
        {"action": "star", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert EntryState.objects.get(user=alice, entry=world["entry"]).starred


def _api_writes(world) -> list[tuple[str, str, dict]]:
    e, s = world["entry"].pk, world["sub"].pk
    return [
        ("post", "/api/v1/entries/batch/", {"ids": [e], "read": True}),
        ("patch", f"/api/v1/entries/{e}/", {"read": True, "starred": True}),
        ("post", "/api/v1/mark-all-read/", {"subscription_id": s}),
        ("patch", f"/api/v1/subscriptions/{s}/", {"title": "pwned"}),
        ("delete", f"/api/v1/subscriptions/{s}/", {}),
        ("post", "/api/v1/subscriptions/", {"url": "https://feeds.example.org/other.xml"}),
        ("post", "/api/v1/categories/", {"title": "pwned"}),
        ("post", "/api/v1/tokens/", {"name": "attacker"}),
    ]


def test_the_rest_api_with_a_session_cookie_needs_the_csrf_token_for_every_write(alice, world):
    client = _csrf_client(alice)
    before = _state(alice)
    for method, path, body in _api_writes(world):
        response = getattr(client, method)(path, body, content_type="application/json")
        assert response.status_code == 403, (method, path, response.status_code)
        assert response.json()["code"] in ("permission_denied", "csrf_failed"), response.json()
        # A form-encoded cross-site POST (what an attacker's <form> can send) is refused too.
        if method == "post":
            response = client.post(path, {"x": "1"})
            assert response.status_code in (403, 415), (path, response.status_code)
    assert _state(alice) == before
    assert client.get("/api/v1/entries/").status_code == 200  # reads need no token


def test_the_api_never_changes_state_on_get(alice, world):
    client = _csrf_client(alice)
    before = _state(alice)
    for method, path, body in _api_writes(world):
        if method in ("post", "patch", "delete"):
            client.get(path, body)
    assert _state(alice) == before


def test_token_apis_do_not_accept_the_session_cookie_alone_for_writes(alice, world):
    client = Client()  # no CSRF enforcement: the session cookie is all it has
    client.force_login(alice)
    e = world["entry"].pk
    before = _state(alice)
    fever = client.post("/api/fever/?api", {"mark": "item", "as": "read", "id": str(e)})
    assert fever.status_code in (200, 401, 403)
    if fever.status_code == 200:
        assert fever.json().get("auth") == 0
    greader = client.post(
        "/api/greader/reader/api/0/edit-tag",
        {"i": str(e), "a": "user/-/state/com.google/read"},
    )
    assert greader.status_code in (401, 403), greader.status_code
    assert _state(alice) == before


def _anchors(html: str) -> list[dict]:
    doc = html5lib.parse(html, namespaceHTMLElements=False)
    return [dict(a.attrib) for a in doc.iter("a")]


def test_every_new_tab_link_has_noopener_and_read_original_is_the_stored_url(alice, world):
    client = Client()
    client.force_login(alice)
    entry = world["entry"]
    pages = [
        client.get(f"/reader/?show=all&sub={world['sub'].pk}&entry={entry.pk}"),
        client.get(f"/reader/?show=all&entry={entry.pk}"),
        client.get("/reader/?show=all"),
    ]
    seen_original = False
    for page in pages:
        assert page.status_code == 200
        for attrs in _anchors(page.content.decode()):
            if attrs.get("target") == "_blank":
                rel = attrs.get("rel", "").split()
                assert "noopener" in rel and "noreferrer" in rel, attrs
            assert attrs.get("target") in (None, "_blank"), attrs  # the feed's _self is gone
            href = attrs.get("href", "")
            assert not href.lower().lstrip().startswith(("javascript:", "data:", "vbscript:"))
            if href == EVIL:
                seen_original = True
    assert seen_original  # the original is linked directly: no redirect endpoint in between
    assert entry.url == EVIL
    script = Entry.objects.get(feed=world["feed"], guid="out-2")
    assert not script.url.lower().startswith("javascript:")  # never stored, never linked
    assert "<iframe" not in pages[0].content.decode().lower()  # no original page framed here


def test_sanitized_content_links_open_in_a_new_tab_without_opener(world):
    links = _anchors(world["entry"].summary + world["entry"].content)
    assert links, "the P34 content link was dropped"
    for attrs in links:
        assert attrs.get("target") == "_blank"
        assert {"noopener", "noreferrer"} <= set(attrs.get("rel", "").split())


NEXT_VALUES = [
    EVIL,
    "//evil.example.net/cats.html",
    "/\\evil.example.net/cats.html",
    "\\\\evil.example.net",
    "https:evil.example.net",
    "http://testserver@evil.example.net/",
    "javascript:alert(1)",
    " https://evil.example.net",
]


def _offsite(location: str) -> bool:
    location = location.strip()
    if location.lower().startswith(("javascript:", "data:")):
        return True
    parts = urlsplit(location.replace("\\", "/"))
    return bool(parts.netloc) and parts.hostname not in ("testserver", None)


@pytest.mark.parametrize("target", NEXT_VALUES)
def test_login_next_never_leads_off_site(alice, target):
    client = Client()
    response = client.post(
        f"/accounts/login/?next={target}",
        {"username": "alice", "password": "alice-pass-123", "next": target},
    )
    assert response.status_code == 302
    assert not _offsite(response["Location"]), response["Location"]


@pytest.mark.parametrize("target", NEXT_VALUES)
def test_form_next_fields_never_lead_off_site(alice, world, target):
    client = Client()
    client.force_login(alice)
    for path, data in [
        (f"/reader/entries/{world['entry'].pk}/action/", {"action": "read"}),
        ("/reader/mark-all-read/", {}),
        ("/accounts/logout/", {}),
    ]:
        response = client.post(path, {**data, "next": target})
        assert response.status_code in (200, 302), (path, response.status_code)
        assert not _offsite(response.get("Location", "")), (path, response["Location"])
        client.force_login(alice)


def _routes(patterns=None, prefix: str = ""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + route)
        elif isinstance(pattern, URLPattern):
            yield prefix + route


def _fill(route: str, ids: dict[str, int]) -> str | None:
    """A concrete path for a route: regex routes and unknown converters are skipped."""
    if route.startswith("^") or "(?P" in route:
        return None
    path = route
    while "<" in path:
        start, end = path.index("<"), path.index(">")
        name = path[start + 1 : end].split(":")[-1]
        path = path[:start] + str(ids.get(name, 1)) + path[end + 1 :]
    return "/" + path


def test_no_route_redirects_off_site_from_a_query_parameter(alice, world):
    client = Client()
    client.force_login(alice)
    ids = {"entry_id": world["entry"].pk, "subscription_id": world["sub"].pk,
           "feed_id": world["feed"].pk, "pk": world["sub"].pk}  # fmt: skip
    query = dict.fromkeys(("next", "url", "u", "redirect", "redirect_to", "to", "r"), EVIL)
    checked = 0
    for route in _routes():
        path = _fill(route, ids)
        if path is None or path.startswith("/admin/"):
            continue
        response = client.get(path, query)
        checked += 1
        location = response.get("Location", "")
        assert not _offsite(location), (path, location)
        client.force_login(alice)  # a sign-out route may have ended the session
    assert checked > 20


def test_the_session_and_csrf_cookies_are_httponly_lax_and_secure_in_production():
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.SESSION_COOKIE_SAMESITE in ("Lax", "Strict")
    assert settings.CSRF_COOKIE_SAMESITE in ("Lax", "Strict")
    # Secure outside dev mode: checked on production settings in test_headers_deploy.py.
