"""Template filters of the web UI: search-term highlighting, plain text of feed HTML,
language names."""

from __future__ import annotations

import html
import re

from django import template
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language_info

register = template.Library()


@register.filter
def plaintext(value: str | None) -> str:
    """``{{ entry.summary|plaintext }}``: the text of sanitized feed HTML, tags stripped,
    character references decoded once (``&amp;`` -> ``&``, ``&nbsp;`` -> a space) and
    whitespace collapsed. Plain text: the template escapes it again when printing it."""
    return " ".join(html.unescape(strip_tags(value or "")).split())


@register.filter
def highlight(text: str, terms: list[str]) -> SafeString:
    """Escape ``text`` and wrap each case-insensitive occurrence of ``terms`` in <mark>."""
    text = str(text or "")  # also a lazy translation, e.g. default:_("(untitled)")
    words = sorted({t for t in terms or [] if t and t.strip()}, key=len, reverse=True)
    if not words:
        return escape(text)
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    out.append(escape(text[last:]))
    return mark_safe("".join(out))  # noqa: S308 (every piece is escaped above)


@register.filter
def language_label(code: str | None) -> str:
    """``{{ source.language|language_label }}``: a language code (BCP 47 as feeds give it,
    "en", "zh-hans", "pt-BR") as its name in the active language ("英语", "简体中文"),
    from Django's language table (``get_language_info``, falling back to the base
    language). An unknown code is shown as it is, never an error."""
    raw = (code or "").strip()
    for candidate in (raw.lower(), raw.lower().split("-")[0]):
        try:
            info = get_language_info(candidate)
        except KeyError:
            continue
        return str(info["name_translated"])
    return raw
