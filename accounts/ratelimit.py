"""Fixed-window rate limits on Django's cache (Redis in production, a file cache under make run).

A limit counts *hits* on a key (for example failed sign-ins from one IP address) inside a
window of ``period`` seconds that starts at the first hit. ``cache.add`` creates the counter
with its expiry atomically and ``cache.incr`` bumps it atomically on Redis, so concurrent
web processes share one count. Used by the sign-in and password-reset forms; other callers
(the Google Reader ClientLogin endpoint, say) can use the same helpers.

Usage::

    limit = Limit("login-ip", max_hits=20, period=900)
    if limit.exceeded(ip):           # before doing the work
        raise ValidationError(...)
    ...
    limit.hit(ip)                    # after a failure (or on every request)
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

T = TypeVar("T")


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

    def hit(self, key: str) -> int:
        """Record one hit for ``key``; returns the count in the window after this hit."""
        counter, start = self._keys(key)
        if cache.add(counter, 1, timeout=self.period):
            cache.set(start, time.time(), timeout=self.period)
            return 1
        try:
            return cache.incr(counter)
        except ValueError:  # expired between add and incr
            cache.add(counter, 1, timeout=self.period)
            cache.set(start, time.time(), timeout=self.period)
            return 1

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


def guard_login(*, ip: str, account: str, attempt: Callable[[], T | None]) -> T | None:
    """Run a credential check ``attempt()`` under the sign-in limits (login_limits()).

    For API sign-ins that do not go through the sign-in form, for example GReader
    ClientLogin: ``guard_login(ip=client_ip(request), account=email, attempt=lambda:
    services.client_password_check(username=email, password=passwd))``.
    Raises RateLimited (before calling ``attempt``) when the IP or the account is over its
    limit. A None result counts one failure for both; a success clears the account's count.
    """
    per_ip, per_account = login_limits()
    account = (account or "").strip().lower()
    for limit, key in ((per_ip, ip), (per_account, account)):
        if key and limit.exceeded(key):
            raise RateLimited(limit.retry_after(key))
    result = attempt()
    if result is None:
        per_ip.hit(ip)
        if account:
            per_account.hit(account)
    elif account:
        per_account.reset(account)
    return result
