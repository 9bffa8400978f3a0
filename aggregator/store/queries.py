"""Named read-only queries behind the operator commands and the web page."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import Session, aliased

from aggregator.store.filters import Filters
from aggregator.store.schema import Article, Page, Story
from aggregator.store.work import pending_work as stage_backlog

__all__ = [
    "ArticleView",
    "OutcomeCounts",
    "OutlineEntry",
    "StoryView",
    "article_detail",
    "article_views",
    "articles_page",
    "latest_stories",
    "outcome_counts",
    "pending_work",
    "story_detail",
    "story_outline",
]


@dataclass(frozen=True, slots=True)
class ArticleView:
    id: int
    url: str
    title: str
    source: str
    published: datetime | None
    first_seen: datetime
    language: str | None
    authors: tuple[str, ...]
    duplicate_of: str | None
    duplicate_of_id: int | None
    text: str | None = None
    removals: tuple[dict[str, str], ...] = ()
    story_id: int | None = None


@dataclass(frozen=True, slots=True)
class StoryView:
    id: int
    title: str
    first_seen: datetime
    last_updated: datetime
    article_count: int
    articles: tuple[ArticleView, ...]


@dataclass(frozen=True, slots=True)
class OutlineEntry:
    """What a story's page needs of every article to count, group and page its timeline."""

    id: int
    duplicate_of_id: int | None
    source: str
    language: str | None


@dataclass(frozen=True, slots=True)
class OutcomeCounts:
    pages: int
    articles: int
    duplicates: int
    stories: int
    failed: int
    skipped: int


def latest_stories(session: Session, limit: int = 20) -> list[StoryView]:
    """The most recently updated stories, each with its coverage (no texts)."""
    stories = session.scalars(
        select(Story).order_by(Story.last_updated.desc(), Story.id.desc()).limit(limit)
    ).all()
    coverage = _coverage(session, [story.id for story in stories], with_text=False)
    return [_story_view(story, coverage.get(story.id, ())) for story in stories]


def story_detail(session: Session, story_id: int, *, with_text: bool = True) -> StoryView | None:
    """One story with every article; texts and removal audit unless ``with_text`` is False."""
    story = session.get(Story, story_id)
    if story is None:
        return None
    coverage = _coverage(session, [story.id], with_text=with_text)
    return _story_view(story, coverage.get(story.id, ()))


def story_outline(session: Session, story_id: int) -> list[OutlineEntry]:
    """Every article of a story in timeline order (by publication, undated last), reduced to
    what the coverage index holds: a story page shows one page of its articles but counts all
    (issue 11)."""
    rows = session.execute(
        select(Article.id, Article.duplicate_of, Article.source_name, Article.language)
        .where(Article.story_id == story_id)
        .order_by(Article.published_at.is_(None), Article.published_at, Article.id)
    )
    return [OutlineEntry(*row) for row in rows]


def article_views(session: Session, ids: Collection[int]) -> dict[int, ArticleView]:
    """The articles ``ids`` by id, without their texts."""
    if not ids:
        return {}
    rows = session.execute(_view_query(with_text=False).where(Article.id.in_(ids)))
    return {row.id: _article_view(row, with_text=False) for row in rows}


def _story_view(story: Story, articles: Sequence[ArticleView]) -> StoryView:
    return StoryView(
        id=story.id,
        title=story.title,
        first_seen=story.first_seen,
        last_updated=story.last_updated,
        article_count=story.article_count,
        articles=tuple(articles),
    )


def _coverage(
    session: Session, story_ids: list[int], *, with_text: bool
) -> dict[int, list[ArticleView]]:
    if not story_ids:
        return {}
    rows = session.execute(
        _view_query(with_text)
        .where(Article.story_id.in_(story_ids))
        .order_by(func.coalesce(Article.published_at, Article.first_seen), Article.id)
    )
    grouped: dict[int, list[ArticleView]] = {}
    for row in rows:
        grouped.setdefault(row.story_id, []).append(_article_view(row, with_text=with_text))
    return grouped


def _view_query(with_text: bool) -> Select[Any]:
    """The columns an ArticleView shows, as plain rows: building ORM objects for a story of
    400 articles cost more than reading them, and texts are most of a story's bytes, so they
    are read only for views that show them (issue 11)."""
    original = aliased(Article)
    columns: list[Any] = [
        Article.id,
        Article.url,
        Article.title,
        Article.source_name,
        Article.published_at,
        Article.first_seen,
        Article.language,
        Article.authors,
        Article.duplicate_of,
        Article.story_id,
        original.url.label("original_url"),
    ]
    if with_text:
        columns += [Article.text, Article.removals]
    return select(*columns).outerjoin(original, Article.duplicate_of == original.id)


def _article_view(row: Row[Any], *, with_text: bool) -> ArticleView:
    return ArticleView(
        id=row.id,
        url=row.url,
        title=row.title,
        source=row.source_name,
        published=row.published_at,
        first_seen=row.first_seen,
        language=row.language,
        authors=tuple(json.loads(row.authors or "[]")),
        duplicate_of=row.original_url,
        duplicate_of_id=row.duplicate_of,
        text=row.text if with_text else None,
        removals=tuple(json.loads(row.removals or "[]")) if with_text else (),
        story_id=row.story_id,
    )


def outcome_counts(session: Session) -> OutcomeCounts:
    """Totals over the whole database, for run summaries."""
    rows = session.execute(select(Page.outcome, func.count()).group_by(Page.outcome))
    by_outcome: dict[str, int] = {outcome: count for outcome, count in rows}
    return OutcomeCounts(
        pages=sum(by_outcome.values()),
        articles=session.scalar(select(func.count(Article.id))) or 0,
        duplicates=session.scalar(
            select(func.count(Article.id)).where(Article.duplicate_of.is_not(None))
        )
        or 0,
        stories=session.scalar(select(func.count(Story.id))) or 0,
        failed=by_outcome.get("failed", 0),
        skipped=by_outcome.get("skipped", 0),
    )


def pending_work(session: Session) -> dict[str, int]:
    """Work waiting per stage: sources due, pages not cleaned yet, articles without a story."""
    work = stage_backlog(session, now=datetime.now(UTC).replace(tzinfo=None))
    return {"fetch": work.fetch, "extract": work.extract, "stories": work.stories}


def articles_page(
    session: Session,
    *,
    filters: Filters = Filters(),  # noqa: B008 - frozen, so sharing the default is safe
    before_id: int | None = None,
    limit: int = 50,
) -> list[ArticleView]:
    """The newest stored articles (highest id first), before ``before_id`` when given."""
    query = _view_query(with_text=False).where(*filters.clauses()).order_by(Article.id.desc())
    if before_id is not None:
        query = query.where(Article.id < before_id)
    return [_article_view(row, with_text=False) for row in session.execute(query.limit(limit))]


def article_detail(session: Session, article_id: int) -> ArticleView | None:
    """One article with its text."""
    row = session.execute(_view_query(with_text=True).where(Article.id == article_id)).first()
    return None if row is None else _article_view(row, with_text=True)
