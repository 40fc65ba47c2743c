"""A feed's fetch failure in plain words of the reader's language, translated at display time.

A feed is shared by every subscriber, and its refresh runs in the worker where no user's
language applies, so the failure is recorded once, language-neutrally enough to be shown in
any language: ``Feed.last_error_kind`` (a stable code, the ``FetchError`` kind or
``parse``, ``not_a_feed``, ``rate_limited``, ``error``), ``last_status`` (the HTTP status) and
``disabled`` / ``auto_disabled``. ``Feed.last_error`` and ``disabled_reason`` stay the English
technical record for administrators (the admin, ``manage.py feed_status``, the REST API's
feed resource, logs). Pages call ``feed_error_text`` and ``feed_stopped_text`` (also as the
``feed_error`` and ``feed_stopped`` template filters of ``tidings_rows``), which word the
code in the active language (``locale/zh_Hans/LC_MESSAGES/django.po``). A row written
before the kind was recorded, or with an unknown kind, shows its recorded text as is.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

__all__ = ["FEED_ERROR_TEXT", "feed_error_text", "feed_stopped_text"]

#: Plain words for each fetch failure kind recorded on ``Feed.last_error_kind``.
FEED_ERROR_TEXT = {
    "invalid_url": gettext_lazy("The feed address is not a valid web address."),
    "blocked": gettext_lazy("The feed address points to a private network, which Tidings refuses."),
    "dns": gettext_lazy("The site's name could not be found. Is the address right?"),
    "connect": gettext_lazy("Tidings could not connect to the site."),
    "timeout": gettext_lazy("The site took too long to answer."),
    "tls": gettext_lazy("The site's secure connection (HTTPS) failed."),
    "too_large": gettext_lazy("The feed is too large."),
    "too_many_redirects": gettext_lazy("The site keeps redirecting (a redirect loop)."),
    "http": gettext_lazy("The site answered with an error."),
    "gone": gettext_lazy("The feed has been removed by the site; Tidings no longer fetches it."),
    "rate_limited": gettext_lazy("The site asked Tidings to slow down; it will try again later."),
    "parse": gettext_lazy("The feed could not be read: it is not valid RSS, Atom or JSON Feed."),
    "not_a_feed": gettext_lazy("The address is a web page, not a feed."),
    "error": gettext_lazy("Tidings failed while refreshing this feed; it will try again later."),
}


def feed_error_text(feed: Any) -> str:
    """The feed's last fetch error in plain words of the active language ("" when the last
    fetch worked). ``feed`` needs ``last_error``, ``last_error_kind`` and ``last_status``;
    an HTTP error adds its status: "The site answered with an error. (HTTP 500)"."""
    if not feed.last_error and not feed.last_error_kind:
        return ""
    text = FEED_ERROR_TEXT.get(feed.last_error_kind)
    if text is None:
        return feed.last_error
    if feed.last_error_kind == "http" and feed.last_status:
        return f"{text} (HTTP {feed.last_status})"
    return str(text)


def feed_stopped_text(feed: Any) -> str:
    """Why Tidings no longer fetches ``feed``, in the active language ("" when it does).

    Stopped by Tidings (``auto_disabled``): 410 Gone, or every fetch failed for
    ``FEED_DISABLE_AFTER_DAYS`` days (then the last error follows). Stopped by an
    administrator: their ``disabled_reason`` as they typed it.
    """
    if not feed.disabled:
        return ""
    if not feed.auto_disabled:
        return feed.disabled_reason or _("Disabled by an administrator.")
    kind = feed.last_error_kind
    if kind == "gone":  # the status stays visible, as the stored record shows it
        return f"{FEED_ERROR_TEXT['gone']} (HTTP {feed.last_status or 410})"
    if kind in FEED_ERROR_TEXT:
        return _(
            "Every fetch failed for %(days)s days; Tidings stopped fetching it. "
            "Last error: %(error)s"
        ) % {"days": settings.FEED_DISABLE_AFTER_DAYS, "error": feed_error_text(feed)}
    return feed.disabled_reason
