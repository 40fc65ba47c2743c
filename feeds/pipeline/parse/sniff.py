"""Sniffing: what a fetched document is before any parser sees it (feed, HTML page)."""

from __future__ import annotations

import re

from feeds.pipeline.parse.encoding import BOMS

__all__ = ["looks_like_html", "sniff_head", "starts_with_html_element"]

_FEED_ROOT_RE = re.compile(rb"<(?:[A-Za-z0-9_]+:)?(?:rss|feed|RDF|channel)\b")
_HTML_RE = re.compile(rb"<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE)


def sniff_head(content: bytes) -> bytes:
    """The first bytes of the document without BOM, whitespace or NULs (UTF-16)."""
    head = content[:2048]
    for bom, _ in BOMS:
        if head.startswith(bom):
            head = head[len(bom) :]
            break
    if b"\x00" in head[:8]:
        head = head.replace(b"\x00", b"")
    return head.lstrip()


def looks_like_html(head: bytes) -> bool:
    """Whether ``head`` has an HTML marker (doctype, html/head/body) before any feed root."""
    match = _HTML_RE.search(head)
    if not match:
        return False
    root = _FEED_ROOT_RE.search(head)
    return root is None or root.start() > match.start()


_HTML_ELEMENTS = frozenset(
    [
        "html",
        "head",
        "body",
        "div",
        "p",
        "span",
        "a",
        "figure",
        "picture",
        "img",
        "section",
        "article",
        "main",
        "header",
        "footer",
        "nav",
        "table",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "meta",
        "link",
        "script",
        "style",
        "form",
        "br",
    ]
)
_FIRST_TAG_RE = re.compile(rb"<([A-Za-z][A-Za-z0-9]*)[\s>/]")


def starts_with_html_element(data: bytes) -> bool:
    """Whether the first element of a document that is not a feed is an HTML one."""
    match = _FIRST_TAG_RE.search(data[:4096])
    return bool(match) and match.group(1).decode().lower() in _HTML_ELEMENTS
