"""A tolerant tokenizer for OPML that is not well-formed XML: it reads every tag's attributes
without ever changing a value.

An XML parser in recovery mode rewrites what it cannot read: libxml2 turns
``feed?a=1&b=2`` into ``feed?a=1=2``, drops the ``&`` of "Food & Drink", and loses
the outline (or the rest of the file) at an unescaped ``<`` inside an attribute. HTML
tokenizers keep ``<`` inside quotes but decode legacy entities without a semicolon
(``?a=1&not=2`` becomes ``?a=1¬=2`` with ``html.parser``) and nest every
``<outline/>`` under the previous one (``lxml.html``; the HTML standard ignores the
self-closing slash of unknown elements). This scanner reads tags the way a person
reads a broken OPML file:

- an attribute value is the text between its quotes, ``<`` and ``>`` included;
  when the same quote appears inside the value (``description="<a href="x">…</a>"``),
  the closing quote is the first one followed by another attribute (``name=``) or by
  the end of the tag (``/>`` or ``>`` then the next tag or the end of the file);
- only complete references are decoded: XML's five named ones, numeric ones
  (``&#38;``, ``&#x26;``) and HTML named ones with their semicolon (``&eacute;``);
  a bare ``&`` and anything else stay as written. References to entities the
  document declared itself (``declared``) are removed, never expanded;
- a tag ends at a ``>`` or ``/>`` followed by the next tag or the end of the file
  (OPML keeps its data in attributes, so a ``>`` followed by text belongs to a broken
  value) or where the next outline starts; stray characters among the attributes are
  skipped and the first of repeated attribute names wins;
- comments, CDATA sections, processing instructions and DOCTYPEs are skipped;
  text between tags is ignored.

A value never runs past the next ``<outline``, ``</outline>``, ``</body>`` or
``</opml>``: when no plausible closing quote comes before that, the first quote
closes it (as an HTML tokenizer would). Every step moves forward, each search for a
closing quote tries at most ``QUOTE_TRIES`` quotes within ``QUOTE_WINDOW`` characters
and boundaries are found once, so a hostile file costs linear time.
"""

from __future__ import annotations

import html.entities
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

#: How far (characters) to look for a plausible closing quote of a value.
QUOTE_WINDOW = 64 * 1024
#: How many quotes to try as the closing one of a value.
QUOTE_TRIES = 64

_NAME = re.compile(r"[A-Za-z_:][-A-Za-z0-9_:.]*")
_END_TAG = re.compile(r"</\s*([A-Za-z_:][-A-Za-z0-9_:.]*)[^>]*>?")
_ATTR_NAME = re.compile(r"[^\s=/>\"'<]+")
_SPACE = re.compile(r"\s*")
_UNQUOTED = re.compile(r"[^\s>]*")
# After a closing quote: another attribute, or the end of the tag before the next tag.
_AFTER_VALUE = re.compile(
    r"\s+[A-Za-z_:][-A-Za-z0-9_:.]*\s*=|[A-Za-z_:][-A-Za-z0-9_:.]*\s*=\s*[\"']"
    r"|\s*/?>\s*(?:<|\Z)|\s*\Z"
)
# The end of a tag: ">" or "/>" before the next tag or the end of the file (OPML has no
# text between tags, so a ">" followed by text is part of a broken value).
_TAG_END = re.compile(r"/?>(?=\s*(?:<|\Z))")
# Where a value cannot reach: the next outline, or the end of the body.
_BOUNDARY = re.compile(r"<\s*/?\s*(?:outline|body|opml)\b", re.IGNORECASE)
_REFERENCE = re.compile(r"&(?:#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,8})|([A-Za-z][A-Za-z0-9]*));")
_XML_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


@dataclass
class Tag:
    """A start tag (``end`` False) or an end tag (``end`` True).

    ``name`` as written; ``attrs`` maps each attribute name as written to its decoded
    value (the first of repeated names wins); ``line`` is 1-based; ``closed`` is True
    for ``<name/>``; ``cut`` is True when the file ends inside the start tag (a truncated
    file: its last value may be cut short).
    """

    name: str
    line: int
    end: bool = False
    closed: bool = False
    attrs: dict[str, str] = field(default_factory=dict)
    cut: bool = False


def decode_references(value: str, declared: frozenset[str] = frozenset()) -> str:
    """``value`` with its complete character references decoded and nothing else changed.

    XML's named references, numeric references to valid characters and HTML named
    references (WHATWG list) ending in ``;`` are decoded; references to names in
    ``declared`` (entities the document declared) are removed; a bare ``&``, an
    unknown name or an invalid code point stay as written.
    """

    def replace(match: re.Match[str]) -> str:
        decimal, hexadecimal, name = match.groups()
        if name is not None:
            if name in _XML_NAMED:
                return _XML_NAMED[name]
            if name in declared:
                return ""
            return html.entities.html5.get(name + ";", match.group(0))
        code = int(decimal) if decimal is not None else int(hexadecimal, 16)
        if code in (0x9, 0xA, 0xD) or (0x20 <= code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF):
            return chr(code)
        return match.group(0)

    return _REFERENCE.sub(replace, value) if "&" in value else value


def scan_tags(text: str, declared: frozenset[str] = frozenset()) -> Iterator[Tag]:
    """The tags of ``text`` (a decoded document) in order, read tolerantly (see module doc).

    ``declared``: entity names whose references are removed from values. Never raises
    on malformed input.
    """
    boundaries = _Boundaries(text)
    position, line, length = 0, 1, len(text)
    counted = 0  # text[:counted] has been counted into ``line``
    while position < length:
        start = text.find("<", position)
        if start < 0:
            return
        line += text.count("\n", counted, start)
        counted = start
        if text.startswith("<!--", start):
            position = _after(text, "-->", start + 4)
        elif text.startswith("<![CDATA[", start):
            position = _after(text, "]]>", start + 9)
        elif text.startswith("<?", start):
            position = _after(text, "?>", start + 2)
        elif text.startswith("<!", start):
            position = _after_doctype(text, start + 2)
        elif text.startswith("</", start):
            match = _END_TAG.match(text, start)
            if match is None:
                position = start + 2
            else:
                yield Tag(match.group(1), line, end=True)
                position = match.end()
        else:
            name = _NAME.match(text, start + 1)
            if name is None:
                position = start + 1
                continue
            tag = Tag(name.group(0), line)
            position = _read_attributes(text, name.end(), tag, declared, boundaries)
            yield tag


def _after(text: str, marker: str, start: int) -> int:
    found = text.find(marker, start)
    return len(text) if found < 0 else found + len(marker)


def _after_doctype(text: str, start: int) -> int:
    """Past the ``>`` of ``<!DOCTYPE … [ internal subset ] >`` (the subset may hold ``>``)."""
    bracket = text.find("[", start)
    close = text.find(">", start)
    if close < 0:
        return len(text)
    if 0 <= bracket < close:
        end = text.find("]", bracket)
        if end < 0:
            return len(text)
        return _after(text, ">", end)
    return close + 1


class _Boundaries:
    """The next boundary (see ``_BOUNDARY``) at or after a position, found once per region."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.found = -1  # index of the boundary last found (len(text) when none is left)

    def after(self, position: int) -> int:
        if self.found < position:
            match = _BOUNDARY.search(self.text, position)
            self.found = match.start() if match else len(self.text)
        return self.found


def _read_attributes(
    text: str, position: int, tag: Tag, declared: frozenset[str], boundaries: _Boundaries
) -> int:
    """Fill ``tag.attrs`` from ``text[position:]``; the index just past the tag."""
    length = len(text)
    while position < length:
        position = _SPACE.match(text, position).end()
        if position >= length:
            break
        end = _TAG_END.match(text, position)
        if end is not None:
            tag.closed = end.group(0) == "/>"
            return end.end()
        if text[position] == "<" and boundaries.after(position) == position:
            return position  # the next outline starts: this tag was never closed
        name = _ATTR_NAME.match(text, position)
        if name is None:  # a stray quote, slash, "<" or ">" amid the attributes: skip it
            position += 1
            continue
        position = _SPACE.match(text, name.end()).end()
        value = ""
        if text.startswith("=", position):
            position = _SPACE.match(text, position + 1).end()
            if position < length and text[position] in "\"'":
                value, position = _quoted(text, position, boundaries)
            else:
                unquoted = _UNQUOTED.match(text, position)
                value, position = unquoted.group(0), unquoted.end()
        tag.attrs.setdefault(name.group(0), decode_references(value, declared))
    tag.cut = True  # the file ended before the tag did
    return length


def _quoted(text: str, start: int, boundaries: _Boundaries) -> tuple[str, int]:
    """The value of the quoted attribute opening at ``start`` and the index past its quote."""
    quote = text[start]
    first = text.find(quote, start + 1)
    if first < 0:
        return text[start + 1 :], len(text)
    boundary = boundaries.after(start + 1)
    if first > boundary:  # never closed before the next outline: stop there
        return text[start + 1 : boundary].rstrip(), boundary
    limit = min(len(text), start + 1 + QUOTE_WINDOW, boundary)
    candidate = first
    for _try in range(QUOTE_TRIES):
        if not 0 <= candidate < limit:
            break
        if _AFTER_VALUE.match(text, candidate + 1):
            return text[start + 1 : candidate], candidate + 1
        candidate = text.find(quote, candidate + 1, limit)
    return text[start + 1 : first], first + 1
