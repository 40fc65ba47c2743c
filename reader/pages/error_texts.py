"""Plain, translated words for the reading services' errors, as the pages show them."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from reader.errors import ReaderError

_ERROR_MESSAGES = {
    "invalid_url": gettext_lazy(
        "That is not a web address. Paste a link starting with http:// or https://."
    ),
    "subscription_exists": gettext_lazy("You already follow this feed."),
    "discovery_choice": gettext_lazy("This site offers several feeds: pick one."),
    "feed_not_found": gettext_lazy("No feed was found at that address."),
    "feed_unreachable": gettext_lazy(
        "The site could not be reached. Check the address or try later."
    ),
    "category_exists": gettext_lazy("You already have a category with that name."),
    "opml_invalid": gettext_lazy("The file is not a readable OPML file."),
    "opml_too_large": gettext_lazy("The file is too large (the limit is 5 MiB)."),
}


def reader_error_message(exc: ReaderError) -> str:
    """A translated, plain-words message for a reading service error.

    Known ``exc.code`` values get a fixed sentence (with "It breaks at line N." when the
    error carries a ``line``, as OPML errors do); any other error shows ``exc.message``.
    """
    text = _ERROR_MESSAGES.get(getattr(exc, "code", ""))
    if text is None:
        return exc.message
    line = getattr(exc, "line", None)
    if line:
        return f"{text} " + _("It breaks at line %(line)s.") % {"line": line}
    return str(text)
