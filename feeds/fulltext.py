"""Full text: the article behind an entry's link, for summary-only feeds.

:func:`fulltext_extract` fetches ``Entry.url`` through the SSRF guard
(``feeds.pipeline.fetch.fetch``), extracts the main content with trafilatura
(https://trafilatura.readthedocs.io, ``extract(output_format="html")``: boilerplate such as
navigation, footers and comments removed, links and images kept and made absolute), passes
it through the one sanitizer (``feeds.pipeline.sanitize.sanitize_html``, policy 5 of
cases/README.md) and stores it ONCE on the entry (``full_content``,
``full_content_fetched_at``), shared by every reader. Failures are stored as a readable
``full_content_error`` and never raised.

Two ways in: on demand (reader's "Fetch full article" button and
``POST /api/v1/entries/<id>/fetch-content/``, through ``reader.fetching``), and
automatically: after a refresh that stored new entries, :func:`fulltext_after_store`
enqueues :func:`fulltext_extract_new` when any subscriber of the feed turned on
``Subscription.fetch_full_text``.
"""

from __future__ import annotations

import logging
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from feeds import interest
from feeds.fetch_options import fetch_kwargs
from feeds.models import Entry, Feed
from feeds.pipeline.fetch import FetchError, fetch
from feeds.pipeline.sanitize import sanitize_html
from feeds.tasks import fulltext_extract_new_task

__all__ = ["HTML_ACCEPT", "fulltext_after_store", "fulltext_extract", "fulltext_extract_new"]

logger = logging.getLogger("tidings.fulltext")

HTML_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
# Article pages are capped lower than feeds: 5 MiB of HTML is far beyond any article.
MAX_ARTICLE_BYTES = 5 * 1024 * 1024
_HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "")


def _same_origin(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.hostname, pa.port) == (pb.scheme, pb.hostname, pb.port)


def _request_options(feed: Feed, url: str) -> dict:
    """The feed's admin options that may go with the article request.

    The User-Agent override always does; extra headers (a cookie, a key) only to the feed's
    own origin, never to another site the entry links to.
    """
    headers = {"Accept": HTML_ACCEPT}
    if feed.extra_headers and _same_origin(feed.url, url):
        headers.update(fetch_kwargs(feed)["extra_headers"] or {})
    return {"extra_headers": headers, "user_agent": (feed.user_agent or "").strip() or None}


def _extract(content: bytes, url: str) -> str:
    """Main content of an HTML page as HTML (trafilatura), "" when none is found."""
    import trafilatura  # imported on use: a heavy import the web process rarely needs

    return (
        trafilatura.extract(
            content,
            url=url,
            output_format="html",
            include_images=True,
            include_links=True,
            include_comments=False,
            include_tables=True,
        )
        or ""
    )


def _fail(entry: Entry, message: str, now: datetime) -> Entry:
    Entry.objects.filter(pk=entry.pk).update(
        full_content_error=message[:512], full_content_fetched_at=now
    )
    entry.full_content_error, entry.full_content_fetched_at = message[:512], now
    logger.info("full text failed entry_id=%s: %s", entry.pk, message)
    return entry


def fulltext_extract(*, entry_id: int, force: bool = False, now: datetime | None = None) -> Entry:
    """Fetch, extract, sanitize and store the full article of one entry; returns the Entry.

    Stored once: an entry that already has ``full_content`` is returned untouched unless
    ``force``. A failed attempt (no link, fetch error, not an HTML page, nothing that looks
    like an article) sets ``full_content_error`` (plain words) and ``full_content_fetched_at``
    and is not retried automatically; ``force`` (the reader's button) tries again. The fetch
    goes through the SSRF guard with the feed's User-Agent override; its body is capped at
    5 MiB. Raises ``Entry.DoesNotExist`` for an unknown id; never raises for network errors.
    """
    now = now or timezone.now()
    entry = Entry.objects.select_related("feed").get(pk=entry_id)
    if entry.full_content and not force:
        return entry
    if not entry.url:
        return _fail(entry, "This entry has no link to an article.", now)
    try:
        fetched = fetch(
            entry.url,
            max_bytes=min(MAX_ARTICLE_BYTES, settings.FETCH_MAX_BYTES),
            **_request_options(entry.feed, entry.url),
        )
    except FetchError as exc:
        return _fail(entry, exc.message, now)
    media_type = fetched.content_type.split(";", 1)[0].strip().lower()
    if media_type not in _HTML_TYPES:
        return _fail(entry, f"The link leads to {media_type}, not to a web page.", now)
    html = sanitize_html(_extract(fetched.content, fetched.final_url), base_url=fetched.final_url)
    if not html.strip():
        return _fail(entry, "No article could be found on the linked page.", now)
    Entry.objects.filter(pk=entry.pk).update(
        full_content=html, full_content_fetched_at=now, full_content_error=""
    )
    entry.full_content, entry.full_content_fetched_at, entry.full_content_error = html, now, ""
    logger.info("full text stored entry_id=%s bytes=%s", entry.pk, len(html))
    return entry


def fulltext_after_store(*, feed_id: int, since: datetime) -> bool:
    """After a refresh stored new entries: enqueue their extraction if any subscriber wants it.

    One EXISTS query; when true, task ``feeds.fulltext_extract_new(feed_id, since)`` is sent
    on commit. ``since`` is the refresh time (entries first seen at or after it are new).
    Returns True when the task was enqueued.
    """
    if not interest.full_text_wanted(feed_id):
        return False
    since_text = since.isoformat()
    transaction.on_commit(lambda: fulltext_extract_new_task.delay(feed_id, since_text))
    return True


def fulltext_extract_new(*, feed_id: int, since: datetime, limit: int | None = None) -> int:
    """Extract the articles of the feed's entries first seen since ``since``; returns how many.

    At most ``limit`` (default FULLTEXT_MAX_PER_REFRESH) entries with a link and no attempt
    yet, newest first, one fetch each. Idempotent: entries already attempted are skipped.
    Does nothing when no subscriber wants full text any more.
    """
    if not interest.full_text_wanted(feed_id):
        return 0
    limit = settings.FULLTEXT_MAX_PER_REFRESH if limit is None else limit
    ids = list(
        Entry.objects.filter(
            feed_id=feed_id, created_at__gte=since, full_content_fetched_at__isnull=True
        )
        .exclude(url="")
        .order_by("-id")
        .values_list("pk", flat=True)[:limit]
    )
    for entry_id in ids:
        fulltext_extract(entry_id=entry_id)
    return len(ids)
