"""JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1) into the common ``ParsedFeed``."""

from __future__ import annotations

import html as html_module
import json
from typing import Any

from feeds.pipeline.identity import normalize_url
from feeds.pipeline.parse.dates import parse_date
from feeds.pipeline.parse.fields import categories, enclosures, http_url, plain_to_html
from feeds.pipeline.parse.model import (
    MAX_AUTHOR,
    MAX_TITLE,
    ParsedEntry,
    ParsedFeed,
    ParseError,
    RawDocument,
)
from feeds.pipeline.sanitize import collapse_whitespace, first_image_url

__all__ = ["parse_json_feed", "read", "sniff"]


def sniff(document: RawDocument) -> bool:
    """Whether the document is JSON: it starts with ``{``/``[``, or is served as JSON and
    does not start with ``<``."""
    head = document.head
    return head[:1] in (b"{", b"[") or (document.media_type.endswith("json") and head[:1] != b"<")


def read(document: RawDocument) -> ParsedFeed:
    """The document as a JSON Feed (errors as ``parse_json_feed``)."""
    return parse_json_feed(document.content, url=document.url)


def _json_text(value: Any) -> str:
    if value is None or isinstance(value, (dict, list, bool)):
        return ""
    return collapse_whitespace(str(value))


def _json_title(value: Any) -> str:
    """JSON Feed titles are plain text, but publishers often leave HTML character
    references in them ("Blog &#8211; InfluxData"): decoded once, like RSS (policy 3)."""
    return collapse_whitespace(html_module.unescape(_json_text(value)))[:MAX_TITLE]


def _json_id(value: Any) -> str:
    """JSON Feed ids are strings; numbers are compared as their decimal string (P22)."""
    if value is None or isinstance(value, (bool, dict, list)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _json_author(node: dict[str, Any]) -> str:
    authors = node.get("authors")
    if isinstance(authors, list):
        names = [_json_text(a.get("name")) for a in authors if isinstance(a, dict)]
        names = [n for n in names if n]
        if names:
            return ", ".join(names)[:MAX_AUTHOR]
    author = node.get("author")
    if isinstance(author, dict):
        return _json_text(author.get("name"))[:MAX_AUTHOR]
    return ""


def parse_json_feed(content: bytes, *, url: str) -> ParsedFeed:
    """JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1) into a ParsedFeed."""
    try:
        document = json.loads(content)
    except (UnicodeDecodeError, ValueError) as exc:
        detail = (
            f" (line {exc.lineno}, column {exc.colno}: {exc.msg})" if hasattr(exc, "lineno") else ""
        )
        raise ParseError(f"The address returned invalid JSON, not a readable feed{detail}") from exc
    if not isinstance(document, dict):
        raise ParseError("The address returned JSON that is not a JSON Feed")
    version = document.get("version")
    items = document.get("items")
    if not isinstance(items, list):
        raise ParseError(
            "The address returned JSON that is not a JSON Feed "
            '(no "items" list; see https://jsonfeed.org/version/1.1)'
        )
    bozo = ""
    if not (isinstance(version, str) and version.startswith("https://jsonfeed.org/version/")):
        bozo = 'The JSON Feed has no valid "version"; read as JSON Feed 1.1'
    hubs = document.get("hubs") if isinstance(document.get("hubs"), list) else []
    feed_author = _json_author(document)
    feed = ParsedFeed(
        title=_json_title(document.get("title")),
        site_url=http_url(document.get("home_page_url"), url),
        description=_json_text(document.get("description")),
        language=_json_text(document.get("language"))[:35],
        bozo_message=bozo,
        hub_url=next(
            (http_url(h.get("url"), url) for h in hubs if isinstance(h, dict) and h.get("url")), ""
        ),
        self_url=http_url(document.get("feed_url"), url),
        version="json10" if str(version).endswith("/1") else "json11",
    )
    feed.entries = [
        _json_entry(item, url=url, feed_author=feed_author)
        for item in items
        if isinstance(item, dict)
    ]
    return feed


def _json_entry(item: dict[str, Any], *, url: str, feed_author: str) -> ParsedEntry:
    link = http_url(item.get("url"), url)
    base = link or url
    content_html = item.get("content_html") if isinstance(item.get("content_html"), str) else ""
    content_text = item.get("content_text") if isinstance(item.get("content_text"), str) else ""
    summary = _json_text(item.get("summary"))
    is_text = not content_html.strip() and bool(content_text.strip())
    body = content_html if content_html.strip() else content_text
    summary_html = plain_to_html(summary) if summary else ""
    if not body.strip() and summary:
        body, summary_html, is_text = summary, "", True
    attachments = item.get("attachments") if isinstance(item.get("attachments"), list) else []
    tags = item.get("tags") if isinstance(item.get("tags"), list) else []
    entry = ParsedEntry(
        guid=_json_id(item.get("id")),
        url=normalize_url(link),
        title=_json_title(item.get("title")),
        author=_json_author(item) or feed_author,
        summary_html=summary_html,
        content_html=body,
        content_is_text=is_text,
        base_url=base,
        published=parse_date(_json_text(item.get("date_published"))),
        updated=parse_date(_json_text(item.get("date_modified"))),
        enclosures=enclosures((a for a in attachments if isinstance(a, dict)), base),
        categories=categories(tags),
    )
    entry.thumbnail_url = (
        http_url(item.get("image"), base)
        or http_url(item.get("banner_image"), base)
        or ("" if is_text else first_image_url(body, base_url=base))
    )
    return entry
