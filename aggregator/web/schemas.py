"""Typed response models of the JSON API: they are the OpenAPI document at /openapi.json."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from aggregator.store.frontpage import StorySummary
from aggregator.store.queries import ArticleView, StoryView
from aggregator.store.schema import SourceRow
from aggregator.store.search import ArticleHit, StoryHit
from aggregator.web.rendering import snippet_html

__all__ = [
    "ArticleList",
    "ArticleOut",
    "ErrorOut",
    "SearchArticleOut",
    "SearchOut",
    "SearchStoryOut",
    "SourceOut",
    "StoryList",
    "StoryOut",
    "StorySummaryOut",
]


def _utc(moment: datetime) -> datetime:
    # Stored times are naive UTC; RFC 3339 date-times (what OpenAPI promises) need an offset.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


UTCDateTime = Annotated[datetime, AfterValidator(_utc)]


class ErrorOut(BaseModel):
    error: str = Field(description="what was wrong with the request, for a person")


class ArticleOut(BaseModel):
    id: int
    url: str
    title: str
    source: str
    published: UTCDateTime | None = Field(description="when the outlet published it (UTC)")
    first_seen: UTCDateTime
    language: str | None
    authors: list[str]
    story_id: int | None
    duplicate_of_id: int | None = Field(description="the original this syndicated copy repeats")
    duplicate_of: str | None = Field(description="the original's URL")
    text: str | None = Field(default=None, description="cleaned text (one article only)")

    @classmethod
    def of(cls, article: ArticleView) -> ArticleOut:
        return cls(
            id=article.id,
            url=article.url,
            title=article.title,
            source=article.source,
            published=article.published,
            first_seen=article.first_seen,
            language=article.language,
            authors=list(article.authors),
            story_id=article.story_id,
            duplicate_of_id=article.duplicate_of_id,
            duplicate_of=article.duplicate_of,
            text=article.text,
        )


class ArticleList(BaseModel):
    articles: list[ArticleOut]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page")


class StorySummaryOut(BaseModel):
    id: int
    title: str
    score: float = Field(description="breadth of coverage over the news' age; higher first")
    outlets: list[str]
    languages: list[str]
    article_count: int
    earliest: UTCDateTime | None = Field(description="first publication of its coverage (UTC)")
    latest: UTCDateTime | None = Field(description="last publication of its coverage (UTC)")
    lead: str = Field(description="the first sentence of its first article")

    @classmethod
    def of(cls, story: StorySummary) -> StorySummaryOut:
        return cls(
            id=story.id,
            title=story.title,
            score=story.score,
            outlets=list(story.outlets),
            languages=list(story.languages),
            article_count=story.article_count,
            earliest=story.earliest,
            latest=story.latest,
            lead=story.lead,
        )


class StoryList(BaseModel):
    stories: list[StorySummaryOut]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page")


class StoryOut(BaseModel):
    id: int
    title: str
    first_seen: UTCDateTime
    last_updated: UTCDateTime
    article_count: int
    articles: list[ArticleOut]

    @classmethod
    def of(cls, story: StoryView) -> StoryOut:
        return cls(
            id=story.id,
            title=story.title,
            first_seen=story.first_seen,
            last_updated=story.last_updated,
            article_count=story.article_count,
            articles=[ArticleOut.of(article) for article in story.articles],
        )


class SearchArticleOut(BaseModel):
    id: int
    title: str
    url: str
    source: str
    published: UTCDateTime | None
    language: str | None
    score: float
    snippet: str = Field(description="plain text around the match")
    snippet_html: str = Field(description="the same, HTML-escaped, matches in <mark>")

    @classmethod
    def of(cls, hit: ArticleHit) -> SearchArticleOut:
        return cls(
            id=hit.id,
            title=hit.title,
            url=hit.url,
            source=hit.source,
            published=hit.published,
            language=hit.language,
            score=hit.score,
            snippet="".join(segment.text for segment in hit.snippet),
            snippet_html=str(snippet_html(hit.snippet)),
        )


class SearchStoryOut(BaseModel):
    story_id: int | None = Field(description="null: an article not in a story yet")
    title: str
    score: float
    articles: list[SearchArticleOut]

    @classmethod
    def of(cls, hit: StoryHit) -> SearchStoryOut:
        return cls(
            story_id=hit.story_id,
            title=hit.title,
            score=hit.score,
            articles=[SearchArticleOut.of(article) for article in hit.articles],
        )


class SearchOut(BaseModel):
    query: str
    results: list[SearchStoryOut]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page")


class SourceOut(BaseModel):
    name: str
    homepage: str
    enabled: bool
    language: str | None
    interval_seconds: float
    last_success_at: UTCDateTime | None
    last_error_at: UTCDateTime | None
    last_error: str | None
    consecutive_failures: int
    next_run_at: UTCDateTime | None

    @classmethod
    def of(cls, row: SourceRow) -> SourceOut:
        return cls(
            name=row.name,
            homepage=row.homepage,
            enabled=row.enabled,
            language=row.language,
            interval_seconds=row.interval_seconds,
            last_success_at=row.last_success_at,
            last_error_at=row.last_error_at,
            last_error=row.last_error,
            consecutive_failures=row.consecutive_failures or 0,
            next_run_at=row.next_run_at,
        )
