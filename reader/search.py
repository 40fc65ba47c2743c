"""Search conditions over entries (alias ``e``): full text + CJK bigrams, PostgreSQL or SQLite.

Query syntax (parsed by ``parse_query``): words must all match; ``"a phrase"``
matches the words in order; a leading ``-`` excludes a word or phrase; ``OR``
between words matches either (PostgreSQL's ``websearch_to_tsquery`` rules: ``a OR b c``
is ``(a OR b) AND c``). Words are whole words, case-insensitive, without stemming.

SQLite matches the same document through the FTS5 table ``reader_entry_fts``
(``reader.search_index_sqlite``): ``fts5_match`` writes the query in FTS5 syntax, CJK
words as phrases of bigrams as below.

PostgreSQL matches the stored ``feeds_entry.search_tsv`` (migration reader 0007,
GIN index ``reader_entry_search_idx``): ``to_tsvector('simple', ...)`` of the
title and the content (or summary), tags stripped, first 20,000 characters.
PostgreSQL's parser keeps a run of Chinese/Japanese/Korean letters as one
token, so a CJK word inside a sentence would not be a lexeme; the stored
document therefore replaces each run of CJK letters by its character bigrams
and its last character (``search_text``: ``包邮快递`` -> ``包邮 邮快 快递 递``; a
run of n letters keeps n positions). A CJK query word becomes its bigrams in
adjacent positions (``'包邮' <-> '邮快'``), a one-letter word a prefix
(``'猫':*``), so both use the same GIN index as other words and are ranked alike.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

#: The stored search vector of entry ``e`` (PostgreSQL; migration reader 0007).
TSV = "e.search_tsv"

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
#: Characters written without spaces between words (a regex class, also used in SQL).
#: Equal to the predicate of migration 0004's old partial trigram index; ``reader.rules``
#: uses it to decide whether a rule word needs word boundaries.
CJK_CLASS = (
    "[\u2e80-\u2fdf\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]"
)
#: ``CJK_CLASS`` compiled: ``CJK.search(word)`` tells whether a word has such characters.
CJK = re.compile(CJK_CLASS)
#: CJK letters (no punctuation) whose runs are indexed as bigrams. Equal to
#: ``CJK_LETTERS`` of migration reader 0007 (the SQL side of ``search_text``).
CJK_LETTERS = (
    "[\u1100-\u11ff\u3005-\u3007\u3041-\u30fa\u30fc-\u30ff\u3105-\u312f\u3131-\u318e"
    "\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f]"
)
_CJK_RUN = re.compile(f"({CJK_LETTERS}+)|([^{CJK_LETTERS[1:]}+)")
_HAS_CJK_LETTER = re.compile(CJK_LETTERS)
# A word the text search parser keeps (it drops punctuation-only words).
_HAS_WORD_CHAR = re.compile(r"[^\W_]")


@dataclass(frozen=True)
class Term:
    """One search term: ``text`` (a word or phrase), ``exclude``, ``phrase``, ``cjk``."""

    text: str
    exclude: bool = False
    phrase: bool = False

    @property
    def cjk(self) -> bool:
        """True when the term holds a CJK letter (it is then matched through bigrams)."""
        return bool(_HAS_CJK_LETTER.search(self.text))


def parse_query(q: str) -> list[Term]:
    """Terms of a search string (first 500 characters); quotes group phrases, ``-`` excludes.

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


def search_text(doc: str) -> str:
    """``doc`` with each run of CJK letters replaced by its bigrams and its last letter.

    The Python twin of the SQL function ``reader_entry_search_text`` (migration
    reader 0007), which applies it to the entry document: ``"买包邮!"`` ->
    ``"买包 包邮 邮 !"`` (give or take spaces). Text without CJK letters is returned as is.
    """
    if not _HAS_CJK_LETTER.search(doc):
        return doc
    out = []
    for run, other in _CJK_RUN.findall(doc):
        if run:
            out.append(" " + " ".join(run[i : i + 2] for i in range(len(run))) + " ")
        else:
            out.append(other)
    return "".join(out)


def _quote(text: str) -> str:
    """A quoted ``to_tsquery`` operand (the parser splits it into words itself)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def _cjk_tsquery(text: str) -> str:
    """``to_tsquery`` text matching ``text`` (holding CJK letters) as a phrase over ``search_tsv``.

    Each CJK run of n >= 2 letters is its n - 1 bigrams at adjacent positions
    and occupies n positions in the document (bigrams plus the last letter); a
    one-letter run is that letter as a lexeme prefix when it ends the phrase
    (the document's run may go on), else the exact last-letter lexeme. Other
    words are quoted operands. "" when nothing is left to match.
    """
    parts: list[tuple[str, int]] = []  # (operand, positions from its last lexeme to the next)
    for run, other in _CJK_RUN.findall(text):
        if run and len(run) == 1:
            parts.append((_quote(run), 1))
        elif run:
            bigrams = [_quote(run[i : i + 2]) for i in range(len(run) - 1)]
            parts.append((" <-> ".join(bigrams), 2))
        else:
            parts += [(_quote(w), 1) for w in other.split() if _HAS_WORD_CHAR.search(w)]
    if not parts:
        return ""
    last_run = _CJK_RUN.findall(text)[-1][0]
    if last_run and len(last_run) == 1 and parts[-1][0] == _quote(last_run):
        parts[-1] = (parts[-1][0] + ":*", 1)
    expr, gap = f"({parts[0][0]})", parts[0][1]
    for operand, next_gap in parts[1:]:
        op = "<->" if gap == 1 else f"<{gap}>"
        expr, gap = f"({expr} {op} ({operand}))", next_gap
    return expr


def _websearch(terms: list[Term]) -> str:
    parts = []
    for t in terms:
        text = f'"{t.text}"' if t.phrase else t.text
        parts.append(f"-{text}" if t.exclude else text)
    return " ".join(parts)


def tsquery_sql(q: str) -> tuple[str, list[str]] | None:
    """PostgreSQL ``tsquery`` expression for ``q`` and its parameters; None when nothing can match.

    Words without CJK letters go through ``websearch_to_tsquery('simple', ...)``
    (phrases, ``-`` and ``OR`` as websearch defines them); each term with CJK
    letters is ANDed (or, excluded, AND NOT-ed) as a ``to_tsquery('simple', ...)``
    phrase of bigrams (``_cjk_tsquery``). A query of exclusions only is a valid
    tsquery (matching every entry without those words).
    """
    terms = parse_query(q)
    words = [t for t in terms if not t.cjk]
    cjk = []
    for t in terms:
        if t.cjk and (text := _cjk_tsquery(t.text)):
            cjk.append(f"!{text}" if t.exclude else text)
    sql, params = [], []
    if any(t.text != "OR" or t.phrase for t in words):
        sql.append("websearch_to_tsquery('simple'::regconfig, %s)")
        params.append(_websearch(words))
    if cjk:
        sql.append("to_tsquery('simple'::regconfig, %s)")
        params.append(" & ".join(cjk))
    if not sql:
        return None
    return "(" + " && ".join(sql) + ")", params


def condition_sql(q: str, *, vendor: str) -> tuple[str, list[str]]:
    """SQL condition (no leading AND) matching entries ``e`` for ``q``, and its parameters.

    PostgreSQL: ``e.search_tsv @@ tsquery`` (GIN index ``reader_entry_search_idx``).
    SQLite: ``e.id`` in (or, for exclusions only, not in) the FTS5 matches of ``fts5_match``.
    An empty or unparseable query gives a condition matching nothing.
    """
    terms = parse_query(q)
    if not terms:
        return "1 = 0", []
    if vendor != "postgresql":
        return _sqlite_condition(terms)
    query = tsquery_sql(q)
    if query is None:
        return "1 = 0", []
    return f"{TSV} @@ {query[0]}", query[1]


def _fts5_string(text: str, prefix: bool = False) -> str:
    return '"' + text.replace('"', '""') + '"' + ("*" if prefix else "")


def _fts5_render(segments: list[tuple[bool, str]]) -> str:
    parts = []
    for i, (is_cjk, text) in enumerate(segments):
        last = i == len(segments) - 1
        if not is_cjk:
            parts.append(_fts5_string(text))
        elif len(text) == 1:
            parts.append(_fts5_string(text, prefix=last))
        else:
            tokens = [text[j : j + 2] for j in range(len(text) - 1)]
            parts.append(_fts5_string(" ".join(tokens if last else [*tokens, text[-1]])))
    return " + ".join(parts)


def _fts5_phrase(text: str) -> str:
    """FTS5 expression matching ``text`` as a phrase of the bigram document; "" if nothing to match.

    As ``_cjk_tsquery``: a CJK run of n >= 2 letters is its bigrams, followed by its last
    letter when more of the phrase follows (the document's run ends there too); a one-letter
    run is that letter, a prefix when it ends the phrase; other words are FTS5 strings. Two
    CJK runs separated by spaces or punctuation only (``"北京 旅游"``) may be one run in the
    text (``北京旅游``) or two (``北京，旅游``), which PostgreSQL matches with a gap (``<2>``):
    here each reading is a phrase of its own, ORed (every combination up to three such
    junctions; beyond that all joined or all apart).
    """
    segments: list[tuple[bool, str]] = []
    for run, other in _CJK_RUN.findall(text):
        if run:
            segments.append((True, run))
        elif _HAS_WORD_CHAR.search(other):
            segments.append((False, other))
    if not segments:
        return ""
    junctions = [i for i in range(len(segments) - 1) if segments[i][0] and segments[i + 1][0]]
    if len(junctions) <= 3:
        choices = list(itertools.product((False, True), repeat=len(junctions)))
    else:
        choices = [(False,) * len(junctions), (True,) * len(junctions)]
    readings = []
    for choice in choices:
        joined = {i for i, join in zip(junctions, choice, strict=True) if join}
        merged: list[tuple[bool, str]] = []
        for i, segment in enumerate(segments):
            if i - 1 in joined:
                merged[-1] = (True, merged[-1][1] + segment[1])
            else:
                merged.append(segment)
        readings.append(_fts5_render(merged))
    if len(readings) == 1:
        return readings[0]
    return "(" + " OR ".join(f"({r})" for r in readings) + ")"


def fts5_match(terms: list[Term]) -> tuple[str, str]:
    """``(wanted, excluded)`` FTS5 expressions for ``terms`` (``parse_query``); "" when none.

    ``wanted`` ANDs the groups of words and phrases (``OR`` joins neighbours into one
    group, as ``websearch_to_tsquery`` does); ``excluded`` ORs the ``-`` terms.
    """
    groups: list[list[str]] = []
    excluded: list[str] = []
    join_next = False
    for term in terms:
        if term.text == "OR" and not term.phrase:
            join_next = bool(groups)
            continue
        phrase = _fts5_phrase(term.text)
        if not phrase:
            join_next = False
        elif term.exclude:
            excluded.append(phrase)
            join_next = False
        elif join_next:
            groups[-1].append(phrase)
            join_next = False
        else:
            groups.append([phrase])
    wanted = " AND ".join("(" + " OR ".join(group) + ")" for group in groups)
    return wanted, " OR ".join(excluded)


#: Entry ids whose document matches an FTS5 expression (SQLite, ``reader.search_index_sqlite``).
_FTS_IDS = "SELECT rowid FROM reader_entry_fts WHERE reader_entry_fts MATCH %s"


def _sqlite_condition(terms: list[Term]) -> tuple[str, list[str]]:
    wanted, excluded = fts5_match(terms)
    if wanted and excluded:
        return f"e.id IN ({_FTS_IDS})", [f"({wanted}) NOT ({excluded})"]
    if wanted:
        return f"e.id IN ({_FTS_IDS})", [wanted]
    if excluded:
        return f"e.id NOT IN ({_FTS_IDS})", [excluded]
    return "1 = 0", []


def rank_sql(q: str, *, vendor: str) -> tuple[str, list[str]]:
    """SQL expression ranking entries ``e`` for ``q`` (a float, higher is better), and its params.

    PostgreSQL: ``ts_rank`` of ``search_tsv`` against the query (CJK words
    included); "" (no rank: callers order by date) without a word to find or on SQLite.
    """
    if vendor != "postgresql" or not any(
        not t.exclude and (t.text != "OR" or t.phrase) for t in parse_query(q)
    ):
        return "", []
    query = tsquery_sql(q)
    if query is None:
        return "", []
    return f"ts_rank({TSV}, {query[0]})", query[1]
