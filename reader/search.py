"""Search conditions over entries (alias ``e``): PostgreSQL full-text + trigram, SQLite substring.

Query syntax (parsed by ``parse_query``): words must all match; ``"a phrase"``
matches the words in order; a leading ``-`` excludes a word or phrase; ``OR``
between words is passed to PostgreSQL's ``websearch_to_tsquery``.

PostgreSQL's default parser keeps a run of Chinese/Japanese/Korean characters as
one token, so a CJK word inside a sentence is not a full-text lexeme. Terms that
contain CJK characters are therefore matched as substrings (``ILIKE``), which the
GIN trigram index ``reader_entry_trgm_idx`` serves; other terms use the GIN
full-text index ``reader_entry_fts_idx``. Both index the same document,
``reader_entry_doc(title, summary, content)`` (migration reader 0003).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DOC = "reader_entry_doc(e.title, e.summary, e.content)"
TSV = f"to_tsvector('simple'::regconfig, {DOC})"

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
#: Characters written without spaces between words (a regex class, also used in SQL).
#: Equal to the predicate of the partial index ``reader_entry_trgm_cjk_idx`` (migration 0004).
CJK_CLASS = (
    "[\u2e80-\u2fdf\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]"
)
_CJK = re.compile(CJK_CLASS)


@dataclass(frozen=True)
class Term:
    """One search term: ``text`` (a word or phrase), ``exclude``, ``phrase``, ``cjk``."""

    text: str
    exclude: bool = False
    phrase: bool = False

    @property
    def cjk(self) -> bool:
        return bool(_CJK.search(self.text))


def parse_query(q: str) -> list[Term]:
    """Terms of a search string; quotes group phrases, a leading ``-`` excludes.

    ``OR`` (upper case) is kept as a term with text "OR" (only full-text uses it).
    """
    terms = []
    for match in _TOKEN.finditer(q[:500]):
        neg, phrase, word = match.groups()
        if phrase is not None:
            text = " ".join(phrase.split())
            if text:
                terms.append(Term(text, exclude=bool(neg), phrase=True))
        elif word:
            exclude = word.startswith("-") and len(word) > 1
            text = word[1:] if exclude else word
            terms.append(Term(text, exclude=exclude))
    return terms


def _websearch(terms: list[Term]) -> str:
    parts = []
    for t in terms:
        text = f'"{t.text}"' if t.phrase else t.text
        parts.append(f"-{text}" if t.exclude else text)
    return " ".join(parts)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def condition_sql(q: str, *, vendor: str) -> tuple[str, list[str]]:
    """SQL condition (no leading AND) matching entries ``e`` for ``q``, and its parameters.

    An empty or unparseable query gives a condition matching nothing.
    """
    terms = parse_query(q)
    if not terms:
        return "1 = 0", []
    if vendor != "postgresql":
        return _sqlite_condition(terms)
    sql, params = [], []
    fts_terms = [t for t in terms if not t.cjk]
    if any(not t.exclude and t.text != "OR" for t in fts_terms):
        sql.append(f"{TSV} @@ websearch_to_tsquery('simple', %s)")
        params.append(_websearch(fts_terms))
    elif fts_terms:  # only exclusions: no index can help, still correct
        for t in fts_terms:
            if t.text != "OR":
                sql.append(f"NOT ({TSV} @@ phraseto_tsquery('simple', %s))")
                params.append(t.text)
    for t in terms:
        if t.cjk and t.exclude:
            sql.append(f"{DOC} NOT LIKE %s")
            params.append(_like(t.text))
        elif t.cjk:
            # The class test is implied by the match; it lets PostgreSQL use the
            # partial trigram index, whose predicate it repeats verbatim.
            sql.append(f"{DOC} LIKE %s AND {DOC} ~ '{CJK_CLASS}'")
            params.append(_like(t.text))
    return "(" + " AND ".join(sql or ["1 = 0"]) + ")", params


def _sqlite_condition(terms: list[Term]) -> tuple[str, list[str]]:
    sql, params = [], []
    for t in terms:
        if t.text == "OR" and not t.phrase:
            continue
        match = (
            "(e.title LIKE %s ESCAPE '\\' OR e.content LIKE %s ESCAPE '\\' "
            "OR e.summary LIKE %s ESCAPE '\\')"
        )
        sql.append(f"NOT {match}" if t.exclude else match)
        params += [_like(t.text)] * 3
    return "(" + " AND ".join(sql or ["1 = 0"]) + ")", params


def rank_sql(q: str, *, vendor: str) -> tuple[str, list[str]]:
    """SQL expression ranking entries ``e`` for ``q`` (higher is better), and its parameters.

    PostgreSQL: ``ts_rank`` of the full-text terms; "" (no rank: callers order
    by date) with only CJK terms or on SQLite.
    """
    terms = [t for t in parse_query(q) if not t.cjk]
    if vendor != "postgresql" or not any(not t.exclude and t.text != "OR" for t in terms):
        return "", []
    return f"ts_rank({TSV}, websearch_to_tsquery('simple', %s))", [_websearch(terms)]
