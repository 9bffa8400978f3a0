"""Named read-only queries behind the operator commands and the web page."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased, defer

from aggregator.store.filters import Filters
from aggregator.store.schema import Article, Page, Story
from aggregator.store.work import pending_work as stage_backlog

__all__ = [
    "ArticleView",
    "OutcomeCounts",
    "StoryView",
    "article_detail",
    "articles_page",
    "latest_stories",
    "outcome_counts",
    "pending_work",
    "story_detail",
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
    original = aliased(Article)
    rows = session.execute(
        select(Article, original.url)
        .outerjoin(original, Article.duplicate_of == original.id)
        .where(Article.story_id.in_(story_ids))
        .order_by(func.coalesce(Article.published_at, Article.first_seen), Article.id)
        .options(*_unread(with_text))
    )
    grouped: dict[int, list[ArticleView]] = {}
    for article, original_url in rows:
        assert article.story_id is not None
        grouped.setdefault(article.story_id, []).append(
            _article_view(article, original_url, with_text=with_text)
        )
    return grouped


def _unread(with_text: bool) -> list[Any]:
    """Columns a view does not show stay in the database: a big story's texts and the
    clustering blobs are most of its bytes (issue 11)."""
    unread = [defer(Article.features)]
    if not with_text:
        unread += [defer(Article.text), defer(Article.removals)]
    return unread


def _article_view(article: Article, original_url: str | None, *, with_text: bool) -> ArticleView:
    return ArticleView(
        id=article.id,
        url=article.url,
        title=article.title,
        source=article.source_name,
        published=article.published_at,
        first_seen=article.first_seen,
        language=article.language,
        authors=tuple(json.loads(article.authors or "[]")),
        duplicate_of=original_url,
        duplicate_of_id=article.duplicate_of,
        text=article.text if with_text else None,
        removals=tuple(json.loads(article.removals or "[]")) if with_text else (),
        story_id=article.story_id,
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
    original = aliased(Article)
    query = (
        select(Article, original.url)
        .outerjoin(original, Article.duplicate_of == original.id)
        .where(*filters.clauses())
        .order_by(Article.id.desc())
        .limit(limit)
        .options(*_unread(with_text=False))
    )
    if before_id is not None:
        query = query.where(Article.id < before_id)
    return [_article_view(a, url, with_text=False) for a, url in session.execute(query)]


def article_detail(session: Session, article_id: int) -> ArticleView | None:
    """One article with its text."""
    original = aliased(Article)
    row = session.execute(
        select(Article, original.url)
        .outerjoin(original, Article.duplicate_of == original.id)
        .where(Article.id == article_id)
        .options(*_unread(with_text=True))
    ).one_or_none()
    return None if row is None else _article_view(row[0], row[1], with_text=True)
