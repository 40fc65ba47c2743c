"""RSS 0.9x/1.0 (RDF)/2.0 and Atom 0.3/1.0 (RFC 4287), read by feedparser.

feedparser's own HTML sanitizer and relative-URI resolution are off: nh3 and our
resolver do that work later (``feeds.pipeline.sanitize``), using the base URL
feedparser reports for each content element (``xml:base``). The document is
decoded (``encoding``) and hardened (``hardening``) before feedparser sees it.
This module also adjusts feedparser itself (class attributes, at import): guids
stay as published, an item's title survives an ``<image>`` inside the item, and
its expat driver is ``saxdriver`` (text runs in one call).
"""

from __future__ import annotations

import datetime as dt
import io
import xml.sax
from typing import Any
from urllib.parse import urljoin

import feedparser
import feedparser.api
import feedparser.mixin
import feedparser.namespaces._base

from feeds.pipeline.identity import guid_link, normalize_url
from feeds.pipeline.parse import mediarss, saxdriver
from feeds.pipeline.parse.characters import clean_xml_document
from feeds.pipeline.parse.dates import parse_date
from feeds.pipeline.parse.encoding import decode
from feeds.pipeline.parse.fields import categories, enclosures, http_url, plain_to_html
from feeds.pipeline.parse.hardening import prepare_xml
from feeds.pipeline.parse.model import (
    MAX_AUTHOR,
    MAX_TITLE,
    NotAFeedError,
    ParsedEntry,
    ParsedFeed,
    ParseError,
    RawDocument,
)
from feeds.pipeline.parse.sniff import looks_like_html, starts_with_html_element
from feeds.pipeline.sanitize import (
    collapse_whitespace,
    first_image_url,
    html_to_text,
    text_to_linked_html,
)

__all__ = ["parse_xml", "read", "sniff"]


def sniff(document: RawDocument) -> bool:
    """Always True: XML is the format of last resort (an HTML page is refused by ``read``)."""
    return True


def read(document: RawDocument) -> ParsedFeed:
    """Decode, harden and parse an XML feed; raises ``NotAFeedError`` for an HTML page.

    Other errors as ``parse_xml``.
    """
    if looks_like_html(document.head):
        raise NotAFeedError()
    text = decode(document.content, http_charset=document.charset, media_type=document.media_type)
    text = clean_xml_document(text)  # a stray control character must not make it malformed
    return parse_xml(prepare_xml(text).encode("utf-8"), url=document.url)


# feedparser resolves permalink guids against the feed URL. A guid is an opaque
# identity that must not change when the feed moves (or with the base), so it
# stays as published. (Class attribute of feedparser's parser mixin.)
feedparser.mixin._FeedParserMixin.can_be_relative_uri = frozenset(
    feedparser.mixin._FeedParserMixin.can_be_relative_uri - {"id"}
)
# feedparser forgets the item title's depth at any <image> (e.g. an Open Graph
# block inside an item), so a later nested <title> (an author's job title)
# replaces the item's title. Inside an item the depth is kept.
_feedparser_start_image = feedparser.namespaces._base.Namespace._start_image


def _start_image_keeping_item_title(self: Any, attrs_d: Any) -> Any:
    title_depth = self.title_depth
    result = _feedparser_start_image(self, attrs_d)
    if self.inentry:
        self.title_depth = title_depth
    return result


feedparser.namespaces._base.Namespace._start_image = _start_image_keeping_item_title
# media:description is a caption or an item-level description, never the body (mediarss).
mediarss.install()
# Our expat driver first: character data in one call per text run inside parse_feed
# (saxdriver; stock behaviour for any other caller).
if saxdriver.__name__ not in feedparser.api.PREFERRED_XML_PARSERS:
    feedparser.api.PREFERRED_XML_PARSERS.insert(0, saxdriver.__name__)
_IGNORED_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


def _bozo_message(exc: BaseException | None) -> str:
    if exc is None or isinstance(exc, _IGNORED_BOZO):
        return ""
    if isinstance(exc, xml.sax.SAXParseException):
        return (
            f"The feed is not well-formed XML (line {exc.getLineNumber()}, "
            f"column {exc.getColumnNumber()}: {exc.getMessage()})"
        )
    message = str(exc) or exc.__class__.__name__
    return f"The feed is not well-formed: {message}"


def parse_xml(data: bytes, *, url: str) -> ParsedFeed:
    """Parse decoded, hardened XML (UTF-8 bytes) with feedparser into a ``ParsedFeed``.

    ``url`` is the base of relative references. Raises ``NotAFeedError`` when the
    document is an HTML page, ``ParseError`` when it is no RSS/Atom/RDF feed or is
    malformed without any entry; malformed with entries sets ``bozo_message``.
    """
    with saxdriver.buffered():
        result = feedparser.parse(
            io.BytesIO(data),
            sanitize_html=False,
            resolve_relative_uris=False,
            # No content-location: feedparser would urljoin every link against it
            # (a quarter of its time); bases are resolved against ``url`` below.
            response_headers={"content-type": "application/xml; charset=utf-8"},
        )
    bozo = _bozo_message(result.get("bozo_exception")) if result.get("bozo") else ""
    version = result.get("version") or ""
    if not result.entries:
        if not version:
            if looks_like_html(data[:2048]) or starts_with_html_element(data):
                raise NotAFeedError()
            raise ParseError(bozo or "The address returned XML that is not an RSS or Atom feed")
        if bozo:
            raise ParseError(f"{bozo}; no entries could be read")
    fp_feed = result.feed
    feed = ParsedFeed(
        title=_text_construct(fp_feed.get("title_detail"), fp_feed.get("title")),
        site_url=http_url(fp_feed.get("link"), _base(fp_feed.get("title_detail"), url)),
        description=_text_construct(fp_feed.get("subtitle_detail"), fp_feed.get("subtitle")),
        language=collapse_whitespace(fp_feed.get("language") or "")[:35],
        bozo_message=bozo,
        ttl_seconds=_ttl_seconds(fp_feed),
        hub_url=_rel_link(fp_feed, "hub", url),
        self_url=_rel_link(fp_feed, "self", url),
        version=version,
    )
    is_rss = version.startswith("rss") or not version
    feed.entries = [_xml_entry(entry, url=url, is_rss=is_rss) for entry in result.entries]
    return feed


def _text_construct(detail: Any, fallback: str | None = None) -> str:
    """Plain text of an RSS/Atom text construct (policy 3; RFC 4287 section 3.1)."""
    if detail:
        value = detail.get("value") or ""
        kind = detail.get("type") or "text/plain"
    else:
        value, kind = fallback or "", "text/plain"
    if "html" in kind:  # text/html and application/xhtml+xml
        return html_to_text(value)[:MAX_TITLE]
    return collapse_whitespace(value)[:MAX_TITLE]


def _rel_link(node: Any, rel: str, base: str) -> str:
    for link in node.get("links") or ():
        if link.get("rel") == rel and link.get("href"):
            return http_url(link["href"], base)
    return ""


_SY_PERIODS = {
    "hourly": 3600,
    "daily": 86400,
    "weekly": 604800,
    "monthly": 2592000,
    "yearly": 31536000,
}


def _ttl_seconds(fp_feed: Any) -> int | None:
    """RSS 2.0 ``ttl`` (minutes) or RSS 1.0 ``sy:updatePeriod / sy:updateFrequency``, in seconds."""
    ttl = str(fp_feed.get("ttl") or "").strip()
    if ttl.isdigit() and 0 < int(ttl) < 10**6:
        return int(ttl) * 60
    period = _SY_PERIODS.get(str(fp_feed.get("sy_updateperiod") or "").strip().lower())
    if period:
        frequency = str(fp_feed.get("sy_updatefrequency") or "1").strip()
        frequency_n = int(frequency) if frequency.isdigit() and int(frequency) > 0 else 1
        return max(1, period // frequency_n)
    return None


def _pick_content(entry: Any) -> Any:
    """The entry's main content element: the first non-empty HTML one, else the first non-empty."""
    contents = [c for c in entry.get("content") or () if (c.get("value") or "").strip()]
    for item in contents:
        if "html" in (item.get("type") or ""):
            return item
    return contents[0] if contents else None


def _base(detail: Any, url: str) -> str:
    """The absolute base of a feedparser element: its resolved xml:base over ``url``."""
    xml_base = (detail.get("base") if detail else "") or ""
    return urljoin(url, xml_base) if xml_base else url


def _entry_link(entry: Any) -> str:
    """The item's link as published; a guid feedparser took as the link only when it is one.

    feedparser copies a permalink guid (RSS ``isPermaLink`` not false, and no ``link``
    before it) into ``link``; ``identity.guid_link`` keeps it only when it is an
    absolute http(s) URL.
    """
    link = entry.get("link") or ""
    if entry.get("guidislink") and link == entry.get("id"):
        return guid_link(link)
    return link


def _xml_entry(entry: Any, *, url: str, is_rss: bool) -> ParsedEntry:
    entry_base = _base(entry.get("title_detail"), url)
    link = http_url(_entry_link(entry), entry_base)
    content = _pick_content(entry)
    summary = entry.get("summary_detail")
    if summary is not None and not (summary.get("value") or "").strip():
        summary = None
    if content is None and summary is not None:
        content, summary = summary, None
    if summary is not None and content is not None and summary.get("value") == content.get("value"):
        summary = None
    detail = content or summary
    base = _base(detail, url) if detail else entry_base
    if is_rss and link and not (detail or {}).get("base"):
        base = link  # policy 4: RSS item content without xml:base resolves against the item link
    content_html = content.get("value", "") if content else ""
    content_is_text = bool(content) and (content.get("type") or "") == "text/plain"
    summary_html = ""
    if summary is not None:
        summary_html = summary.get("value", "")
        if (summary.get("type") or "") == "text/plain":
            summary_html = plain_to_html(summary_html)
    author_detail = entry.get("author_detail") or {}
    author = html_to_text(author_detail.get("name") or entry.get("author") or "")[:MAX_AUTHOR]
    published = _date(entry.get("published"), entry.get("published_parsed"))
    if published is None:
        published = _date(entry.get("created"), entry.get("created_parsed"))
    # dict.get: FeedParserDict["updated"] silently falls back to "published".
    updated = _date(dict.get(entry, "updated"), dict.get(entry, "updated_parsed"))
    parsed = ParsedEntry(
        guid=collapse_whitespace(str(entry.get("id") or "")),
        url=normalize_url(link),
        title=_text_construct(entry.get("title_detail"), entry.get("title")),
        author=author,
        summary_html=summary_html,
        content_html=content_html,
        content_is_text=content_is_text,
        base_url=base,
        published=published,
        updated=updated,
        enclosures=enclosures(
            entry.get("enclosures") or (), base, duration=entry.get("itunes_duration")
        ),
        categories=categories(
            tag.get("term") or tag.get("label") for tag in entry.get("tags") or ()
        ),
    )
    parsed.thumbnail_url = _xml_thumbnail(entry, base) or (
        "" if content_is_text else first_image_url(content_html or summary_html, base_url=base)
    )
    _add_media(parsed, entry, link)
    return parsed


def _add_media(parsed: ParsedEntry, entry: Any, link: str) -> None:
    """The body gains the item's Media RSS descriptions, images and video (``mediarss``)."""
    if not entry.get("media_descriptions") and not entry.get("media_content"):
        return
    body = parsed.content_html
    if parsed.content_is_text:
        body = text_to_linked_html(body)
    combined, changed = mediarss.media_body(
        entry,
        body=body,
        base=parsed.base_url,
        link=link,
        thumbnail=parsed.thumbnail_url,
        title=parsed.title,
    )
    if changed:
        parsed.content_html, parsed.content_is_text = combined, False


def _xml_thumbnail(entry: Any, base: str) -> str:
    for thumb in entry.get("media_thumbnail") or ():
        url = http_url(thumb.get("url"), base)
        if url:
            return url
    for media in entry.get("media_content") or ():
        kind = (media.get("type") or "").lower()
        if media.get("medium") == "image" or kind.startswith("image/"):
            url = http_url(media.get("url"), base)
            if url:
                return url
    image = entry.get("image")
    if isinstance(image, dict):
        return http_url(image.get("href") or image.get("url"), base)
    return ""


def _date(raw: Any, parsed: Any) -> dt.datetime | None:
    return parse_date(raw if isinstance(raw, str) else None, parsed)
