"""Writes and reads of ``articles``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, case, false, func, select
from sqlalchemy.orm import Session

from aggregator.models import CleanedArticle
from aggregator.store.schema import Article

__all__ = [
    "ArticleRecord",
    "IndexedArticle",
    "find_article_by_url",
    "indexed",
    "insert_article",
    "moment_of",
    "naive_utc",
    "pending_articles",
    "recent_articles",
    "update_article",
]


@dataclass(frozen=True, slots=True)
class ArticleRecord:
    """A cleaned article with the keys the store adds to it."""

    page_id: int
    url: str
    source_name: str
    cleaned: CleanedArticle
    content_hash: str
    simhash: int
    first_seen: datetime
    source_id: int | None = None
    features: bytes | None = None  # encoded clustering features (aggregator.dedup.features)


@dataclass(frozen=True, slots=True)
class IndexedArticle:
    """What rebuilding the clustering index needs of a stored article."""

    id: int
    title: str
    text: str
    url: str
    source_name: str
    timestamp: datetime | None
    story_id: int | None
    duplicate_of: int | None
    features: bytes | None = None


def find_article_by_url(session: Session, url: str) -> Article | None:
    return session.scalars(select(Article).where(Article.url == url)).one_or_none()


def insert_article(session: Session, record: ArticleRecord) -> Article:
    article = Article(
        page_id=record.page_id,
        source_id=record.source_id,
        source_name=record.source_name,
        url=record.url,
        first_seen=record.first_seen,
    )
    _fill(article, record)
    session.add(article)
    session.flush()
    return article


def update_article(article: Article, record: ArticleRecord) -> None:
    """Refresh an article's cleaned fields after its page changed or the rules did."""
    _fill(article, record)


def _fill(article: Article, record: ArticleRecord) -> None:
    cleaned = record.cleaned
    article.title = cleaned.title
    article.authors = json.dumps(list(cleaned.authors), ensure_ascii=False)
    article.published_at = naive_utc(cleaned.published)
    article.language = cleaned.language
    article.image = cleaned.image
    article.text = cleaned.text
    article.content_hash = record.content_hash
    article.simhash = record.simhash
    article.features = record.features
    article.removals = json.dumps(
        [{"rule": r.rule, "text": r.text} for r in cleaned.removals], ensure_ascii=False
    )


def naive_utc(moment: datetime | None) -> datetime | None:
    """Timestamps are stored timezone-naive in UTC (SQLite and PostgreSQL compare alike)."""
    if moment is None or moment.tzinfo is None:
        return moment
    offset = moment.utcoffset() or timedelta(0)
    return (moment - offset).replace(tzinfo=None)


def moment_of(published: datetime | None, first_seen: datetime) -> datetime | None:
    """When an article was new, as clustering sees it: its stored time (the best evidence the
    extraction stage found, see ``pipeline.article_time``), never later than when we first saw
    the page (a future date is a site's mistake). Without one the time is unknown, for fetched
    and replayed pages alike: when we happened to fetch a page says nothing about when its
    story happened, so it is no evidence for or against a story (issue 12)."""
    if published is None:
        return None
    return min(naive_utc(published) or published, first_seen)


def _moment_sql() -> ColumnElement[datetime]:
    """``moment_of`` in SQL, for choosing the window to rebuild."""
    return case(
        (Article.published_at < Article.first_seen, Article.published_at),
        (Article.published_at.is_not(None), Article.first_seen),
        else_=None,
    )


def recent_articles(session: Session, window: timedelta) -> Iterator[IndexedArticle]:
    """Articles of the last ``window`` (relative to the newest one), oldest first.

    Undated articles have no place in time; those first seen within the window of the latest
    one come last.
    """
    moment = _moment_sql()
    newest = session.scalar(select(func.max(moment)))
    latest_seen = session.scalar(select(func.max(Article.first_seen)))
    if latest_seen is None:
        return
    dated = moment >= newest - window if newest is not None else false()
    undated = moment.is_(None) & (Article.first_seen >= latest_seen - window)
    query = select(Article).where(dated | undated).order_by(moment.is_(None), moment, Article.id)
    for article in session.scalars(query).all():
        yield indexed(article)


def indexed(article: Article) -> IndexedArticle:
    """The clustering view of a stored article."""
    return IndexedArticle(
        id=article.id,
        title=article.title,
        text=article.text,
        url=article.url,
        source_name=article.source_name,
        timestamp=moment_of(article.published_at, article.first_seen),
        story_id=article.story_id,
        duplicate_of=article.duplicate_of,
        features=article.features,
    )


def pending_articles(session: Session, limit: int) -> list[Article]:
    """Articles still without a story, in arrival (id) order.

    Arrival order is the story stage's order: the same articles give the same stories
    whichever process stores them and whenever the stage runs.
    """
    query = select(Article).where(Article.story_id.is_(None)).order_by(Article.id).limit(limit)
    return list(session.scalars(query).all())
