"""Fixed-window rate limits on Django's cache (Redis in production, a file cache under make run),
and the one lock shared by every credential door.

A limit counts *hits* on a key (for example failed sign-ins from one IP address) inside a
window of ``period`` seconds that starts at the first hit. ``cache.add`` creates the counter
with its expiry atomically and ``cache.incr`` bumps it atomically on Redis, so concurrent
web processes share one count. Used by the sign-in and password-reset forms.

Usage::

    limit = Limit("login-ip", max_hits=20, period=900)
    if limit.exceeded(ip):           # before doing the work
        raise ValidationError(...)
    ...
    limit.hit(ip)                    # after a failure (or on every request)

Credential doors (``CredentialLock``): the web sign-in form, Google Reader ``ClientLogin``
and its ``GoogleLogin auth=`` token, HTTP Basic on the REST API, Fever's ``api_key``,
Bearer tokens and Tiny Tiny RSS's ``login`` and ``sid`` share the counters of
``login_limits()``: one per client address and one per account (the lower-cased username;
an email address that names exactly one account counts for that account). Rules, the same
at every door:

- an address or an account over its limit is refused at every door (``RateLimited``, which
  each door answers 429 in its own error shape) before any credential is checked, and a
  *valid* credential of a locked account is refused too;
- a failure counts for the address and, when the attempt names an account (a username or
  an email typed at the sign-in form, ClientLogin, HTTP Basic or Tiny Tiny RSS ``login``), for
  that account; a wrong Fever key, Bearer token, Google Reader token or Tiny Tiny RSS session
  id names none and counts for the address only;
- a success forgives only the failures that the same address made on the same account (a
  per account-and-address counter subtracted from the account's count); it never resets
  the address counter (an attacker's own good sign-in would reset it) nor failures from
  other addresses.

When the cache is down (``reader.project.cache.FailSoftRedisCache`` answers as an empty cache), a
failure cannot be counted. The door where that failure happened then closes *in this
process* for ``FAIL_CLOSED_SECONDS``: every attempt at that door, right or wrong, is refused
with ``RateLimited`` without checking the credential, until the period ends (and again after
each uncounted failure). Other doors and attempts that do not fail keep working, so an outage
alone locks nobody out, while guessing during it is held to about one try per door, per
process, per period.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from accounts.models import User

T = TypeVar("T")


class CacheUnavailable(Exception):
    """The cache did not store a rate-limit hit (Redis unreachable)."""


class RateLimited(Exception):
    """Too many failures: ``retry_after`` seconds (>= 1) until the next try is counted."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limited, retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limit:
    """At most ``max_hits`` hits per ``period`` seconds for each key, under namespace ``name``."""

    name: str
    max_hits: int
    period: int

    def _keys(self, key: str) -> tuple[str, str]:
        # Hash the key: user input (an email, a username) must not shape the cache key.
        digest = hashlib.sha256(key.strip().lower().encode()).hexdigest()[:32]
        base = f"ratelimit:{self.name}:{digest}"
        return base, base + ":start"

    def count(self, key: str) -> int:
        """Hits recorded for ``key`` in the current window (0 when none)."""
        return int(cache.get(self._keys(key)[0], 0) or 0)

    def exceeded(self, key: str) -> bool:
        """True when ``key`` already has ``max_hits`` hits in the current window."""
        return self.count(key) >= self.max_hits

    def hit(self, key: str, *, strict: bool = False) -> int:
        """Record one hit for ``key``; returns the count in the window after this hit.

        When the cache stores nothing (Redis down behind reader.project.cache.FailSoftRedisCache:
        ``add`` and ``incr`` both fail), returns 1, or with ``strict`` raises
        CacheUnavailable so that the caller can fail closed.
        """
        counter, start = self._keys(key)
        for _ in range(2):
            if cache.add(counter, 1, timeout=self.period):
                cache.set(start, time.time(), timeout=self.period)
                return 1
            try:
                return cache.incr(counter)
            except ValueError:  # expired between add and incr, or no cache at all
                continue
        if strict:
            raise CacheUnavailable("rate-limit counter not stored")
        return 1

    def forgive(self, key: str, hits: int) -> None:
        """Take ``hits`` back from ``key``'s count (never below zero; the window is kept)."""
        if hits <= 0:
            return
        counter = self._keys(key)[0]
        try:
            left = cache.decr(counter, hits)
        except ValueError:  # expired meanwhile: nothing to forgive
            return
        if left <= 0:
            cache.delete_many(list(self._keys(key)))

    def retry_after(self, key: str) -> int:
        """Seconds (at least 1) until the window of ``key`` ends; ``period`` when unknown."""
        started = cache.get(self._keys(key)[1])
        if started is None:
            return self.period
        return max(1, int(self.period - (time.time() - float(started))))

    def reset(self, key: str) -> None:
        """Forget the hits of ``key`` (for example after a successful sign-in)."""
        cache.delete_many(list(self._keys(key)))


def client_ip(request: HttpRequest) -> str:
    """The client's IP address: REMOTE_ADDR, or the last X-Forwarded-For hop when
    settings.TRUST_X_FORWARDED_FOR is on (the proxy in front appends the real client)."""
    if getattr(settings, "TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def login_limits() -> tuple[Limit, Limit]:
    """(per IP, per account) limits on failed sign-ins, from settings.ACCOUNTS_LOGIN_*."""
    period = settings.ACCOUNTS_LOGIN_FAILURE_PERIOD
    return (
        Limit("login-ip", settings.ACCOUNTS_LOGIN_FAILURES_PER_IP, period),
        Limit("login-account", settings.ACCOUNTS_LOGIN_FAILURES_PER_ACCOUNT, period),
    )


def reset_limits() -> tuple[Limit, Limit]:
    """(per IP, per email) limits on password-reset requests, from settings.ACCOUNTS_RESET_*."""
    period = settings.ACCOUNTS_RESET_PERIOD
    return (
        Limit("reset-ip", settings.ACCOUNTS_RESETS_PER_IP, period),
        Limit("reset-account", settings.ACCOUNTS_RESETS_PER_ACCOUNT, period),
    )


#: Seconds a door stays closed in this process after a failure the cache could not count.
FAIL_CLOSED_SECONDS = 60

#: The credential doors (names used in logs and for the fail-closed state).
DOORS = (
    "login",
    "clientlogin",
    "greader-token",
    "basic",
    "fever",
    "bearer",
    "ttrss-login",
    "ttrss-sid",
)

_closed_until: dict[str, float] = {}
_closed_guard = threading.Lock()


def account_name(identifier: str) -> str:
    """The account counter's key for what a client typed: the lower-cased username.

    An email address (anything with ``@`` that is no username) that belongs to exactly one
    account counts for that account's username, so typing the email or the username hits
    one counter. Anything else (unknown names included) is counted as typed, lower-cased.
    At most two queries, and only for values containing ``@``.
    """
    name = (identifier or "").strip().lower()
    if "@" in name and not User.objects.filter(username__iexact=name).exists():
        usernames = list(
            User.objects.filter(email__iexact=name).values_list("username", flat=True)[:2]
        )
        if len(usernames) == 1:
            return usernames[0].lower()
    return name


def account_of(user: object) -> str:
    """The account counter's key for a known user: the lower-cased username (no query)."""
    return user.get_username().strip().lower()


def _pair(account: str, ip: str) -> str:
    return f"{account}\n{ip}"


@dataclass(frozen=True)
class CredentialLock:
    """The shared lock as seen from one credential ``door`` (one of DOORS) for client ``ip``.

    Counters are those of login_limits() plus a per (account, address) counter used only to
    forgive an address its own failures on success. See the module docstring for the rules
    and for what happens while the cache is down. ``account`` arguments are account_name()
    values ("" when the attempt names no account). Every method raises RateLimited
    (``retry_after`` in seconds) when the attempt must be refused.
    """

    door: str
    ip: str

    @staticmethod
    def _limits() -> tuple[Limit, Limit, Limit]:
        per_ip, per_account = login_limits()
        pair = Limit("login-account-ip", 2**31, per_account.period)
        return per_ip, per_account, pair

    def ensure_open(self) -> None:
        """Refuse (RateLimited) while this door is closed in this process by a cache outage.
        No cache access: token doors call it before looking a credential up."""
        self._raise_if_closed()

    def _raise_if_closed(self) -> None:
        until = _closed_until.get(self.door)
        if until is not None:
            left = until - time.monotonic()
            if left > 0:
                raise RateLimited(max(1, int(left + 0.999)))
            with _closed_guard:
                if _closed_until.get(self.door) == until:
                    del _closed_until[self.door]

    def _close(self) -> RateLimited:
        with _closed_guard:
            _closed_until[self.door] = time.monotonic() + FAIL_CLOSED_SECONDS
        return RateLimited(FAIL_CLOSED_SECONDS)

    def _counts(self, account: str) -> tuple[int, int, int]:
        per_ip, per_account, pair = self._limits()
        keys = [per_ip._keys(self.ip)[0]]
        if account:
            keys += [per_account._keys(account)[0], pair._keys(_pair(account, self.ip))[0]]
        values = cache.get_many(keys)
        counts = [int(values.get(key) or 0) for key in keys] + [0, 0]
        return counts[0], counts[1], counts[2]

    def check(self, account: str = "") -> int:
        """Refuse (RateLimited) when the door is closed here, or the address or ``account``
        is over its limit; otherwise return how many failures this address has on
        ``account`` (for admit). One cache round trip."""
        self._raise_if_closed()
        per_ip, per_account, _ = self._limits()
        ip_count, account_count, pair_count = self._counts(account)
        if self.ip and ip_count >= per_ip.max_hits:
            raise RateLimited(per_ip.retry_after(self.ip))
        if account and account_count >= per_account.max_hits:
            raise RateLimited(per_account.retry_after(account))
        return pair_count

    def failed(self, account: str = "") -> None:
        """Count one failure for the address and ``account``. When the cache cannot store it,
        close this door here (see module) and raise RateLimited."""
        per_ip, per_account, pair = self._limits()
        try:
            if self.ip:
                per_ip.hit(self.ip, strict=True)
            if account:
                per_account.hit(account, strict=True)
                pair.hit(_pair(account, self.ip), strict=True)
        except CacheUnavailable:
            raise self._close() from None

    def admit(self, account: str) -> None:
        """A valid credential for ``account`` was presented: refuse it (RateLimited) when the
        address or account is locked, else forgive this address's own failures on it."""
        pending = self.check(account)
        if pending:
            _, per_account, pair = self._limits()
            per_account.forgive(account, pending)
            pair.reset(_pair(account, self.ip))

    def guard(self, *, account: str, attempt: Callable[[], T | None]) -> T | None:
        """check(), run ``attempt()``; None counts a failure (failed()), a result is admitted.

        ``account`` is what the client typed (account_name() is applied). Returns the
        attempt's result (None on a wrong credential); raises RateLimited.
        """
        name = account_name(account)
        self.check(name)
        result = attempt()
        if result is None:
            self.failed(name)
        else:
            self.admit(name)
        return result


def reopen_doors() -> None:
    """Forget every door closed in this process by a cache outage (tests, or an operator)."""
    with _closed_guard:
        _closed_until.clear()


def guard_login(*, ip: str, account: str, attempt: Callable[[], T | None]) -> T | None:
    """Run a credential check ``attempt()`` under the shared lock, as door ``"clientlogin"``.

    Kept for callers of the sign-in limits: ``CredentialLock("clientlogin", ip).guard(...)``.
    Raises RateLimited (before calling ``attempt``) when the IP or the account is over its
    limit. A None result counts one failure for both; a success forgives this address's own
    failures on the account.
    """
    return CredentialLock("clientlogin", ip).guard(account=account, attempt=attempt)
