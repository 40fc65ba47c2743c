"""Template tags that render the reader's repeated rows in Python (issue 8: pages under 100 ms).

A user with 200 subscriptions made the sidebar include ``reader/_sidebar_sub.html``
200 times per page, and each row included ``_feed_icon.html`` (a ``{% url %}``
each): about half of the page's server time went to template nodes. These tags
build the same markup with ``format_html``; ``reader/_sidebar_sub.html``,
``_feed_icon.html`` and ``_time.html`` stay the reference, and
tests/ui/test_fast_rows.py checks that both give the same HTML.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime

register = template.Library()

_ICON_SIZE = {"lg": 40, "md": 24}
_SENTINEL = "987654321"


def _icon_url_parts() -> tuple[str, str]:
    """``reverse("feed_icon")`` split around the feed id (one reverse per call, not per row)."""
    head, _, tail = reverse("feed_icon", args=[int(_SENTINEL)]).partition(_SENTINEL)
    return head, tail


def _feed_icon(parts: tuple[str, str], feed_id: Any, name: Any, size: str = "") -> str:
    """The markup of ``_feed_icon.html`` (escaped, with the file's final newline);
    ``parts`` from ``_icon_url_parts``."""
    if feed_id:
        px = _ICON_SIZE.get(size, 16)
        cls = f"feed-icon feed-icon-{escape(size)}" if size else "feed-icon"
        src = f"{escape(parts[0])}{int(feed_id)}{escape(parts[1])}"
        return f'<img class="{cls}" src="{src}" alt="" loading="lazy" width="{px}" height="{px}">\n'
    cls = f"avatar avatar-{escape(size)}" if size else "avatar"
    letter = escape(str(name or "?")[:1].upper())
    return f'<span class="{cls}" aria-hidden="true">{letter}</span>\n'


@register.simple_tag
def feed_icon(feed_id: Any, name: Any = "", size: str = "") -> SafeString:
    """``{% feed_icon feed_id name size %}``: same HTML as ``{% include "_feed_icon.html" %}``
    (the feed's icon, or a letter avatar when ``feed_id`` is empty)."""
    return mark_safe(_feed_icon(_icon_url_parts(), feed_id, name, size))  # noqa: S308 (escaped)


@register.simple_tag(takes_context=True)
def time_html(context: template.Context, value: Any, full: bool = False) -> SafeString:
    """``{% time_html value full %}``: same HTML as ``{% include "_time.html" with value=value
    full=full %}`` (a ``<time>`` with the ISO date, the localised date and time as its title,
    and the relative time, or the date when ``full``); just the template's final newline
    for no value."""
    if not value:
        return mark_safe("\n")
    local = template_localtime(value, use_tz=context.use_tz)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>\n',
        date_filter(local, "c"),
        date_filter(local, "DATETIME_FORMAT"),
        date_filter(local, "DATE_FORMAT") if full else naturaltime(value),
    )


@register.simple_tag(takes_context=True)
def sidebar_subs(context: template.Context, subs: Iterable[Any]) -> SafeString:
    """``{% sidebar_subs subscriptions %}``: one ``reader/_sidebar_sub.html`` row per
    subscription (each with ``display_title``, ``unread``, ``current`` set by
    ``reader.ui_selectors``). Rows of stopped feeds (``feed.disabled``, rare; they carry a
    retry form with a CSRF token) are rendered by that template itself."""
    show = escape(context.get("show", ""))
    parts = _icon_url_parts()
    stopped_row = None
    out: list[str] = []
    for sub in subs:
        feed = sub.feed
        if feed.disabled:
            if stopped_row is None:
                stopped_row = context.template.engine.get_template("reader/_sidebar_sub.html")
            with context.push(sub=sub):
                out.append(stopped_row.render(context))
            continue
        error = feed.last_error
        pk = int(sub.pk)
        unread = int(sub.unread or 0)
        cat = "" if sub.category_id is None else int(sub.category_id)
        out.append(
            format_html(
                '<li class="side-sub{}"><a class="side-link" href="?show={}&amp;sub={}"{}{}>'
                '{}<span class="label">{}</span><span class="count" data-count-for="sub-{}" '
                'data-cat="{}" data-count="{}">{}</span></a></li>\n',
                " has-error" if error else "",
                show,
                pk,
                mark_safe(' aria-current="page"') if sub.current else "",
                format_html(' title="{}"', error) if error else "",
                mark_safe(_feed_icon(parts, sub.feed_id, sub.display_title)),  # noqa: S308
                sub.display_title,
                pk,
                cat,
                unread,
                unread or "",
            )
        )
    return mark_safe("".join(out))  # noqa: S308 (every row is built by format_html or a template)
