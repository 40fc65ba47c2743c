"""The interface language a user chose, for requests and for work done on their behalf.

``User.language`` holds a code from ``settings.LANGUAGES`` ("en", "zh-hans") or "" to
follow the browser (Accept-Language). The web pages get it from
``reader.project.middleware.UserPreferencesMiddleware``; the REST and client APIs, which
authenticate inside the view (tokens, client passwords), from ``reader.api.base``; Celery
tasks that write text a user will read (OPML import failures) from
``user_language_override``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.utils import translation

__all__ = ["user_language", "user_language_override"]

# Spellings of Simplified Chinese that older clients and settings may have stored.
_CHINESE_SIMPLIFIED = {"zh", "zh-cn", "zh-sg", "zh-hans"}


def user_language(user: Any) -> str | None:
    """The supported language code (``settings.LANGUAGES``) ``user`` chose, or None.

    None for anonymous users, an empty preference (follow the browser) or a code Tidings
    does not offer. "zh", "zh-CN", "zh_SG" and "zh-Hans" all mean "zh-hans".
    """
    code = (getattr(user, "language", "") or "").strip().lower().replace("_", "-")
    if not code or not getattr(user, "is_authenticated", False):
        return None
    if code in _CHINESE_SIMPLIFIED:
        code = "zh-hans"
    return code if code in {c for c, _name in settings.LANGUAGES} else None


@contextmanager
def user_language_override(user: Any) -> Iterator[None]:
    """Run the block in ``user``'s language (``translation.override``); without a
    preference, in the active language (the default, ``settings.LANGUAGE_CODE``, in a worker)."""
    language = user_language(user)
    if language is None:
        yield
        return
    with translation.override(language):
        yield
