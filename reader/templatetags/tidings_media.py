"""Template tags of the media proxy: entry HTML and media URLs as the reader's browser loads them.

Pages call the same function as the REST API, ``feeds.media_proxy.proxy_html`` (the site's
``MEDIA_PROXY`` mode, the reader's ``remote_images`` choice), so a change of mode or signing key
needs no re-store. Usage::

    {% load tidings_media %}
    {% entry_html entry %}                 the body (full article, else content, else summary)
    {{ enc.url|media_url }}                an enclosure or thumbnail address
    {% remote_images as images %}          "on", "click" or "off" for the signed-in reader
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from feeds.media_proxy import media_url_for, proxy_html

register = template.Library()


def _images(context: template.Context) -> str:
    user = getattr(context.get("request"), "user", None) or context.get("user")
    return (
        getattr(user, "remote_images", "on") if getattr(user, "is_authenticated", False) else "on"
    )


@register.simple_tag(takes_context=True)
def remote_images(context: template.Context) -> str:
    """The signed-in reader's ``remote_images`` preference (``on`` for visitors)."""
    return _images(context)


@register.simple_tag(takes_context=True)
def entry_html(context: template.Context, entry: Any) -> SafeString:
    """The entry's stored, sanitized HTML (``full_content``, else ``content``, else ``summary``)
    with its media URLs proxied and images shown as the reader chose.

    Marked safe because ``feeds.pipeline.sanitize`` cleaned it before it was stored and
    ``proxy_html`` only replaces URL values with escaped Tidings URLs.
    """
    body = entry.full_content or entry.content or entry.summary or ""
    return mark_safe(proxy_html(body, images=_images(context)))  # noqa: S308 (sanitized at store)


@register.filter
def media_url(url: str) -> str:
    """An enclosure's or thumbnail's address through the media proxy (per ``MEDIA_PROXY``)."""
    return media_url_for(str(url or ""))


@register.filter
def duration(seconds: Any) -> str:
    """Seconds as ``m:ss`` or ``h:mm:ss`` (an episode's length); "" when not a number."""
    try:
        total = int(seconds)
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(max(total, 0), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def split_words(text: str) -> list[str]:
    """``"a b c"`` as ``["a", "b", "c"]`` (a fixed list written in a template)."""
    return str(text).split()
