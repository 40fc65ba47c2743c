"""The shapes parsing produces and the errors it raises (shared by every feed format)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "MAX_AUTHOR",
    "MAX_CATEGORIES",
    "MAX_CATEGORY",
    "MAX_TITLE",
    "MAX_URL",
    "NotAFeedError",
    "ParseError",
    "ParsedEntry",
    "ParsedFeed",
    "RawDocument",
]

MAX_TITLE = 2000
MAX_AUTHOR = 512
MAX_URL = 2048
MAX_CATEGORIES = 50
MAX_CATEGORY = 200


class ParseError(Exception):
    """The document is not a readable feed; ``str(error)`` is a message for users."""


class NotAFeedError(ParseError):
    """The address returned an HTML page instead of a feed (autodiscovery applies)."""

    def __init__(self, message: str = "The address returned an HTML page, not a feed") -> None:
        super().__init__(message)


@dataclass(slots=True)
class ParsedEntry:
    """One item, normalized (RSS ``item``, Atom ``entry``, JSON Feed ``items[]``).

    - ``guid``: the publisher's id as a string ("" when absent).
    - ``url``: the item link, absolute http(s), tracking parameters removed (normalized) or "".
    - ``title``: plain text (never markup), whitespace collapsed, may be "".
    - ``author``: plain text name, may be "".
    - ``content_html``: the main body, raw (unsanitized): the feed's content
      element, else its summary/description. If ``content_is_text`` it is plain
      text (Atom ``type="text"``, JSON Feed ``content_text``) for
      ``sanitize.text_to_html``, else HTML for ``sanitize.sanitize_html``.
    - ``summary_html``: raw HTML of a summary distinct from the content, else "".
    - ``base_url``: absolute URL relative references in the content resolve
      against (innermost xml:base; for RSS and JSON Feed without xml:base the
      item link; else the feed URL).
    - ``published``/``updated``: aware UTC datetimes or None (unparseable or absent).
    - ``enclosures``: ``[{"url": str (absolute http(s)), "type": str, "length": int | None}]``,
      with ``"duration"`` (int seconds) when the feed gives one (``itunes:duration``, JSON
      Feed ``duration_in_seconds``).
    - ``categories``: plain-text strings, unique, in document order.
    - ``thumbnail_url``: absolute http(s) URL or "" (media:thumbnail, media:content
      image, itunes:image / JSON ``image``, else the first image of the content).
    """

    guid: str = ""
    url: str = ""
    title: str = ""
    author: str = ""
    summary_html: str = ""
    content_html: str = ""
    content_is_text: bool = False
    base_url: str = ""
    published: dt.datetime | None = None
    updated: dt.datetime | None = None
    enclosures: list[dict[str, Any]] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    thumbnail_url: str = ""


@dataclass(slots=True)
class ParsedFeed:
    """A parsed document.

    ``title``, ``description`` plain text; ``site_url``, ``hub_url`` (WebSub
    ``rel="hub"``), ``self_url`` (``rel="self"``) absolute http(s) or "";
    ``language`` as declared (max 35 chars); ``ttl_seconds`` from RSS ``ttl``
    (minutes) or ``sy:updatePeriod``/``sy:updateFrequency``, else None;
    ``bozo_message`` a readable warning when the document was malformed but
    still yielded entries, else ""; ``version`` feedparser's name of the format
    ("rss20", "atom10", ...; "json11"/"json10" for JSON Feed).
    """

    title: str = ""
    site_url: str = ""
    description: str = ""
    language: str = ""
    entries: list[ParsedEntry] = field(default_factory=list)
    bozo_message: str = ""
    ttl_seconds: int | None = None
    hub_url: str = ""
    self_url: str = ""
    version: str = ""


@dataclass(frozen=True, slots=True)
class RawDocument:
    """A fetched document as the format readers see it.

    ``content``: the body (decompressed bytes, never empty). ``url``: the final URL
    after redirects. ``media_type``: the HTTP media type, lower case, without
    parameters ("" when none). ``charset``: the HTTP charset label ("" when none).
    ``head``: the first bytes without BOM, leading whitespace or NULs (for sniffing).
    """

    content: bytes
    url: str
    media_type: str = ""
    charset: str = ""
    head: bytes = b""
