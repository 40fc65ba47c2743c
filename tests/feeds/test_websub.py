"""WebSub (W3C) subscriber, end to end on loopback (issue 11).

A small threaded hub records subscription requests, performs the verification GET against the
live server (Django's ``live_server``), and pushes content with correct and incorrect
X-Hub-Signature headers. The feed that advertises the hub is served by the loopback feed server.
Transactional tests: the live server's thread must see committed rows.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode

import pytest
from django.utils import timezone

from feeds import websub
from feeds.models import Feed, WebSubSubscription
from feeds.services import feed_get_or_create, feed_refresh
from reader.models import Subscription
from reader.project.celery import app
from tests.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db(transaction=True)

ATOM = {"Content-Type": "application/atom+xml"}
HUB_HOST = "hub.example.net"


class Hub:
    """A WebSub hub on 127.0.0.1: answers ``status`` to subscription requests and, after a 202,
    verifies intent with a GET on ``hub.callback`` (WebSub 5.3) from another thread."""

    def __init__(self, *, status: int = 202, lease: int | None = None) -> None:
        self.status = status
        self.lease = lease
        self.requests: list[dict[str, str]] = []
        self.verifications: list[dict] = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(parse_qsl(self.rfile.read(length).decode()))
                form["_content_type"] = self.headers.get("Content-Type", "")
                hub.requests.append(form)
                self.send_response(hub.status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                if hub.status == 202:
                    threading.Thread(target=hub.verify, args=(form,), daemon=True).start()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://{HUB_HOST}:{self.server.server_address[1]}/"

    def verify(self, form: dict[str, str], *, mode: str | None = None, topic: str | None = None):
        """The hub's verification GET; records status, body and the challenge it sent."""
        challenge = secrets.token_urlsafe(12)
        query = {
            "hub.mode": mode or form["hub.mode"],
            "hub.topic": topic or form["hub.topic"],
            "hub.challenge": challenge,
            "hub.lease_seconds": str(self.lease or form.get("hub.lease_seconds", "3600")),
        }
        record = {"challenge": challenge, **query}
        try:
            with urllib.request.urlopen(f"{form['hub.callback']}?{urlencode(query)}") as answer:
                record.update(status=answer.status, body=answer.read().decode())
        except urllib.error.HTTPError as exc:
            record.update(status=exc.code, body="")
        self.verifications.append(record)
        return record

    def wait(self, count: int, timeout: float = 10.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.verifications) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.verifications) >= count, "the hub did not verify in time"
        return self.verifications

    @staticmethod
    def push(callback: str, body: bytes, *, secret: str = "", method: str = "sha256",
             signature: str | None = None) -> int:  # fmt: skip
        """Content distribution (WebSub 7): POST the body, signed with ``secret`` (7.1)."""
        headers = {"Content-Type": "application/atom+xml"}
        if signature is None and secret:
            digest = hmac.new(secret.encode(), body, getattr(hashlib, method)).hexdigest()
            signature = f"{method}={digest}"
        if signature:
            headers["X-Hub-Signature"] = signature
        request = urllib.request.Request(callback, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request) as answer:
                return answer.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _atom(feed_server, hub_url: str, entries: list[tuple[str, str]]) -> bytes:
    items = "".join(
        f"<entry><id>urn:e:{eid}</id><title>{title}</title>"
        f'<link href="https://feeds.example.org/posts/{eid}"/>'
        f"<updated>2026-03-02T10:00:00Z</updated>"
        f'<content type="html">&lt;p&gt;{title}&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;'
        "</content></entry>"
        for eid, title in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Pushed</title><id>urn:pushed</id><updated>2026-03-02T10:00:00Z</updated>"
        f'<link rel="hub" href="{hub_url}"/>'
        f'<link rel="self" href="{feed_server.url("/pushed.xml")}"/>{items}</feed>'
    ).encode()


@pytest.fixture
def eager_tasks():
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def hub(settings, live_server, feed_server, eager_tasks):
    settings.WEBSUB_ENABLED = True
    settings.SITE_URL = live_server.url
    feed_server.configure(settings, extra_hosts=(HUB_HOST,))
    hub = Hub()
    yield hub
    hub.stop()


@pytest.fixture
def pushed_feed(hub, feed_server, alice):
    """A subscribed feed that advertises ``hub``; refreshed once, which subscribes to the hub."""
    feed_server.add_route(
        "/pushed.xml", headers=ATOM, body=_atom(feed_server, hub.url, [("1", "One")])
    )
    feed, _ = feed_get_or_create(url=feed_server.url("/pushed.xml"))
    SubscriptionFactory(user=alice, feed=feed)
    assert feed_refresh(feed_id=feed.pk, force=True).outcome == "ok"
    hub.wait(1)
    return feed


def _sub(feed: Feed) -> WebSubSubscription:
    return WebSubSubscription.objects.get(feed=feed)


def test_a_feed_advertising_a_hub_is_subscribed_and_verified(
    hub, pushed_feed, feed_server, settings
):
    request = hub.requests[0]
    sub = _sub(pushed_feed)
    assert request["hub.mode"] == "subscribe"
    assert request["hub.topic"] == feed_server.url("/pushed.xml")
    assert request["hub.callback"] == f"{settings.SITE_URL}/websub/{pushed_feed.pk}/{sub.token}/"
    assert request["hub.secret"] == sub.secret and len(sub.secret.encode()) < 200
    assert request["hub.lease_seconds"] == "864000"
    assert request["_content_type"] == "application/x-www-form-urlencoded"
    verification = hub.verifications[0]
    assert (verification["status"], verification["body"]) == (200, verification["challenge"])
    sub.refresh_from_db()
    pushed_feed.refresh_from_db()
    assert sub.state == "active" and sub.lease_seconds == 864000
    assert pushed_feed.push_until == sub.lease_expires_at
    assert pushed_feed.websub_hub == hub.url


def test_polling_slows_down_while_the_lease_is_active(hub, pushed_feed, settings):
    before = timezone.now()
    feed_refresh(feed_id=pushed_feed.pk, force=True)
    pushed_feed.refresh_from_db()
    delay = (pushed_feed.next_fetch_at - before).total_seconds()
    assert delay >= settings.FEED_MAX_INTERVAL * 0.9  # the longest interval, jitter aside
    assert len(hub.requests) == 1  # an active lease is not requested again


def test_pushed_content_with_a_valid_signature_goes_through_the_pipeline(
    hub, pushed_feed, feed_server
):
    sub = _sub(pushed_feed)
    callback = hub.requests[0]["hub.callback"]
    body = _atom(feed_server, hub.url, [("1", "One"), ("2", "Two, pushed")])
    assert Hub.push(callback, body, secret=sub.secret) == 202
    pushed = pushed_feed.entries.get(title="Two, pushed")
    assert "<script" not in pushed.content and "Two, pushed" in pushed.content  # sanitized
    assert pushed_feed.entries.count() == 2
    sub.refresh_from_db()
    assert sub.last_push_at is not None and sub.last_error == ""


@pytest.mark.parametrize("method", ["sha1", "sha384", "sha512"])
def test_every_signature_method_of_the_spec_is_accepted(hub, pushed_feed, feed_server, method):
    sub = _sub(pushed_feed)
    body = _atom(feed_server, hub.url, [("3", f"Signed with {method}")])
    assert Hub.push(hub.requests[0]["hub.callback"], body, secret=sub.secret, method=method) == 202
    assert pushed_feed.entries.filter(title=f"Signed with {method}").exists()


@pytest.mark.parametrize(
    "signature",
    ["sha256=" + "0" * 64, "md5=abc", "", "sha256"],
    ids=["wrong-digest", "unknown-method", "missing", "malformed"],
)
def test_pushed_content_without_a_valid_signature_is_ignored(
    hub, pushed_feed, feed_server, signature
):
    body = _atom(feed_server, hub.url, [("4", "Forged")])
    status = Hub.push(hub.requests[0]["hub.callback"], body, signature=signature or None)
    assert status == 202  # acknowledged (WebSub 7.1.2), but not stored
    assert not pushed_feed.entries.filter(title="Forged").exists()
    assert "signature" in _sub(pushed_feed).last_error


def test_content_signed_with_another_secret_is_ignored(hub, pushed_feed, feed_server):
    body = _atom(feed_server, hub.url, [("5", "Other secret")])
    assert Hub.push(hub.requests[0]["hub.callback"], body, secret="not-our-secret") == 202
    assert not pushed_feed.entries.filter(title="Other secret").exists()


def test_a_push_to_an_unknown_callback_is_a_404(hub, pushed_feed, live_server, feed_server):
    sub = _sub(pushed_feed)
    body = _atom(feed_server, hub.url, [("6", "Lost")])
    wrong = f"{live_server.url}/websub/{pushed_feed.pk}/not-the-token/"
    assert Hub.push(wrong, body, secret=sub.secret) == 404
    assert not pushed_feed.entries.filter(title="Lost").exists()


def test_verification_is_refused_for_another_topic_or_mode(hub, pushed_feed):
    form = hub.requests[0]
    assert hub.verify(form, topic="https://feeds.example.org/other.xml")["status"] == 404
    assert hub.verify(form, mode="unsubscribe")["status"] == 404
    wrong_token = {
        **form,
        "hub.callback": form["hub.callback"].replace(_sub(pushed_feed).token, "x"),
    }
    assert hub.verify(wrong_token)["status"] == 404


def test_leases_are_renewed_before_they_end_with_the_same_callback(hub, pushed_feed):
    sub = _sub(pushed_feed)
    soon = timezone.now() + timedelta(hours=2)
    WebSubSubscription.objects.filter(pk=sub.pk).update(lease_expires_at=soon)
    assert websub.websub_renew_due() == {"renewed": 1, "unsubscribed": 0}
    hub.wait(2)
    renewal = hub.requests[1]
    assert renewal["hub.mode"] == "subscribe"
    assert renewal["hub.callback"] == hub.requests[0]["hub.callback"]
    assert renewal["hub.secret"] == sub.secret
    sub.refresh_from_db()
    assert sub.state == "active" and sub.lease_expires_at > soon + timedelta(days=9)


def test_a_feed_nobody_reads_any_more_is_unsubscribed(hub, pushed_feed):
    Subscription.objects.filter(feed=pushed_feed).delete()
    WebSubSubscription.objects.filter(feed=pushed_feed).update(
        lease_expires_at=timezone.now() + timedelta(hours=1)
    )
    assert websub.websub_renew_due() == {"renewed": 0, "unsubscribed": 1}
    request = hub.requests[-1]
    assert request["hub.mode"] == "unsubscribe"
    assert hub.wait(2)[-1]["status"] == 200  # the unsubscription is confirmed
    pushed_feed.refresh_from_db()
    assert pushed_feed.push_until is None and _sub(pushed_feed).state == "unsubscribed"


def test_a_hub_denial_ends_the_subscription(hub, pushed_feed):
    form = hub.requests[0]
    query = urlencode({"hub.mode": "denied", "hub.topic": form["hub.topic"], "hub.reason": "no"})
    with urllib.request.urlopen(f"{form['hub.callback']}?{query}") as answer:
        assert answer.status == 200
    pushed_feed.refresh_from_db()
    assert _sub(pushed_feed).state == "denied" and pushed_feed.push_until is None


def test_a_hub_that_refuses_the_request_is_recorded(hub, feed_server, alice):
    hub.status = 400
    feed_server.add_route(
        "/refused.xml", headers=ATOM, body=_atom(feed_server, hub.url, [("1", "x")])
    )
    feed, _ = feed_get_or_create(url=feed_server.url("/refused.xml"))
    feed_refresh(feed_id=feed.pk, force=True)
    sub = _sub(feed)
    assert sub.state == "failed" and "400" in sub.last_error
    feed.refresh_from_db()
    assert feed.push_until is None  # polled normally


def test_a_hub_on_a_private_address_is_refused_by_the_ssrf_guard(hub, feed_server, settings):
    private_hub = f"http://127.0.0.1:{hub.server.server_address[1]}/"
    feed_server.add_route(
        "/sneaky.xml", headers=ATOM, body=_atom(feed_server, private_hub, [("1", "x")])
    )
    feed, _ = feed_get_or_create(url=feed_server.url("/sneaky.xml"))
    feed_refresh(feed_id=feed.pk, force=True)
    assert _sub(feed).state == "failed" and hub.requests == []


def test_nothing_is_subscribed_when_websub_is_off(hub, feed_server, settings):
    settings.WEBSUB_ENABLED = False
    feed_server.add_route("/off.xml", headers=ATOM, body=_atom(feed_server, hub.url, [("1", "x")]))
    feed, _ = feed_get_or_create(url=feed_server.url("/off.xml"))
    feed_refresh(feed_id=feed.pk, force=True)
    assert hub.requests == [] and not WebSubSubscription.objects.filter(feed=feed).exists()


def test_signature_valid_follows_the_recognized_algorithms():
    body, secret = b"<feed/>", "s3cret"
    for method in ("sha1", "sha256", "sha384", "sha512"):
        digest = hmac.new(secret.encode(), body, getattr(hashlib, method)).hexdigest()
        assert websub.signature_valid(f"{method}={digest}", body, secret)
        assert websub.signature_valid(f"{method.upper()}={digest.upper()}", body, secret)
        assert not websub.signature_valid(f"{method}={digest}", body + b" ", secret)
    assert not websub.signature_valid("md5=00", body, secret)
    assert not websub.signature_valid("sha256=00", body, "")


def test_http_link_headers_are_checked_first(hub, feed_server, alice):
    # The document names no hub; the response's Link header does (WebSub section 4).
    body = _atom(feed_server, hub.url, [("1", "x")]).replace(b'rel="hub"', b'rel="other"')
    link = f'<{hub.url}>; rel="hub", </headers.xml>; rel=self'
    feed_server.add_route("/headers.xml", headers={**ATOM, "Link": link}, body=body)
    feed, _ = feed_get_or_create(url=feed_server.url("/headers.xml"))
    SubscriptionFactory(user=alice, feed=feed)
    feed_refresh(feed_id=feed.pk, force=True)
    assert hub.requests[0]["hub.topic"] == feed_server.url("/headers.xml")
    assert hub.wait(1)[0]["status"] == 200


def test_link_header_rels_parses_rfc_8288_forms():
    value = '<https://hub.example/>; rel="hub", </f.xml>; title="x"; rel="self alternate"'
    rels = websub.link_header_rels(value, base_url="https://site.example/blog/")
    assert rels == {
        "hub": "https://hub.example/",
        "self": "https://site.example/f.xml",
        "alternate": "https://site.example/f.xml",
    }
    assert websub.link_header_rels("<javascript:x>; rel=hub", base_url="https://a/") == {}
