"""A Redis cache that behaves as an empty, forgetful cache while Redis is unreachable.

Tidings keeps only disposable data in its cache: API throttle history, sign-in and
password-reset rate-limit counters, and per-host Retry-After marks. Losing them for the
length of a Redis outage is harmless; failing every request that touches them (every API
write, every sign-in) is not. So while Redis does not answer, reads return the default,
writes are dropped, ``add`` reports "not added" and ``incr`` "no such key" (as for an empty
cache), and one WARNING a minute is logged (logger ``tidings.cache``). Short socket timeouts
(settings, OPTIONS) keep a vanished server from stalling requests. Used as
``CACHES["default"]["BACKEND"]`` when REDIS_URL is set (reader/project/settings.py).

``clear()`` deletes the keys under this cache's ``KEY_PREFIX`` only (SCAN + DEL), not the
whole Redis database with Django's FLUSHDB: the broker's queues, and the data of another
installation or test run sharing the database (``REDIS_KEY_PREFIX``), stay.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger("tidings.cache")

_LOG_EVERY = 60.0  # seconds between two warnings
_last_warning = 0.0


def _unavailable(operation: str, exc: Exception) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= _LOG_EVERY:
        _last_warning = now
        logger.warning("cache unavailable (%s: %s): %s ignored", type(exc).__name__, exc, operation)


class FailSoftRedisCacheClient(RedisCacheClient):
    """Django's Redis client with connection errors turned into cache misses."""

    def _errors(self) -> tuple[type[Exception], ...]:
        return (self._lib.exceptions.ConnectionError, self._lib.exceptions.TimeoutError)

    def _soft(self, operation: str, default: Any, *args: Any) -> Any:
        try:
            return getattr(super(), operation)(*args)
        except self._errors() as exc:
            _unavailable(operation, exc)
            if isinstance(default, BaseException):
                raise default from exc
            return default

    def add(self, key, value, timeout):
        return self._soft("add", False, key, value, timeout)

    def get(self, key, default):
        return self._soft("get", default, key, default)

    def set(self, key, value, timeout):
        return self._soft("set", None, key, value, timeout)

    def touch(self, key, timeout):
        return self._soft("touch", False, key, timeout)

    def delete(self, key):
        return self._soft("delete", False, key)

    def get_many(self, keys):
        return self._soft("get_many", {}, keys)

    def has_key(self, key):
        return self._soft("has_key", False, key)

    def incr(self, key, delta):
        return self._soft("incr", ValueError(f"Key '{key}' not found."), key, delta)

    def set_many(self, data, timeout):
        return self._soft("set_many", None, data, timeout)

    def delete_many(self, keys):
        return self._soft("delete_many", None, keys)

    def clear(self):
        return self._soft("clear", False)


class FailSoftRedisCache(RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` that survives a Redis outage (see module)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = FailSoftRedisCacheClient

    def clear(self) -> bool:
        """Delete every key of this cache (``KEY_PREFIX:*``); True, or False if Redis is down.

        Without a ``KEY_PREFIX`` this is Django's FLUSHDB of the whole database.
        """
        if not self.key_prefix:
            return self._cache.clear()
        client = self._cache.get_client(write=True)
        pattern = re.sub(r"([*?\[\]\\])", r"\\\1", self.key_prefix) + ":*"
        try:
            batch = []
            for key in client.scan_iter(match=pattern, count=1000):
                batch.append(key)
                if len(batch) >= 1000:
                    client.delete(*batch)
                    batch = []
            if batch:
                client.delete(*batch)
        except self._cache._errors() as exc:
            _unavailable("clear", exc)
            return False
        return True
