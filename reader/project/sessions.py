"""Session engine: Django's database sessions, refusing malformed session keys.

Django accepts any cookie value of 8+ characters as a session key and looks it
up; on PostgreSQL a key holding a NUL byte makes that lookup raise DataError,
so a crafted ``sessionid`` cookie turned any page or API call into a 500. Keys
Django issues are 32 characters of ``[a-z0-9]``; anything else is treated as
no session (the visitor is anonymous), exactly like an unknown key.
"""

from __future__ import annotations

import re

from django.contrib.sessions.backends.db import SessionStore as DbSessionStore

_KEY = re.compile(r"[a-z0-9]{8,40}")


class SessionStore(DbSessionStore):
    """``django.contrib.sessions.backends.db`` with strict session-key validation."""

    def _validate_session_key(self, key: str | None) -> bool:
        """True only for keys shaped like the ones Django generates."""
        return bool(key) and _KEY.fullmatch(key) is not None
