"""Full-text search over article titles and bodies, ranked and grouped by story.

SQLite answers from the FTS5 table ``articles_fts`` (bm25, titles weighted 3:1), PostgreSQL
from the generated ``articles.search_vector`` (ts_rank, titles in weight A). Either relevance is
multiplied by a recency factor between 1 and 2 that halves over ``RECENCY_DAYS`` of the news'
age, so of two equally good matches the newer comes first. Results are stories (an article not
yet in a story stands alone), each with its best-matching articles and an escaped snippet.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Subquery, func, literal, literal_column, select, table
from sqlalchemy.dialects.postgresql import REGCONFIG
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session
from sqlalchemy.sql import column

from aggregator.store.filters import Filters
from aggregator.store.schema import Article, Story
from aggregator.store.searchtext import (
    CJK_CLASS,
    QueryError,
    SearchQuery,
    fts5_match,
    parse_query,
    tsquery,
)

__all__ = [
    "ArticleHit",
    "SearchPage",
    "Segment",
    "StoryHit",
    "search",
    "snippet",
]

RECENCY_DAYS = 7.0
# A query is ranked over at most this many matches, the articles stored last: a word found
# in most articles made every search rank them all, up to a second per query at 200,000
# articles (issue 11), for results that only ever show the best few dozen.
MAX_MATCHES = 1000
ARTICLES_PER_STORY = 3
SNIPPET_CHARS = 240
_CJK = re.compile(f"[{CJK_CLASS}]")


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of a snippet; ``hit`` pieces are what the query matched."""

    text: str
    hit: bool


@dataclass(frozen=True, slots=True)
class ArticleHit:
    id: int
    title: str
    url: str
    source: str
    published: datetime | None
    language: str | None
    score: float
    snippet: tuple[Segment, ...]


@dataclass(frozen=True, slots=True)
class StoryHit:
    """A story (``story_id`` None: an article not clustered yet) and its matching articles."""

    story_id: int | None
    title: str
    score: float
    articles: tuple[ArticleHit, ...]


@dataclass(frozen=True, slots=True)
class SearchPage:
    query: SearchQuery
    results: tuple[StoryHit, ...]
    offset: int
    has_more: bool


def search(
    session: Session,
    text: str,
    *,
    filters: Filters = Filters(),  # noqa: B008 - frozen, so sharing the default is safe
    now: datetime,
    limit: int = 20,
    offset: int = 0,
) -> SearchPage:
    """Stories matching ``text``; QueryError when the query cannot be searched for."""
    query = parse_query(text)
    ranked = _ranked(session, query, filters, now)
    groups = (
        select(ranked.c.article_id, ranked.c.story_key, ranked.c.score, ranked.c.best)
        .where(ranked.c.group_rank > offset, ranked.c.group_rank <= offset + limit + 1)
        .where(ranked.c.article_rank <= ARTICLES_PER_STORY)
        .order_by(ranked.c.group_rank, ranked.c.article_rank)
    )
    try:
        rows = session.execute(groups).all()
    except (OperationalError, ProgrammingError) as exc:
        raise _engine_refusal(exc) from exc
    results = _story_hits(session, rows, query)
    return SearchPage(query, tuple(results[:limit]), offset, len(results) > limit)


def _engine_refusal(exc: OperationalError | ProgrammingError) -> Exception:
    """Syntax the engine refused becomes a reader's error; anything else stays what it is."""
    message = str(exc.orig)
    if "fts5" in message or "tsquery" in message or "syntax error" in message:
        return QueryError(f"the engine could not read this query ({message.strip()})")
    return exc


def _ranked(session: Session, query: SearchQuery, filters: Filters, now: datetime) -> Subquery:
    matches = _matches(session.get_bind().dialect.name, query, now, filters)
    windowed = select(
        matches,
        func.row_number()
        .over(partition_by=matches.c.story_key, order_by=(matches.c.score.desc(),))
        .label("article_rank"),
        func.max(matches.c.score).over(partition_by=matches.c.story_key).label("best"),
    ).subquery()
    return select(
        windowed,
        func.dense_rank()
        .over(order_by=(windowed.c.best.desc(), windowed.c.story_key.desc()))
        .label("group_rank"),
    ).subquery()


def _matches(dialect: str, query: SearchQuery, now: datetime, filters: Filters) -> Subquery:
    moment = func.coalesce(Article.published_at, Article.first_seen)
    story_key = func.coalesce(Article.story_id, -Article.id).label("story_key")
    if dialect == "postgresql":
        ts = func.to_tsquery(literal("simple", REGCONFIG), tsquery(query))
        vector: ColumnElement[Any] = literal_column("articles.search_vector")
        age = func.extract("epoch", literal(now) - moment) / 86400.0
        relevance = func.ts_rank(vector, ts)
        recency = 1.0 + 1.0 / (1.0 + func.greatest(age, 0.0) / RECENCY_DAYS)
        # The matches are chosen first and ranked after: ts_rank reads each match's vector,
        # and PostgreSQL computed it for every match before cutting to MAX_MATCHES.
        chosen = (
            select(Article.id)
            .where(vector.op("@@")(ts), *filters.clauses())
            .order_by(Article.id.desc())
            .limit(MAX_MATCHES)
            .subquery()
        )
        return (
            select(Article.id.label("article_id"), story_key, (relevance * recency).label("score"))
            .join(chosen, chosen.c.id == Article.id)
            .subquery()
        )
    fts = table("articles_fts", column("rowid"))
    age = func.julianday(literal(now)) - func.julianday(moment)
    bm25 = -func.bm25(literal_column("articles_fts"), 3.0, 1.0)  # bm25 is lower-is-better
    recency = 1.0 + 1.0 / (1.0 + func.max(age, 0.0) / RECENCY_DAYS)
    match: ColumnElement[bool] = literal_column("articles_fts").op("MATCH")(fts5_match(query))
    return (
        select(Article.id.label("article_id"), story_key, (bm25 * recency).label("score"))
        .join_from(Article, fts, fts.c.rowid == Article.id)
        .where(match, *filters.clauses())
        # By the index's own order (rowid), so that SQLite stops after MAX_MATCHES rows and
        # computes bm25 for those only.
        .order_by(fts.c.rowid.desc())
        .limit(MAX_MATCHES)
        .subquery()
    )


def _story_hits(
    session: Session, rows: Sequence[Row[Any, Any, Any, Any]], query: SearchQuery
) -> list[StoryHit]:
    ids = [row.article_id for row in rows]
    # Plain rows of the shown columns: ORM objects cost more to build than to read here.
    shown: list[Any] = [
        Article.id,
        Article.title,
        Article.url,
        Article.source_name,
        Article.published_at,
        Article.language,
        Article.text,
        Article.story_id,
    ]
    found = session.execute(select(*shown).where(Article.id.in_(ids)))
    articles = {article.id: article for article in found}
    story_ids = {a.story_id for a in articles.values() if a.story_id is not None}
    titles: dict[int, str] = {
        story_id: title
        for story_id, title in session.execute(
            select(Story.id, Story.title).where(Story.id.in_(story_ids))
        )
    }
    pattern = _words_pattern(query.words)
    order: list[int] = []
    grouped: dict[int, list[ArticleHit]] = {}
    best: dict[int, float] = {}
    for row in rows:
        key: int = row.story_key
        if key not in grouped:
            order.append(key)
            grouped[key], best[key] = [], float(row.best)
        grouped[key].append(_article_hit(articles[row.article_id], float(row.score), pattern))
    return [
        StoryHit(
            story_id=key if key > 0 else None,
            title=titles.get(key) or grouped[key][0].title,
            score=best[key],
            articles=tuple(grouped[key]),
        )
        for key in order
    ]


def _article_hit(article: Row[Any], score: float, pattern: re.Pattern[str] | None) -> ArticleHit:
    return ArticleHit(
        id=article.id,
        title=article.title,
        url=article.url,
        source=article.source_name,
        published=article.published_at,
        language=article.language,
        score=score,
        snippet=_snippet(article.text, pattern) or _snippet(article.title, pattern),
    )


def snippet(text: str, words: Sequence[str], width: int = SNIPPET_CHARS) -> tuple[Segment, ...]:
    """A window of ``text`` around the first matched word, cut into plain and hit pieces.

    Hit pieces are found case-insensitively; a text with no hit yields its opening.
    """
    return _snippet(text, _words_pattern(words), width)


def _snippet(
    text: str, pattern: re.Pattern[str] | None, width: int = SNIPPET_CHARS
) -> tuple[Segment, ...]:
    if not text:
        return ()
    found = pattern.search(text) if pattern else None
    start = 0 if found is None else max(0, found.start() - width // 3)
    if start:
        space = text.find(" ", start, found.start() if found else start)
        start = space + 1 if space != -1 else start
    window = text[start : start + width]
    prefix, suffix = ("…" if start else ""), ("…" if start + width < len(text) else "")
    segments = _split(window, pattern)
    return (Segment(prefix, False), *segments, Segment(suffix, False)) if segments else ()


def _words_pattern(words: Sequence[str]) -> re.Pattern[str] | None:
    unique = sorted({w for w in words if w}, key=len, reverse=True)
    if not unique:
        return None
    # A Latin word matches from a word start (so prefixes light up too); CJK bigrams anywhere.
    alternatives = [
        re.escape(word) if _CJK.match(word) else r"(?<![^\W_])" + re.escape(word) for word in unique
    ]
    return re.compile("|".join(alternatives), re.IGNORECASE)


def _split(window: str, pattern: re.Pattern[str] | None) -> list[Segment]:
    if pattern is None:
        return [Segment(window, False)]
    segments: list[Segment] = []
    position = 0
    for found in pattern.finditer(window):
        if found.start() > position:
            segments.append(Segment(window[position : found.start()], False))
        segments.append(Segment(found.group(), True))
        position = found.end()
    if position < len(window):
        segments.append(Segment(window[position:], False))
    return segments
