"""Search text: what the full-text index holds, and the query language readers type.

Both engines split words at spaces and punctuation, which finds nothing in Chinese or Japanese
(no spaces). So every run of Han, Hiragana or Katakana characters is also indexed as its
overlapping bigrams (``東京都`` adds ``東京 京都``), and a query's runs become the phrase of
their bigrams: any word of two or more characters is found. The same expansion runs in SQL on
PostgreSQL (migration 0003 writes it as a function); :func:`search_text` is the SQLite twin the
engine registers, and both must stay byte-for-byte alike.

The query language is small and the same on both backends: words (all must match), ``"a
phrase"``, ``word*`` for a prefix, ``-word`` to exclude, ``a OR b``. Everything else is
punctuation. It compiles to an FTS5 MATCH expression or a PostgreSQL tsquery whose operands
are letters and digits only, so the engines never see syntax of the reader's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aggregator.errors import QueryError

__all__ = [
    "CJK_CLASS",
    "INDEXED_CHARS",
    "MAX_QUERY_CHARS",
    "QueryError",
    "SearchQuery",
    "Term",
    "fts5_match",
    "parse_query",
    "search_text",
    "tsquery",
]

# Han (with extension A and compatibility ideographs), Hiragana and Katakana.
CJK_CLASS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Index only this much of a body: PostgreSQL refuses tsvectors over 1 MB, and the first
# 100,000 characters of an article say what it is about.
INDEXED_CHARS = 100_000
# Longer queries are refused before they reach the engine.
MAX_QUERY_CHARS = 500
MAX_TERMS = 32

_CJK_RUN = re.compile(f"[{CJK_CLASS}]{{2,}}")
_CJK_ONLY = re.compile(f"^[{CJK_CLASS}]+$")
_WORD = re.compile(r"[^\W_]+")
_TOKEN = re.compile(r'-?"[^"]*"\*?|\S+')


def search_text(value: str | None) -> str:
    """The indexed form of a title or body: the text, then the bigrams of its CJK runs."""
    if value is None:
        return ""
    value = value[:INDEXED_CHARS]
    grams = [run[i : i + 2] for run in _CJK_RUN.findall(value) for i in range(len(run) - 1)]
    return value + " " + " ".join(grams)


@dataclass(frozen=True, slots=True)
class Term:
    """A phrase of one or more tokens (lower-case letters and digits), maybe a prefix."""

    tokens: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """All of ``required`` (each a set of alternatives) and none of ``excluded``."""

    required: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...]

    @property
    def words(self) -> tuple[str, ...]:
        """Every token a match can contain, for highlighting."""
        return tuple(t for alts in self.required for term in alts for t in term.tokens)


def parse_query(text: str) -> SearchQuery:
    """Parse what a reader typed; QueryError says what is wrong with it."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is longer than {MAX_QUERY_CHARS} characters")
    if text.count('"') % 2:
        raise QueryError('a quote (") is not closed')
    required: list[list[Term]] = []
    excluded: list[Term] = []
    join_next = False
    for token in _TOKEN.findall(text):
        if token == "OR":
            join_next = bool(required)
            continue
        negated = token.startswith("-") and len(token) > 1
        term = _term(token[1:] if negated else token)
        if term is None:
            continue
        if negated:
            excluded.append(term)
        elif join_next:
            required[-1].append(term)
        else:
            required.append([term])
        join_next = False
    return _checked(SearchQuery(tuple(tuple(a) for a in required), tuple(excluded)))


def _checked(query: SearchQuery) -> SearchQuery:
    if not query.required:
        raise QueryError("type a word to search for (letters or digits)")
    count = sum(len(alts) for alts in query.required) + len(query.excluded)
    if count > MAX_TERMS:
        raise QueryError(f"at most {MAX_TERMS} words, please")
    return query


def _term(token: str) -> Term | None:
    prefix = token.endswith("*")
    words = _WORD.findall(token.strip('"*').lower())
    tokens: list[str] = []
    for word in words:
        tokens.extend(_bigrams(word) if _CJK_ONLY.match(word) and len(word) > 1 else [word])
    if not tokens:
        return None
    # A prefix of a CJK bigram phrase means nothing to either engine: match the phrase.
    return Term(tuple(tokens), prefix=prefix and not _CJK_ONLY.match(tokens[-1]))


def _bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def fts5_match(query: SearchQuery) -> str:
    """The FTS5 MATCH expression of ``query`` (operands are quoted letters and digits)."""
    groups = [_fts5_alternatives(alts) for alts in query.required]
    expression = " AND ".join(groups)
    for term in query.excluded:
        expression = f"({expression}) NOT {_fts5_term(term)}"
    return expression


def _fts5_alternatives(alternatives: tuple[Term, ...]) -> str:
    if len(alternatives) == 1:
        return _fts5_term(alternatives[0])
    return "(" + " OR ".join(_fts5_term(term) for term in alternatives) + ")"


def _fts5_term(term: Term) -> str:
    return '"' + " ".join(term.tokens) + '"' + ("*" if term.prefix else "")


def tsquery(query: SearchQuery) -> str:
    """The ``to_tsquery('simple', ...)`` text of ``query``."""
    groups = [_ts_alternatives(alts) for alts in query.required]
    groups += [f"!{_ts_term(term)}" for term in query.excluded]
    return " & ".join(groups)


def _ts_alternatives(alternatives: tuple[Term, ...]) -> str:
    if len(alternatives) == 1:
        return _ts_term(alternatives[0])
    return "(" + " | ".join(_ts_term(term) for term in alternatives) + ")"


def _ts_term(term: Term) -> str:
    lexemes = [f"'{token}'" for token in term.tokens]
    if term.prefix:
        lexemes[-1] += ":*"
    return lexemes[0] if len(lexemes) == 1 else "(" + " <-> ".join(lexemes) + ")"
