"""The front page: stories ranked by how widely and how recently the news was covered.

A story's score is its breadth, the number of distinct outlets whose own articles cover it
(a syndicated copy adds nothing: ``articles.duplicate_of``), divided by ``(1 + age / 12 h)²``,
where age is how long before the reference moment its newest article was *published* (storage
times say when we fetched, not when it was news). The reference moment is the newest
publication time that is not in the future, so an archive reads as it did on its last day.
Only articles published within ``window_days`` of it count, widened when that window does not
fill the page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, Subquery, case, func, literal, select
from sqlalchemy.orm import Session

from aggregator.store.filters import Filters
from aggregator.store.schema import Article, Story

__all__ = ["Ranked", "StorySummary", "front_page", "lead_sentence", "reference_moment"]

HALF_DAY_HOURS = 12.0
LEAD_CHARS = 1200
# Opening lines shorter than this are kickers, bylines or residue ("Brief · 4 min read"), not
# a lead; CJK packs more into a character.
_LEAD_MIN_CHARS = 40
_LEAD_MIN_CJK_CHARS = 12
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
# A sentence ends at . ! ? before a capital, digit or opening quote, or right after a CJK
# full stop, exclamation or question mark (U+3002, U+FF01, U+FF1F). Not after Mr. or Gen.
_SENTENCE_END = re.compile(
    r"(?<=[.!?])(?<!\b[A-Z]\.)(?<!\b[A-Z][a-z]\.)(?<!\b[A-Z][a-z][a-z]\.)\s+(?=[\"'\u201c\u2018(\[A-Z\u00c0-\u00de0-9])|(?<=[\u3002\uff01\uff1f])"
)


@dataclass(frozen=True, slots=True)
class StorySummary:
    """What a front-page entry shows."""

    id: int
    title: str
    score: float
    outlets: tuple[str, ...]
    languages: tuple[str, ...]
    article_count: int
    earliest: datetime | None
    latest: datetime | None
    lead: str


@dataclass(frozen=True, slots=True)
class Ranked:
    stories: tuple[StorySummary, ...]
    reference: datetime | None
    has_more: bool


def reference_moment(session: Session, now: datetime) -> datetime | None:
    """The newest publication time not after ``now`` (None: nothing is dated)."""
    return session.scalar(select(func.max(Article.published_at)).where(Article.published_at <= now))


def front_page(
    session: Session,
    *,
    now: datetime,
    filters: Filters = Filters(),  # noqa: B008 - frozen, so sharing the default is safe
    window_days: float = 7.0,
    limit: int = 30,
    offset: int = 0,
    after: tuple[float, int] | None = None,
    reference: datetime | None = None,
) -> Ranked:
    """One page of ranked stories: by ``offset``, or after the ``(score, id)`` keyset."""
    reference = reference or reference_moment(session, now)
    if reference is None:
        return Ranked((), None, False)
    for window in _widening(window_days):
        scores = _scores(session, reference, filters, window)
        query = select(scores).order_by(scores.c.score.desc(), scores.c.story_id.desc())
        if after is not None:
            score, story_id = after
            query = query.where(
                (scores.c.score < score)
                | ((scores.c.score == score) & (scores.c.story_id < story_id))
            )
        rows = session.execute(query.offset(offset).limit(limit + 1)).all()
        if len(rows) > limit:
            break
    summaries = _summaries(session, rows[:limit])
    return Ranked(tuple(summaries), reference, len(rows) > limit)


def _widening(window_days: float) -> list[float | None]:
    """The window, then wider ones, then none: a quiet archive still fills its pages, and a
    busy database answers from the first (indexed) window."""
    if window_days <= 0:
        return [None]
    return [window_days, window_days * 4, window_days * 16, None]


def _scores(
    session: Session, reference: datetime, filters: Filters, window_days: float | None
) -> Subquery:
    latest = func.max(Article.published_at)
    outlets = func.count(func.distinct(case((Article.duplicate_of.is_(None), Article.source_name))))
    age = _hours_between(session.get_bind().dialect.name, reference, latest)
    decay = 1.0 + age / HALF_DAY_HOURS
    query = (
        select(Article.story_id.label("story_id"), (outlets / (decay * decay)).label("score"))
        .where(Article.story_id.is_not(None), Article.published_at <= reference)
        .where(*filters.clauses(within_window=window_days is not None))
        .group_by(Article.story_id)
    )
    if window_days is not None:
        query = query.where(Article.published_at >= reference - timedelta(days=window_days))
    return query.subquery()


def _hours_between(
    dialect: str, reference: datetime, moment: ColumnElement[Any]
) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return func.extract("epoch", literal(reference) - moment) / 3600.0
    return (func.julianday(literal(reference)) - func.julianday(moment)) * 24.0


def _summaries(session: Session, rows: Sequence[Row[Any]]) -> list[StorySummary]:
    ids = [row.story_id for row in rows]
    if not ids:
        return []
    stories = {s.id: s for s in session.scalars(select(Story).where(Story.id.in_(ids)))}
    coverage = _coverage(session, ids)
    leads = _leads(session, ids)
    return [
        _summary(stories[row.story_id], float(row.score), coverage[row.story_id], leads)
        for row in rows
        if row.story_id in stories
    ]


@dataclass(slots=True)
class _Coverage:
    outlets: dict[str, None]
    languages: dict[str, None]
    count: int = 0
    earliest: datetime | None = None
    latest: datetime | None = None


def _coverage(session: Session, ids: list[int]) -> dict[int, _Coverage]:
    rows = session.execute(
        select(
            Article.story_id,
            Article.source_name,
            Article.language,
            func.count(),
            func.min(Article.published_at),
            func.max(Article.published_at),
        )
        .where(Article.story_id.in_(ids))
        .group_by(Article.story_id, Article.source_name, Article.language)
        .order_by(Article.story_id, func.min(Article.published_at), Article.source_name)
    )
    found = {story_id: _Coverage({}, {}) for story_id in ids}
    for story_id, source, language, count, earliest, latest in rows:
        entry = found[story_id or 0]
        entry.outlets[source] = None
        if language:
            entry.languages[language] = None
        entry.count += count
        entry.earliest = _least(entry.earliest, earliest)
        entry.latest = max(filter(None, (entry.latest, latest)), default=None)
    return found


def _least(a: datetime | None, b: datetime | None) -> datetime | None:
    return min(filter(None, (a, b)), default=None)


def _leads(session: Session, ids: list[int]) -> dict[int, str]:
    """The opening of each story's first original article (earliest published).

    One indexed lookup per story ((story_id, published_at) index) rather than a window over
    every article of the page's stories, which costs seconds on big stories.
    """
    first = (
        select(Article.id)
        .where(
            Article.story_id == Story.id,
            Article.duplicate_of.is_(None),
            Article.published_at.is_not(None),
        )
        .order_by(Article.published_at, Article.id)
        .limit(1)
        .correlate(Story)
        .scalar_subquery()
    )
    chosen = select(first).where(Story.id.in_(ids))
    rows = session.execute(
        select(Article.story_id, Article.title, func.substr(Article.text, 1, LEAD_CHARS)).where(
            Article.id.in_(chosen)
        )
    )
    return {
        story_id: lead_sentence(opening or "", title)
        for story_id, title, opening in rows
        if story_id is not None
    }


def lead_sentence(text: str, title: str = "") -> str:
    """The first sentence of the first line of ``text`` that reads as a lead: not the headline
    repeated, not a short kicker or byline. Falls back to the first line."""
    lines = [line.strip() for line in text.strip().split("\n") if line.strip()]
    chosen = next((line for line in lines if _is_lead(line, title)), lines[0] if lines else "")
    sentence = _SENTENCE_END.split(chosen, 1)[0].strip()
    if len(sentence) > 300:
        sentence = sentence[:300].rsplit(" ", 1)[0] + " …"
    return sentence


def _is_lead(line: str, title: str) -> bool:
    if _folded(line) == _folded(title):
        return False
    shortest = _LEAD_MIN_CJK_CHARS if _CJK.search(line) else _LEAD_MIN_CHARS
    return len(line) >= shortest


def _folded(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def _summary(
    story: Story, score: float, coverage: _Coverage, leads: dict[int, str]
) -> StorySummary:
    return StorySummary(
        id=story.id,
        title=story.title,
        score=score,
        outlets=tuple(coverage.outlets),
        languages=tuple(coverage.languages),
        article_count=coverage.count,
        earliest=coverage.earliest,
        latest=coverage.latest,
        lead=leads.get(story.id, ""),
    )
