"""Display titles of entries: the stored title, else the first words of the entry's text.

Social posts (Mastodon, micro.blog, Bluesky bridges) and notes publish items
without a title. Their stored ``Entry.title`` stays empty (it is what the feed
said; identity and duplicate detection use it), and every face that shows a
title (entry lists, the reading pane, search results, the public pages, the
saved-view feeds, the REST API's ``display_title``, the Google Reader and Fever
``title``) shows ``Entry.display_title``, computed here and nowhere else.
"""

from __future__ import annotations

import re

from feeds.pipeline.sanitize import html_to_text

__all__ = ["DISPLAY_TITLE_LENGTH", "display_title", "text_excerpt"]

#: Most characters of a display title taken from an entry's text, ellipsis included.
DISPLAY_TITLE_LENGTH = 80
ELLIPSIS = "…"

# Ends of blocks and line breaks: their text is separated by a space, not run together.
_BLOCK_BREAK_RE = re.compile(
    r"<(?:br|hr|/p|/div|/li|/dt|/dd|/h[1-6]|/blockquote|/pre|/figure|/figcaption|/tr|/td|/th"
    r"|/summary|/details)\b[^>]*>",
    re.IGNORECASE,
)


def text_excerpt(text: str, *, limit: int = DISPLAY_TITLE_LENGTH) -> str:
    """The start of plain ``text`` (whitespace collapsed) in at most ``limit`` characters.

    Text longer than ``limit`` is cut at the last word boundary that leaves room
    for the ellipsis ("…", one character) and ends with it; a first word longer
    than that (or text without spaces, such as Chinese) is cut inside the word.
    Returns "" for blank text. ``limit`` must be at least 2.
    """
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    room = limit - len(ELLIPSIS)
    cut = text[: room + 1]
    space = cut.rfind(" ")
    head = cut[:space] if space > 0 else text[:room]
    return head.rstrip(" ,;:.-–—") + ELLIPSIS


def display_title(*, title: str, html: str, limit: int = DISPLAY_TITLE_LENGTH) -> str:
    """The title to show for an entry: ``title`` when it is not blank, else an excerpt.

    ``title``: the stored plain-text title. ``html``: the entry's sanitized HTML
    body (``Entry.content``, else ``Entry.summary``); its visible text, blocks
    separated by spaces, gives the excerpt (``text_excerpt``, at most ``limit``
    characters). Returns "" when both are empty (an image-only post): faces then
    show their own placeholder. Pure; never raises.
    """
    if title and title.strip():
        return title
    if not html:
        return ""
    return text_excerpt(html_to_text(_BLOCK_BREAK_RE.sub(" ", html)), limit=limit)
