"""WebSub subscriber (W3C Recommendation, https://www.w3.org/TR/websub/): push instead of polling.

Flow (section numbers of the Recommendation):

1. Discovery (4): HTTP ``Link`` headers first (:func:`link_header_rels`, RFC 8288), else the
   feed's ``<link rel="hub">`` and ``rel="self"`` that ``feeds.pipeline.parse`` reads
   (``ParsedFeed.hub_url``/``self_url``). After every stored document ``feed_refresh`` calls
   :func:`websub_after_parse`, which enqueues :func:`websub_subscribe` (task
   ``feeds.websub_subscribe``) when the feed has a hub and no live subscription to it.
2. Subscription request (5.1): a form POST through the SSRF guard
   (``feeds.pipeline.fetch.post_form``) with ``hub.mode=subscribe``, ``hub.topic`` (the self
   URL), ``hub.callback`` = ``SITE_URL/websub/<feed id>/<token>/`` (a capability URL:
   ``token`` is 32 random bytes), ``hub.secret`` (64 hex characters, under the 200-byte limit)
   and ``hub.lease_seconds`` (``WEBSUB_LEASE_SECONDS``). The row is saved as "pending" BEFORE
   the POST, since a hub may verify before it answers.
3. Verification of intent (5.3): :func:`websub_verify` echoes ``hub.challenge`` only when the
   token, ``hub.mode`` and ``hub.topic`` match a pending or active subscription (else the
   view answers 404); the lease then runs ``hub.lease_seconds`` from now. ``hub.mode=denied``
   (5.2) marks the subscription denied.
4. Content distribution (7): :func:`websub_receive` accepts a POST only with a valid
   ``X-Hub-Signature: <sha1|sha256|sha384|sha512>=<hex HMAC of the body with hub.secret>``
   (7.1); the body then goes through ``feeds.services.feed_push``, i.e. the same
   parse -> identity -> sanitize -> store path as a fetch. A missing or wrong signature is
   ignored locally but still answered 2xx (7.1.2 allows it: no oracle for brute force).
5. Leases: the beat task ``feeds.websub_renew_leases`` (hourly) re-subscribes before a lease
   ends (:func:`websub_renew_due`); feeds nobody wants any more are unsubscribed.
6. Polling slows down while a lease is active (:func:`poll_delay`): up to
   ``FEED_MAX_INTERVAL``, never past the end of the lease, so a silent hub costs at most a day.

Nothing here runs unless ``settings.WEBSUB_ENABLED`` (the hub must be able to reach
``SITE_URL``: off under ``make run``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from feeds.models import Feed, WebSubSubscription
from feeds.pipeline.fetch import FetchError, post_form
from feeds.scheduling import wanted_feeds_q
from feeds.tasks import websub_subscribe_task, websub_unsubscribe_task

__all__ = [
    "SIGNATURE_METHODS",
    "PushOutcome",
    "callback_url",
    "link_header_rels",
    "poll_delay",
    "signature_valid",
    "websub_after_parse",
    "websub_receive",
    "websub_renew_due",
    "websub_subscribe",
    "websub_unsubscribe",
    "websub_verify",
]

logger = logging.getLogger("tidings.websub")

# X-Hub-Signature methods of WebSub section 7.1.1.
SIGNATURE_METHODS = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}
DAY = 24 * 3600
# A request the hub never verified is sent again after this long.
PENDING_RETRY = timedelta(hours=6)
# A request that failed (hub down, refused) is tried again after this long.
FAILED_RETRY = timedelta(days=1)
# Leases are at least this long, whatever the hub says (a zero lease would mean a request
# every hour); at most a year.
MIN_LEASE = 60
MAX_LEASE = 365 * DAY


_LINK_VALUE = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]*)*)")
_REL_PARAM = re.compile(r"""rel\s*=\s*(?:"([^"]*)"|([^\s;,"]+))""", re.IGNORECASE)


def link_header_rels(value: str, *, base_url: str) -> dict[str, str]:
    """The first http(s) URL of each relation in an HTTP ``Link`` header (RFC 8288 section 3).

    ``value`` is the header (several links separated by commas, ``rel`` quoted or not, may
    list several space-separated relation types); relative targets resolve against
    ``base_url``. Returns e.g. ``{"hub": "https://hub.example/", "self": "https://x/feed"}``;
    relation types are lower-cased. Pure.
    """
    rels: dict[str, str] = {}
    for target, params in _LINK_VALUE.findall(value or ""):
        match = _REL_PARAM.search(params)
        if not match:
            continue
        url = urljoin(base_url, target.strip())
        if urlsplit(url).scheme not in ("http", "https"):
            continue
        for rel in (match.group(1) or match.group(2) or "").lower().split():
            rels.setdefault(rel, url)
    return rels


def callback_url(sub: WebSubSubscription) -> str:
    """The capability callback URL of ``sub``: ``SITE_URL/websub/<feed id>/<token>/``."""
    return settings.SITE_URL + reverse("websub_callback", args=[sub.feed_id, sub.token])


def poll_delay(feed: Feed, delay: int, *, now: datetime) -> int:
    """Seconds until the next poll of ``feed``, given the normal ``delay`` (seconds).

    While a verified lease runs (``feed.push_until`` in the future) the hub pushes new
    content, so polling only guards against a silent hub: the delay grows to
    FEED_MAX_INTERVAL but never past the end of the lease.
    """
    until = getattr(feed, "push_until", None)
    if until is None or until <= now:
        return delay
    lease_left = (until - now).total_seconds()
    return int(max(delay, min(settings.FEED_MAX_INTERVAL, lease_left)))


def _renew_margin(sub: WebSubSubscription) -> timedelta:
    """How long before the end of its lease a subscription is renewed: a day, or half the lease."""
    lease = sub.lease_seconds or settings.WEBSUB_LEASE_SECONDS
    return timedelta(seconds=min(DAY, lease / 2))


def _needs_request(sub: WebSubSubscription | None, *, hub: str, topic: str, now: datetime) -> bool:
    if sub is None or sub.hub != hub or sub.topic != topic:
        return True
    last = sub.requested_at or sub.created_at
    if sub.state == "active":
        return sub.lease_expires_at is None or sub.lease_expires_at - now < _renew_margin(sub)
    if sub.state == "pending":
        return now - last >= PENDING_RETRY
    if sub.state == "failed":
        return now - last >= FAILED_RETRY
    return sub.state == "unsubscribed"  # denied: not until the feed names another hub


def websub_after_parse(
    *, feed: Feed, parsed: Any, now: datetime, link_header: str = "", base_url: str = ""
) -> bool:
    """After a stored document: enqueue a subscription when the feed advertises a hub.

    ``parsed`` is the ``ParsedFeed`` (``hub_url``, ``self_url``: absolute http(s) or "");
    ``link_header`` the response's HTTP ``Link`` header, checked first (WebSub section 4:
    a hub and self given there win over the document's), relative to ``base_url``.
    Enqueues task ``feeds.websub_subscribe(feed_id, hub, topic)`` on commit when
    WEBSUB_ENABLED and the feed has no live subscription to that hub and topic (none yet,
    another hub, a lease about to end, a request unanswered for 6 h or failed a day ago).
    Costs no query for a feed without a hub, or with an active lease far from its end.
    Returns True when a subscription was enqueued.
    """
    if not settings.WEBSUB_ENABLED:
        return False
    rels = link_header_rels(link_header, base_url=base_url or feed.url) if link_header else {}
    if rels.get("hub") and rels.get("self"):
        hub, topic = rels["hub"], rels["self"]
    else:
        hub, topic = getattr(parsed, "hub_url", ""), getattr(parsed, "self_url", "")
    if not (hub and topic):
        return False
    until = getattr(feed, "push_until", None)
    if feed.websub_hub == hub and until is not None and until - now > timedelta(days=1):
        return False
    sub = WebSubSubscription.objects.filter(feed_id=feed.pk).first()
    if not _needs_request(sub, hub=hub, topic=topic, now=now):
        return False
    feed_id = feed.pk
    transaction.on_commit(lambda: websub_subscribe_task.delay(feed_id, hub, topic))
    return True


def websub_subscribe(
    *, feed_id: int, hub: str, topic: str, now: datetime | None = None
) -> WebSubSubscription:
    """Send a WebSub subscription request (section 5.1) for ``feed_id`` to ``hub`` for ``topic``.

    A new hub or topic gets a fresh callback token and secret; renewing the same hub and
    topic keeps them (so pushes signed during the renewal still verify) and the state
    stays "active" until the hub's verification extends the lease. The row is saved before
    the POST; a 2xx answer (202 per the spec) leaves it awaiting the hub's verification GET.
    A refused or failed request is recorded (``state="failed"`` unless a lease is still
    active; ``last_error``); nothing is raised for network or HTTP errors. Raises
    ``Feed.DoesNotExist`` for an unknown feed.
    """
    now = now or timezone.now()
    feed = Feed.objects.get(pk=feed_id)
    sub = WebSubSubscription.objects.filter(feed=feed).first()
    renewing = sub is not None and sub.state == "active" and (sub.hub, sub.topic) == (hub, topic)
    if sub is None:
        sub = WebSubSubscription(feed=feed)
    if not renewing:
        sub.secret = secrets.token_hex(32)
        sub.token = secrets.token_urlsafe(32)
        sub.state = "pending"
        sub.lease_expires_at = None
        sub.verified_at = None
    sub.hub, sub.topic, sub.requested_at, sub.last_error = hub, topic, now, ""
    sub.save()
    Feed.objects.filter(pk=feed.pk).update(websub_hub=hub)
    form = {
        "hub.mode": "subscribe",
        "hub.topic": topic,
        "hub.callback": callback_url(sub),
        "hub.secret": sub.secret,
        "hub.lease_seconds": str(settings.WEBSUB_LEASE_SECONDS),
    }
    try:
        post_form(hub, form)
    except FetchError as exc:
        _request_failed(sub, f"The hub refused the subscription: {exc.message}")
    else:
        logger.info("websub subscription requested feed_id=%s hub=%s", feed.pk, hub)
    sub.refresh_from_db()
    return sub


def _request_failed(sub: WebSubSubscription, message: str) -> None:
    logger.warning("websub request failed feed_id=%s hub=%s: %s", sub.feed_id, sub.hub, message)
    WebSubSubscription.objects.filter(pk=sub.pk).update(last_error=message[:2000])
    # A hub that verified in the meantime, or an active lease, stays as it is.
    WebSubSubscription.objects.filter(pk=sub.pk, state="pending").update(state="failed")


def websub_unsubscribe(*, feed_id: int) -> WebSubSubscription | None:
    """Ask the hub to end the subscription of ``feed_id`` (section 5.1, ``hub.mode=unsubscribe``).

    The row becomes "unsubscribed" first (so the hub's verification GET is confirmed and
    pushes are refused with 410) and the feed is polled normally again. Returns the row, or
    None when there is none. Network errors are recorded, not raised.
    """
    sub = WebSubSubscription.objects.filter(feed_id=feed_id).first()
    if sub is None:
        return None
    WebSubSubscription.objects.filter(pk=sub.pk).update(state="unsubscribed")
    Feed.objects.filter(pk=feed_id).update(push_until=None)
    form = {"hub.mode": "unsubscribe", "hub.topic": sub.topic, "hub.callback": callback_url(sub)}
    try:
        post_form(sub.hub, form)
    except FetchError as exc:
        WebSubSubscription.objects.filter(pk=sub.pk).update(last_error=exc.message[:2000])
    sub.refresh_from_db()
    return sub


def _subscription(feed_id: int, token: str) -> WebSubSubscription | None:
    """The subscription whose callback is ``/websub/<feed_id>/<token>/`` (constant-time match)."""
    sub = WebSubSubscription.objects.filter(feed_id=feed_id).first()
    if sub is None or not token or not constant_time_compare(token, sub.token):
        return None
    return sub


def _lease(value: str) -> int:
    lease = int(value) if value.strip().isdigit() else settings.WEBSUB_LEASE_SECONDS
    return max(MIN_LEASE, min(lease, MAX_LEASE))


def websub_verify(
    *,
    feed_id: int,
    token: str,
    mode: str,
    topic: str,
    challenge: str = "",
    lease_seconds: str = "",
    reason: str = "",
    now: datetime | None = None,
) -> str | None:
    """Answer a hub's GET on the callback (sections 5.2 and 5.3); None means "answer 404".

    ``mode`` "subscribe": when the token matches, ``topic`` equals the subscription's topic
    and it is pending or active, the lease starts (``lease_seconds`` from now, clamped to
    [60 s, 1 year]; the feed's ``push_until`` follows) and ``challenge`` is returned to be
    echoed. "unsubscribe": confirmed only for a subscription we are ending. "denied": the
    subscription is marked denied (``reason`` kept) and "" is returned (200). Anything else,
    or an empty challenge, gives None.
    """
    now = now or timezone.now()
    sub = _subscription(feed_id, token)
    if sub is None or topic != sub.topic:
        return None
    if mode == "denied":
        WebSubSubscription.objects.filter(pk=sub.pk).update(
            state="denied", last_error=f"The hub denied the subscription. {reason}".strip()[:2000]
        )
        Feed.objects.filter(pk=feed_id).update(push_until=None)
        return ""
    if not challenge:
        return None
    if mode == "unsubscribe":
        return challenge if sub.state == "unsubscribed" else None
    if mode != "subscribe" or sub.state not in ("pending", "active"):
        return None
    lease = _lease(lease_seconds)
    expires = now + timedelta(seconds=lease)
    WebSubSubscription.objects.filter(pk=sub.pk).update(
        state="active", lease_seconds=lease, lease_expires_at=expires, verified_at=now
    )
    Feed.objects.filter(pk=feed_id).update(websub_hub=sub.hub, push_until=expires)
    logger.info("websub subscription verified feed_id=%s lease=%ss", feed_id, lease)
    return challenge


def signature_valid(header: str, body: bytes, secret: str) -> bool:
    """Whether ``header`` (``X-Hub-Signature: method=hexdigest``) signs ``body`` with ``secret``.

    ``method`` is one of sha1, sha256, sha384, sha512 (WebSub 7.1.1); the HMAC (RFC 2104) of
    the raw body keyed by the secret is compared in constant time. Any other form is False.
    """
    method, _, digest = (header or "").strip().partition("=")
    algorithm = SIGNATURE_METHODS.get(method.strip().lower())
    if algorithm is None or not digest or not secret:
        return False
    expected = hmac.new(secret.encode("utf-8"), body, algorithm).hexdigest()
    return hmac.compare_digest(expected, digest.strip().lower())


@dataclass(frozen=True)
class PushOutcome:
    """What :func:`websub_receive` did with a content distribution request.

    ``status``: the HTTP status to answer (202 accepted or ignored, 404 unknown callback,
    410 subscription ended). ``stored``: whether the body went through the pipeline;
    ``result``: the ``feeds.services.RefreshResult`` when it did; ``reason``: why not.
    """

    status: int
    stored: bool = False
    result: Any = None
    reason: str = ""


def websub_receive(
    *,
    feed_id: int,
    token: str,
    body: bytes,
    content_type: str = "",
    signature: str = "",
    now: datetime | None = None,
) -> PushOutcome:
    """Handle a hub's POST on the callback (WebSub section 7): verify, then store via the pipeline.

    An unknown callback answers 404; an ended (unsubscribed or denied) subscription 410, so
    the hub may drop it. An active subscription's push is stored only when ``signature``
    (the X-Hub-Signature header) is a valid HMAC of ``body`` with our secret (7.1.2); then
    ``feeds.services.feed_push`` parses and stores it exactly like a fetched document.
    Invalid or missing signatures are ignored (recorded in ``last_error``) but answered 202.
    """
    from feeds.services import feed_push  # feeds.services imports this module (refresh hooks)

    now = now or timezone.now()
    sub = _subscription(feed_id, token)
    if sub is None:
        return PushOutcome(status=404, reason="unknown callback")
    if sub.state in ("unsubscribed", "denied"):
        return PushOutcome(status=410, reason="subscription ended")
    if not signature_valid(signature, body, sub.secret):
        logger.warning("websub push with a bad signature ignored feed_id=%s", feed_id)
        WebSubSubscription.objects.filter(pk=sub.pk).update(
            last_error="A pushed update with a missing or invalid signature was ignored."
        )
        return PushOutcome(status=202, reason="invalid signature")
    result = feed_push(feed_id=feed_id, content=body, content_type=content_type, now=now)
    WebSubSubscription.objects.filter(pk=sub.pk).update(last_push_at=now, last_error="")
    return PushOutcome(status=202, stored=True, result=result)


def websub_renew_due(*, now: datetime | None = None) -> dict[str, int]:
    """Beat (hourly): renew leases about to end, resend unanswered requests, drop unwanted feeds.

    Active subscriptions within their renewal margin (a day, or half a short lease) and
    pending/failed ones past their retry delay are re-requested (task
    ``feeds.websub_subscribe`` per feed, on commit) when the feed still has a subscriber or an
    active directory source; those nobody wants are unsubscribed. Returns
    ``{"renewed": n, "unsubscribed": n}``. Does nothing unless WEBSUB_ENABLED.
    """
    counts = {"renewed": 0, "unsubscribed": 0}
    if not settings.WEBSUB_ENABLED:
        return counts
    now = now or timezone.now()
    candidates = WebSubSubscription.objects.filter(
        state__in=("active", "pending", "failed")
    ).exclude(state="active", lease_expires_at__gt=now + timedelta(seconds=DAY))
    wanted = set(
        Feed.objects.filter(wanted_feeds_q(), pk__in=candidates.values("feed_id")).values_list(
            "pk", flat=True
        )
    )
    for sub in candidates:
        if sub.feed_id not in wanted:
            feed_id = sub.feed_id
            transaction.on_commit(lambda f=feed_id: websub_unsubscribe_task.delay(f))
            counts["unsubscribed"] += 1
        elif _needs_request(sub, hub=sub.hub, topic=sub.topic, now=now):
            args = (sub.feed_id, sub.hub, sub.topic)
            transaction.on_commit(lambda a=args: websub_subscribe_task.delay(*a))
            counts["renewed"] += 1
    return counts
