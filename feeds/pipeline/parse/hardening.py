"""XML hardening: the prolog and DOCTYPE rebuilt so that parsing a feed is safe.

Only simple internal entities survive: no external entity, no external DTD, no
parameter entity, no entity that refers to another entity (billion laughs).
Expat additionally never loads external entities.
"""

from __future__ import annotations

import re

from feeds.pipeline.parse.model import ParseError

__all__ = ["prepare_xml"]

_XML_DECL_TEXT_RE = re.compile(r"^<\?xml[^>]{0,200}?\?>")
_FIRST_ELEMENT_RE = re.compile(r"<[A-Za-z_]")
_DOCTYPE_RE = re.compile(r"<!DOCTYPE\b", re.IGNORECASE)
_ENTITY_DECL_RE = re.compile(r"""<!ENTITY\s+([A-Za-z_][\w.\-]*)\s+(?:"([^"]*)"|'([^']*)')\s*>""")
_SAFE_ENTITY_VALUE_RE = re.compile(r"^(?:&#(?:\d{1,7}|x[0-9A-Fa-f]{1,6});|[^&<%\"]{0,200})$")


def prepare_xml(text: str) -> str:
    """Make decoded XML safe and self-consistent for feedparser.

    Drops anything before the first ``<`` (BOM, blank lines: P09), marks the
    declaration as UTF-8 (we re-encode), and replaces a DOCTYPE by one that
    keeps only simple internal entities (no SYSTEM/PUBLIC entities, no
    parameter entities, no entity referring to another one: P28).
    """
    start = text.find("<")
    if start > 0:
        text = text[start:]
    elif start < 0:
        raise ParseError("The address returned text that is not XML, not a feed")
    decl = _XML_DECL_TEXT_RE.match(text)
    if decl:
        text = '<?xml version="1.0" encoding="utf-8"?>' + text[decl.end() :]
    first = _FIRST_ELEMENT_RE.search(text)
    prolog_end = first.start() if first else len(text)
    doctype = _DOCTYPE_RE.search(text, 0, prolog_end)
    if doctype:
        text = _replace_doctype(text, doctype.start(), prolog_end)
    return text


def _doctype_end(text: str, start: int, limit: int) -> int:
    """Index just past the DOCTYPE declaration that starts at ``start``."""
    quote = ""
    depth = 0
    i = start + 2
    while i < limit:
        char = text[i]
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == ">" and depth <= 0:
            return i + 1
        i += 1
    return limit


def _replace_doctype(text: str, start: int, limit: int) -> str:
    end = _doctype_end(text, start, limit)
    declaration = text[start:end]
    name_match = re.match(r"<!DOCTYPE\s+([A-Za-z_][\w.:\-]*)", declaration, re.IGNORECASE)
    name = name_match.group(1) if name_match else "rss"
    safe = []
    for entity, value_dq, value_sq in _ENTITY_DECL_RE.findall(declaration):
        value = value_dq or value_sq
        if _SAFE_ENTITY_VALUE_RE.match(value):
            safe.append(f'<!ENTITY {entity} "{value}">')
    # One declaration per line: feedparser re-reads them with line-anchored patterns.
    replacement = f"\n<!DOCTYPE {name} [\n" + "\n".join(safe) + "\n]>" if safe else ""
    return text[:start] + replacement + text[end:]
