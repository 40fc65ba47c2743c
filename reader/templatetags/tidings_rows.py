"""Template tags that render the reader's repeated rows in Python (pages under 100 ms).

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
from django.utils.translation import gettext

from reader.feed_errors import feed_error_text, feed_stopped_text

register = template.Library()


@register.filter
def feed_error(feed: Any) -> str:
    """``{{ feed|feed_error }}``: the feed's last fetch error in plain words of the active
    language (``reader.feed_errors.feed_error_text``)."""
    return feed_error_text(feed)


@register.filter
def feed_stopped(feed: Any) -> str:
    """``{{ feed|feed_stopped }}``: why Tidings stopped fetching the feed, in the active
    language ("" when it did not; ``reader.feed_errors.feed_stopped_text``)."""
    return feed_stopped_text(feed)


_ICON_SIZE = {"lg": 40, "md": 24}
_SENTINEL = "987654321"
_CURRENT = ' aria-current="page"'


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
    ``reader.reader_page_selectors``). Rows of stopped feeds (``feed.disabled``, rare; they carry a
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
        error = feed_error_text(feed) if feed.last_error else ""
        pk = int(sub.pk)
        unread = int(sub.unread or 0)
        cat = "" if sub.category_id is None else int(sub.category_id)
        # Plain strings with escape() on every value: format_html cost ~25 us a row.
        classes = "side-sub has-error" if error else "side-sub"
        current = _CURRENT if sub.current else ""
        title = f' title="{escape(error)}"' if error else ""
        icon = _feed_icon(parts, sub.feed_id, sub.display_title)
        out.append(
            f'<li class="{classes}"><a class="side-link" href="?show={show}&amp;sub={pk}"'
            f'{current}{title}>{icon}<span class="label">{escape(sub.display_title)}</span>'
            f'<span class="count" data-count-for="sub-{pk}" data-cat="{cat}" '
            f'data-count="{unread}">{unread or ""}</span></a></li>\n'
        )
    return mark_safe("".join(out))  # noqa: S308 (every value is escaped above, or a template)


def _url_parts(name: str) -> tuple[str, str]:
    """``reverse(name, args=[id])`` split around the id (one reverse per page, not per row)."""
    head, _, tail = reverse(name, args=[int(_SENTINEL)]).partition(_SENTINEL)
    return escape(head), escape(tail)


_SUBSCRIPTION_ROW = """
      <tr id="sub-{pk}">
        <td><input type="checkbox" name="ids" value="{pk}" form="bulk-form" aria-label="{select}"></td>
        <td class="name"><div class="sub-title">{icon}<a href="{reader}?show=all&amp;sub={pk}">{title}</a></div><div class="sub-url">{feed_url}</div></td>
        <td>{category}</td>
        <td>
{blank}
          <div class="status-line">{fetched}</div>
          <div class="status-line">{t_next} {next_fetch}</div>
{blank}
        </td>
        <td>
          <details><summary>{t_edit}</summary>
            <form method="post" action="{edit}">{csrf}
              <label for="title-{pk}">{t_title}</label>
              <input id="title-{pk}" type="text" name="title" value="{sub_title}" placeholder="{feed_title}">
              <label for="cat-{pk}">{t_category}</label>
              <select id="cat-{pk}" name="category"><option value="">{t_uncategorized}</option>{options}</select>
              <label for="newcat-{pk}">{t_new_category}</label>
              <input id="newcat-{pk}" type="text" name="new_category" maxlength="255">
              <button class="button button-small" type="submit">{t_save}</button>
            </form>
            <form method="post" action="{full_text}" class="full-text-form">{csrf}
              <input type="hidden" name="enabled" value="{enabled}">
              <p class="small muted">{full_text_state}</p>
              <button class="button button-small button-quiet" type="submit">{full_text_action}</button>
            </form>
            <form method="post" action="{delete}">{csrf}
              <button class="button button-danger button-small" type="submit" data-confirm="{t_confirm}">{t_unsubscribe}</button>
            </form>
          </details>
        </td>
      </tr>
"""  # noqa: E501 (the lines of reader/_subscription_row.html)


@register.simple_tag(takes_context=True)
def subscription_rows(
    context: template.Context, subs: Iterable[Any], categories: Iterable[Any]
) -> SafeString:
    """``{% subscription_rows subscriptions categories %}``: one ``reader/_subscription_row.html``
    row per subscription (each with ``display_title`` and ``error_text`` from
    ``reader.subscription_page_selectors.subscription_rows``). Rows of feeds with an error,
    errors counted or fetching stopped (they show a status and may carry a retry form) are
    rendered by that template itself; the healthy rest is built here with the strings
    translated once."""

    categories = list(categories)
    token = context.get("csrf_token")
    csrf = (
        format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)
        if token and token != "NOTPROVIDED"  # noqa: S105 (Django's marker, not a secret)
        else ""
    )
    words = {
        key: escape(gettext(msgid))
        for key, msgid in {
            "t_next": "Next fetch",
            "t_edit": "Edit",
            "t_title": "Title",
            "t_category": "Category",
            "t_uncategorized": "Uncategorized",
            "t_new_category": "Or a new category",
            "t_save": "Save",
            "t_confirm": "Unsubscribe from this feed?",
            "t_unsubscribe": "Unsubscribe",
        }.items()
    }
    last_fetched, not_fetched = escape(gettext("Last fetched")), escape(gettext("Not fetched yet"))
    full_text = {
        True: (
            escape(gettext("Full articles of new entries are fetched.")),
            escape(gettext("Stop fetching full articles")),
        ),
        False: (
            escape(gettext("Only what the feed sends is shown.")),
            escape(gettext("Fetch full articles")),
        ),
    }
    select = gettext("Select %(title)s")
    options = [(cat.pk, escape(cat.title)) for cat in categories]
    icon_parts = _icon_url_parts()
    reader_url = escape(reverse("reader"))
    urls = {
        key: _url_parts(name)
        for key, name in (
            ("edit", "subscription_edit"),
            ("full_text", "subscription_full_text"),
            ("delete", "subscription_delete"),
        )
    }
    unusual_row = None
    out: list[str] = []
    for sub in subs:
        feed = sub.feed
        if sub.error_text or feed.disabled or feed.error_count:
            if unusual_row is None:
                unusual_row = context.template.engine.get_template("reader/_subscription_row.html")
            with context.push(sub=sub, categories=categories):
                out.append(unusual_row.render(context))
            continue
        pk = int(sub.pk)
        title = escape(sub.display_title)
        fetched = (
            f"{last_fetched} {time_html(context, feed.last_fetched_at)}"
            if feed.last_fetched_at
            else not_fetched
        )
        state, action = full_text[bool(sub.fetch_full_text)]
        out.append(
            _SUBSCRIPTION_ROW.format(
                pk=pk,
                select=select % {"title": title},
                icon=_feed_icon(icon_parts, sub.feed_id, sub.display_title),
                reader=reader_url,
                title=title,
                feed_url=escape(feed.url),
                category=(
                    escape(sub.category.title)
                    if sub.category_id and sub.category.title
                    else words["t_uncategorized"]
                ),
                fetched=fetched,
                next_fetch=time_html(context, feed.next_fetch_at),
                csrf=csrf,
                sub_title=escape(sub.title),
                feed_title=escape(feed.title),
                options="".join(
                    f'<option value="{cat_pk}"{" selected" if cat_pk == sub.category_id else ""}>'
                    f"{cat_title}</option>"
                    for cat_pk, cat_title in options
                ),
                enabled="0" if sub.fetch_full_text else "1",
                full_text_state=state,
                full_text_action=action,
                **{key: f"{head}{pk}{tail}" for key, (head, tail) in urls.items()},
                blank=" " * 10,  # the template's lines of the error and retry blocks
                **words,
            )
        )
    return mark_safe("".join(out))  # noqa: S308 (every value is escaped above)
