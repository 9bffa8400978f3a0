"""The server-rendered pages: front page, story, sources, search. No JavaScript anywhere."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from aggregator.store.filters import Filters
from aggregator.store.queries import (
    ArticleView,
    OutlineEntry,
    article_detail,
    article_views,
    articles_page,
    story_outline,
)
from aggregator.store.schema import Story
from aggregator.store.search import search
from aggregator.store.sources import find_source, list_sources
from aggregator.store.stories import resolve_story
from aggregator.web.context import PRINTABLE, Reader, ReaderFilters, ranked_stories, site
from aggregator.web.errors import NotFound
from aggregator.web.rendering import thread_heads, threads

__all__ = ["ArticleId", "StoryId", "page_routes", "resolved_story"]

# Story ids are database integers: larger numbers are no story, not an overflow.
StoryId = Annotated[int, Path(ge=1, le=2**31 - 1, description="story id")]
PageNumber = Annotated[int, Query(ge=1, le=10_000, description="page, from 1")]
ArticleId = Annotated[int, Path(ge=1, le=2**31 - 1, description="article id")]
SearchText = Annotated[str, Query(max_length=10_000, description="search words")]


def resolved_story(session: Reader, story_id: int) -> int:
    """The id story ``story_id`` lives under now; NotFound when there is none."""
    current = resolve_story(session, story_id)
    if current is None:
        raise NotFound(f"there is no story {story_id}")
    return current


def filter_query(filters: Filters) -> dict[str, str]:
    """The filters as query parameters, to carry them into links."""
    values = {
        "language": filters.language or "",
        "source": filters.source or "",
        "from": f"{filters.since:%Y-%m-%d}" if filters.since else "",
        "to": f"{filters.until:%Y-%m-%d}" if filters.until else "",
    }
    return {key: value for key, value in values.items() if value}


def page_routes(templates: Jinja2Templates) -> APIRouter:
    router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

    def render(request: Request, template: str, **context: Any) -> Response:
        return templates.TemplateResponse(request, template, context)

    @router.get("/")
    def front(
        request: Request, session: Reader, filters: ReaderFilters, page: PageNumber = 1
    ) -> Response:
        held = site(request)
        size = held.options.page_size
        ranked = ranked_stories(held, session, filters, limit=size, offset=(page - 1) * size)
        if page > 1 and not ranked.stories:
            raise NotFound(f"there is no page {page} of stories")
        links = _pager(filters, page, ranked.has_more)
        feed = "/feed.atom" + _query(filter_query(filters))
        return render(
            request, "front.html", ranked=ranked, filters=filters, page=page, feed=feed, **links
        )

    @router.get("/stories/{story_id}")
    def story(
        request: Request, session: Reader, story_id: StoryId, page: PageNumber = 1
    ) -> Response:
        current = resolved_story(session, story_id)
        if current != story_id:
            return RedirectResponse(f"/stories/{current}", status_code=301)
        found = session.get(Story, current)
        if found is None:
            raise NotFound(f"there is no story {story_id}")
        outline = story_outline(session, current)
        size = site(request).options.story_page_size
        shown = _timeline_page(session, outline, page, size)
        if page > 1 and not shown:
            raise NotFound(f"there is no page {page} of story {story_id}")
        path = f"/stories/{current}"
        return render(
            request,
            "story.html",
            story=found,
            count=len(outline),
            threads=threads(shown),
            outlets=sorted({entry.source for entry in outline}),
            languages=sorted({entry.language for entry in outline if entry.language}),
            feed=f"/stories/{current}.atom",
            earlier=f"{path}?page={page - 1}" if page > 1 else None,
            later=f"{path}?page={page + 1}" if page * size < len(thread_heads(outline)) else None,
        )

    @router.get("/articles/{article_id}")
    def article(request: Request, session: Reader, article_id: ArticleId) -> Response:
        found = article_detail(session, article_id)
        if found is None:
            raise NotFound(f"there is no article {article_id}")
        return render(request, "article.html", article=found)

    @router.get("/sources")
    def sources(request: Request, session: Reader) -> Response:
        return render(request, "sources.html", sources=list_sources(session))

    @router.get("/sources/{name}")
    def source(
        request: Request,
        session: Reader,
        name: Annotated[str, Path(max_length=200, pattern=PRINTABLE)],
    ) -> Response:
        row = find_source(session, name)
        articles = articles_page(session, filters=Filters(source=name), limit=30)
        if row is None and not articles:
            raise NotFound(f"there is no source named {name!r}")
        return render(request, "source.html", name=name, source=row, articles=articles)

    @router.get("/search")
    def search_page(
        request: Request,
        session: Reader,
        filters: ReaderFilters,
        q: SearchText = "",
        page: PageNumber = 1,
    ) -> Response:
        if not q.strip():
            return render(request, "search.html", q="", results=None, filters=filters, feed=None)
        options = site(request).options
        found = search(
            session,
            q,
            filters=filters,
            now=options.clock(),
            limit=options.page_size,
            offset=(page - 1) * options.page_size,
        )
        if page > 1 and not found.results:
            raise NotFound(f"there is no page {page} of results for this search")
        carried = {"q": q, **filter_query(filters)}
        links = _pager(filters, page, found.has_more, extra={"q": q}, path="/search")
        return render(
            request,
            "search.html",
            q=q,
            results=found.results,
            filters=filters,
            page=page,
            feed="/search.atom" + _query(carried),
            **links,
        )

    return router


def _timeline_page(
    session: Session, outline: list[OutlineEntry], page: int, size: int
) -> list[ArticleView]:
    """One page of a story's threads, copies included, in timeline order.

    Only these articles are read in full: a story of hundreds of articles took longer to
    read and render whole than everything else a request does (issue 11). Texts are read on
    their own page (/articles/ID).
    """
    heads = set(thread_heads(outline)[(page - 1) * size : page * size])
    wanted = [e.id for e in outline if e.id in heads or e.duplicate_of_id in heads]
    views = article_views(session, wanted)
    return [views[article_id] for article_id in wanted if article_id in views]


def _query(params: dict[str, str]) -> str:
    return "?" + urlencode(params) if params else ""


def _pager(
    filters: Filters,
    page: int,
    has_more: bool,
    *,
    extra: dict[str, str] | None = None,
    path: str = "/",
) -> dict[str, str | None]:
    base = {**(extra or {}), **filter_query(filters)}
    previous = path + _query({**base, "page": str(page - 1)}) if page > 1 else None
    following = path + _query({**base, "page": str(page + 1)}) if has_more else None
    return {"previous": previous, "following": following}
