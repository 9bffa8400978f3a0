"""Writes and reads of ``articles``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aggregator.models import CleanedArticle
from aggregator.store.schema import Article

__all__ = [
    "ArticleRecord",
    "IndexedArticle",
    "find_article_by_url",
    "insert_article",
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


@dataclass(frozen=True, slots=True)
class IndexedArticle:
    """What rebuilding the clustering index needs of a stored article."""

    id: int
    title: str
    text: str
    url: str
    source_name: str
    timestamp: datetime
    story_id: int | None
    duplicate_of: int | None


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
    article.published_at = _naive_utc(cleaned.published)
    article.language = cleaned.language
    article.image = cleaned.image
    article.text = cleaned.text
    article.content_hash = record.content_hash
    article.simhash = record.simhash
    article.removals = json.dumps(
        [{"rule": r.rule, "text": r.text} for r in cleaned.removals], ensure_ascii=False
    )


def _naive_utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is None:
        return moment
    offset = moment.utcoffset() or timedelta(0)
    return (moment - offset).replace(tzinfo=None)


def recent_articles(session: Session, window: timedelta) -> Iterator[IndexedArticle]:
    """Articles of the last ``window`` (relative to the newest one), oldest first."""
    moment = func.coalesce(Article.published_at, Article.first_seen)
    newest = session.scalar(select(func.max(moment)))
    if newest is None:
        return
    query = (
        select(Article, moment.label("moment"))
        .where(moment >= newest - window)
        .order_by(moment, Article.id)
        .execution_options(yield_per=500)
    )
    for article, when in session.execute(query):
        yield IndexedArticle(
            id=article.id,
            title=article.title,
            text=article.text,
            url=article.url,
            source_name=article.source_name,
            timestamp=when,
            story_id=article.story_id,
            duplicate_of=article.duplicate_of,
        )
