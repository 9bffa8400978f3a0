"""The JSON API under /api/v1/, and redirects from the old ``.json`` addresses.

Every list is cursor-paginated: a response's ``next_cursor`` (null on the last page) is passed
back as ``?cursor=``. Stories use a keyset on their ranking (score, id) computed at the moment
the first page was, so pages do not shift while news arrives.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from aggregator.store.frontpage import Ranked
from aggregator.store.queries import article_detail, articles_page, story_detail
from aggregator.store.search import search
from aggregator.store.sources import list_sources
from aggregator.web import cursors
from aggregator.web.context import Reader, ReaderFilters, ranked_stories, site
from aggregator.web.errors import NotFound
from aggregator.web.pages import ArticleId, SearchText, StoryId, resolved_story
from aggregator.web.schemas import (
    ArticleList,
    ArticleOut,
    ErrorOut,
    SearchOut,
    SearchStoryOut,
    SourceOut,
    StoryList,
    StoryOut,
    StorySummaryOut,
)

__all__ = ["api_routes", "legacy_routes"]

Limit = Annotated[int, Query(ge=1, le=200, description="items per page")]
Cursor = Annotated[str, Query(max_length=500, description="next_cursor of the previous page")]

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "the request cannot be answered"},
    404: {"model": ErrorOut, "description": "no such thing"},
    503: {"model": ErrorOut, "description": "the database did not answer in time"},
}


def api_routes() -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["api"], responses=_ERRORS)

    @router.get("/stories", response_model=StoryList)
    def stories(
        request: Request,
        session: Reader,
        filters: ReaderFilters,
        limit: Limit = 30,
        cursor: Cursor = "",
    ) -> StoryList:
        """Stories ranked as on the front page, with the same filters."""
        after = cursors.story_cursor(cursor) if cursor else None
        ranked = ranked_stories(
            site(request),
            session,
            filters,
            limit=limit,
            after=(after.score, after.story_id) if after else None,
            reference=after.reference if after else None,
        )
        return StoryList(
            stories=[StorySummaryOut.of(story) for story in ranked.stories],
            next_cursor=_next_story_cursor(ranked),
        )

    @router.get(
        "/stories/{story_id}",
        response_model=StoryOut,
        responses={301: {"description": "the story was folded into another"}},
    )
    def story(session: Reader, story_id: StoryId) -> Any:
        """One story with every article and its text; a folded story redirects."""
        current = resolved_story(session, story_id)
        if current != story_id:
            return RedirectResponse(f"/api/v1/stories/{current}", status_code=301)
        found = story_detail(session, current)
        if found is None:
            raise NotFound(f"there is no story {story_id}")
        return StoryOut.of(found)

    @router.get("/articles", response_model=ArticleList)
    def articles(
        session: Reader, filters: ReaderFilters, limit: Limit = 50, cursor: Cursor = ""
    ) -> ArticleList:
        """The newest stored articles first."""
        before = cursors.integer(cursor, "before") if cursor else None
        found = articles_page(session, filters=filters, before_id=before, limit=limit)
        following = cursors.encode({"before": found[-1].id}) if len(found) == limit else None
        return ArticleList(articles=[ArticleOut.of(a) for a in found], next_cursor=following)

    @router.get("/articles/{article_id}", response_model=ArticleOut)
    def article(session: Reader, article_id: ArticleId) -> ArticleOut:
        """One article with its cleaned text."""
        found = article_detail(session, article_id)
        if found is None:
            raise NotFound(f"there is no article {article_id}")
        return ArticleOut.of(found)

    @router.get("/search", response_model=SearchOut)
    def search_api(
        request: Request,
        session: Reader,
        filters: ReaderFilters,
        q: SearchText,
        limit: Limit = 20,
        cursor: Cursor = "",
    ) -> SearchOut:
        """Stories whose articles match ``q`` (words, "phrases", prefix*, -excluded, OR)."""
        offset = cursors.integer(cursor, "offset") if cursor else 0
        found = search(
            session,
            q,
            filters=filters,
            now=site(request).options.clock(),
            limit=limit,
            offset=offset,
        )
        following = cursors.encode({"offset": offset + limit}) if found.has_more else None
        return SearchOut(
            query=q,
            results=[SearchStoryOut.of(hit) for hit in found.results],
            next_cursor=following,
        )

    @router.get("/sources", response_model=list[SourceOut])
    def sources(session: Reader) -> list[SourceOut]:
        """Every source with its health."""
        return [SourceOut.of(row) for row in list_sources(session)]

    return router


def _next_story_cursor(ranked: Ranked) -> str | None:
    if not ranked.has_more or not ranked.stories or ranked.reference is None:
        return None
    last = ranked.stories[-1]
    return cursors.encode({"r": ranked.reference.isoformat(), "s": last.score, "i": last.id})


def legacy_routes() -> APIRouter:
    """The addresses of the first web page, moved under /api/v1/."""
    router = APIRouter(include_in_schema=False)

    @router.get("/stories.json")
    def stories_json(request: Request) -> Response:
        return RedirectResponse(_with_query("/api/v1/stories", request), status_code=301)

    @router.get("/stories/{story_id}.json")
    def story_json(story_id: StoryId) -> Response:
        return RedirectResponse(f"/api/v1/stories/{story_id}", status_code=301)

    return router


def _with_query(path: str, request: Request) -> str:
    query = request.url.query
    return f"{path}?{query}" if query else path
