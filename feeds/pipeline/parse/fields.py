"""Field normalizers shared by the feed formats: URLs, enclosures, categories, plain text."""

from __future__ import annotations

import html as html_module
from typing import Any

from feeds.pipeline.parse.model import MAX_CATEGORIES, MAX_CATEGORY, MAX_URL
from feeds.pipeline.sanitize import clean_url, collapse_whitespace, html_to_text

__all__ = ["categories", "enclosures", "http_url", "plain_to_html"]


def http_url(value: Any, base: str) -> str:
    """An absolute http(s) URL (max 2048 chars) or ""."""
    if not isinstance(value, str) or not value.strip():
        return ""
    url = clean_url(value, base_url=base)
    return url if len(url) <= MAX_URL else ""


def plain_to_html(text: str) -> str:
    """Plain text as HTML: characters escaped, line breaks as ``<br>``."""
    return html_module.escape(text.strip(), quote=False).replace("\n", "<br>")


def enclosures(items: Any, base: str) -> list[dict[str, Any]]:
    """Enclosures (RSS ``enclosure``, Atom ``rel="enclosure"``, JSON ``attachments``) as
    ``[{"url": absolute http(s), "type": str (max 100), "length": int | None}]``, unique by URL."""
    result: list[dict[str, Any]] = []
    seen = set()
    for item in items:
        url = http_url(item.get("href") or item.get("url"), base)
        if not url or url in seen:
            continue
        seen.add(url)
        length = str(item.get("length") or item.get("size_in_bytes") or "").strip()
        result.append(
            {
                "url": url,
                "type": collapse_whitespace(str(item.get("type") or item.get("mime_type") or ""))[
                    :100
                ],
                "length": int(length) if length.isdigit() and len(length) < 19 else None,
            }
        )
    return result


def categories(values: Any) -> list[str]:
    """Plain-text category names, unique, in order, at most MAX_CATEGORIES (non-strings skipped)."""
    result: list[str] = []
    for value in values:
        if not isinstance(value, str):
            continue
        text = html_to_text(value)[:MAX_CATEGORY]
        if text and text not in result:
            result.append(text)
        if len(result) >= MAX_CATEGORIES:
            break
    return result
