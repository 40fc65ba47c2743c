"""Text hygiene: the characters Tidings never stores or writes.

Feeds carry C0 controls (backspace, ESC sequences, vertical tab...), C1 controls,
lone surrogates (JSON ``"\\ud800"``) and the non-characters U+FFFE/U+FFFF. None of
them is text a reader wants, XML 1.0 forbids most of them (section 2.2, production
``Char``: a document holding one is not well-formed), PostgreSQL refuses NUL, and
printed raw they drive the terminal. So:

- ``clean_parsed_feed`` removes them from every text field of a parsed document, once,
  at the end of ``parse_feed`` (titles, authors, descriptions, categories, content,
  summaries, enclosure fields);
- ``clean_xml_document`` applies the rule to a decoded XML document before it is parsed, so
  a feed whose only fault is such a character still parses as well-formed XML;
- ``remove_control_characters`` is the same rule for one string: the writers of XML
  documents (saved-view feeds, OPML export, Google Reader Atom) apply it to what they
  write, so rows stored before this rule still give well-formed documents.

Tab and line feed are kept (a carriage return becomes a line feed, as an XML parser
would read it). Unicode "Cc" is exactly C0 + DEL + C1; surrogates are category "Cs".
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from feeds.pipeline.parse.model import ParsedEntry, ParsedFeed
from feeds.pipeline.sanitize import collapse_whitespace

__all__ = [
    "CONTROL_CHARACTERS_RE",
    "clean_parsed_feed",
    "clean_xml_document",
    "remove_control_characters",
]

#: Characters removed from stored and written text: C0 controls except tab, LF and CR,
#: DEL, C1 controls, surrogates, U+FFFE and U+FFFF.
CONTROL_CHARACTERS_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Numeric character references to C0 controls (but tab, LF, CR), DEL, U+FFFE/U+FFFF:
# an HTML parser turns them into the characters themselves. (References to 0x80-0x9F
# are windows-1252 characters in HTML, "&#150;" is an en dash: kept.)
_CONTROL_REFERENCE_RE = re.compile(r"&#(?:[xX]0*([0-9a-fA-F]{1,6})|0*([0-9]{1,7}));?")
_FORBIDDEN_REFERENCES = frozenset({*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F})
_FORBIDDEN_REFERENCES |= {0xFFFE, 0xFFFF}
# Single-line fields: whitespace is collapsed again where a removed character stood.
_LINE_FIELDS = frozenset({"title", "author", "description", "language"})
# Raw HTML fields: references to control characters go too.
_HTML_FIELDS = frozenset({"content_html", "summary_html"})
# The guid is an identity: only what can never be stored goes (NUL, surrogates), so
# entries stored with another control character in their guid keep their identity.
_UNSTORABLE_RE = re.compile("[\x00\ud800-\udfff]")


def remove_control_characters(text: str) -> str:
    """``text`` without the characters of ``CONTROL_CHARACTERS_RE``; CR LF and CR become LF.

    Tab and LF stay. Pure, idempotent; returns a new str (the same when nothing changes).
    """
    if not text:
        return text
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return CONTROL_CHARACTERS_RE.sub("", text)


def _drop_control_references(fragment: str) -> str:
    """``fragment`` without numeric references to forbidden characters (``&#27;``)."""
    if "&#" not in fragment:
        return fragment

    def replace(match: re.Match[str]) -> str:
        hex_value, decimal = match.groups()
        code = int(hex_value, 16) if hex_value else int(decimal)
        return "" if code in _FORBIDDEN_REFERENCES else match.group(0)

    return _CONTROL_REFERENCE_RE.sub(replace, fragment)


def clean_xml_document(text: str) -> str:
    """A decoded XML document without the characters XML 1.0 forbids, raw or as references.

    ``remove_control_characters``, then numeric character references to C0 controls
    (but tab, LF, CR), DEL and U+FFFE/U+FFFF are dropped (XML 1.0 WFC "Legal
    Character": ``&#27;`` makes a document not well-formed). Pure.
    """
    return _drop_control_references(remove_control_characters(text))


def _clean_field(name: str, value: str) -> str:
    if name == "guid":
        return _UNSTORABLE_RE.sub("", value)
    cleaned = remove_control_characters(value)
    if name in _HTML_FIELDS:
        cleaned = _drop_control_references(cleaned)
    if name in _LINE_FIELDS and cleaned != value:
        cleaned = collapse_whitespace(cleaned)
    return cleaned


def _clean_value(name: str, value: Any) -> Any:
    if isinstance(value, str):
        return _clean_field(name, value)
    if isinstance(value, dict):
        return {key: _clean_value(key, item) for key, item in value.items()}
    if isinstance(value, list):
        items = [_clean_value(name, item) for item in value]
        if name == "categories":  # plain strings, unique, non-empty
            items = list(dict.fromkeys(collapse_whitespace(item) for item in items))
            items = [item for item in items if item]
        return items
    return value


def _clean_dataclass(item: ParsedFeed | ParsedEntry) -> None:
    for field in dataclasses.fields(item):
        if field.name == "entries":
            continue
        setattr(item, field.name, _clean_value(field.name, getattr(item, field.name)))


def clean_parsed_feed(feed: ParsedFeed) -> ParsedFeed:
    """``feed`` with every text field of the feed and its entries cleaned, in place; returns it.

    Strings lose the characters of ``CONTROL_CHARACTERS_RE`` (``remove_control_characters``);
    raw HTML (``content_html``, ``summary_html``) also loses numeric references to C0
    controls, DEL and U+FFFE/U+FFFF; single-line fields (titles, authors, descriptions)
    and categories have their whitespace collapsed again where a character went, and
    categories left empty or repeated are dropped. Enclosure dicts are cleaned value by
    value. The guid loses only NUL and surrogates (what no database stores), so stored
    entries keep their identity. Never raises.
    """
    _clean_dataclass(feed)
    for entry in feed.entries:
        _clean_dataclass(entry)
    return feed
