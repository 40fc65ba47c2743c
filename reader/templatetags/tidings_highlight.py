"""Template filters for keyword highlights in entry titles (``User.highlight_words``)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from reader.templatetags.tidings_ui import highlight

register = template.Library()

#: Most highlight words taken from the preference (the rest is ignored).
MAX_KEYWORDS = 50


def keyword_list(words: str) -> list[str]:
    """The user's highlight words: the preference split on commas (and new lines), trimmed,
    empty ones dropped, at most ``MAX_KEYWORDS``."""
    parts = (words or "").replace("\n", ",").replace("，", ",").split(",")
    return [w.strip() for w in parts if w.strip()][:MAX_KEYWORDS]


@register.filter
def keywords(text: str, words: str) -> SafeString:
    """Escape ``text``, then wrap each case-insensitive occurrence of the comma-separated
    ``words`` (``User.highlight_words``) in ``<mark class="keyword">``.

    Usage: ``{{ e.title|keywords:user.highlight_words }}``. Escaping comes first, so
    markup in titles or in the words is never interpreted.
    """
    marked = highlight(text, keyword_list(words))
    return SafeString(marked.replace("<mark>", '<mark class="keyword">'))
