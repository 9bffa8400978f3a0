"""The server-rendered pages: front page, story, sources, search. No JavaScript anywhere."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from aggregator.store.filters import Filters
from aggregator.store.queries import article_detail, articles_page, story_detail
from aggregator.store.search import search
from aggregator.store.sources import find_source, list_sources
from aggregator.store.stories import resolve_story
from aggregator.web.context import PRINTABLE, Reader, ReaderFilters, ranked_stories, site
from aggregator.web.errors import NotFound
from aggregator.web.rendering import threads

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
    def story(request: Request, session: Reader, story_id: StoryId) -> Response:
        current = resolved_story(session, story_id)
        if current != story_id:
            return RedirectResponse(f"/stories/{current}", status_code=301)
        # Texts are read on their own page (/articles/ID): a big story's texts made its page
        # a megabyte that took longer to build and send than everything else (issue 11).
        found = story_detail(session, current, with_text=False)
        if found is None:
            raise NotFound(f"there is no story {story_id}")
        timeline = sorted(found.articles, key=lambda a: (a.published is None, a.published, a.id))
        return render(
            request,
            "story.html",
            story=found,
            threads=threads(timeline),
            outlets=sorted({a.source for a in found.articles}),
            languages=sorted({a.language for a in found.articles if a.language}),
            feed=f"/stories/{current}.atom",
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
