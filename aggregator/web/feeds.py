"""Atom feeds (RFC 4287) of the front page, of any search and of one story, built by feedgen.

Entry links point out only to http(s) URLs; anything else links to our own story page. Text is
given to feedgen as text, which escapes it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from feedgen.feed import FeedGenerator

from aggregator.store.queries import story_detail
from aggregator.store.search import search
from aggregator.web.context import Reader, ReaderFilters, ranked_stories, site
from aggregator.web.errors import NotFound
from aggregator.web.pages import SearchText, StoryId, filter_query, resolved_story
from aggregator.web.security import http_url

__all__ = ["feed_routes"]

ATOM = "application/atom+xml; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    title: str
    link: str
    updated: datetime | None
    summary: str
    author: str = ""


def feed_routes() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/feed.atom")
    def front(request: Request, session: Reader, filters: ReaderFilters) -> Response:
        held = site(request)
        ranked = ranked_stories(held, session, filters, limit=held.options.page_size)
        base = _base(request)
        entries = [
            Entry(
                id=f"{base}/stories/{story.id}",
                title=story.title,
                link=f"{base}/stories/{story.id}",
                updated=story.latest,
                summary=f"{story.lead} ({', '.join(story.outlets)})",
            )
            for story in ranked.stories
        ]
        alternate = _with_query(f"{base}/", filter_query(filters))
        return _atom(request, "aggregator: top stories", alternate, entries)

    @router.get("/search.atom")
    def search_feed(
        request: Request, session: Reader, filters: ReaderFilters, q: SearchText
    ) -> Response:
        options = site(request).options
        found = search(session, q, filters=filters, now=options.clock(), limit=options.page_size)
        base = _base(request)
        entries = [
            Entry(
                id=f"{base}/articles/{article.id}",
                title=article.title,
                link=http_url(article.url) or _story_link(base, hit.story_id),
                updated=article.published,
                summary="".join(segment.text for segment in article.snippet),
                author=article.source,
            )
            for hit in found.results
            for article in hit.articles[:1]
        ]
        alternate = _with_query(f"{base}/search", {"q": q, **filter_query(filters)})
        return _atom(request, f"aggregator: search for {q}", alternate, entries)

    @router.get("/stories/{story_id}.atom")
    def story_feed(request: Request, session: Reader, story_id: StoryId) -> Response:
        current = resolved_story(session, story_id)
        if current != story_id:
            return RedirectResponse(f"/stories/{current}.atom", status_code=301)
        story = story_detail(session, current)
        if story is None:
            raise NotFound(f"there is no story {story_id}")
        base = _base(request)
        entries = [
            Entry(
                id=f"{base}/articles/{article.id}",
                title=article.title,
                link=http_url(article.url) or f"{base}/stories/{story.id}",
                updated=article.published or article.first_seen,
                summary=(article.text or "")[:600],
                author=article.source,
            )
            for article in story.articles
        ]
        return _atom(request, f"aggregator: {story.title}", f"{base}/stories/{story.id}", entries)

    return router


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _story_link(base: str, story_id: int | None) -> str:
    return f"{base}/stories/{story_id}" if story_id else f"{base}/"


def _with_query(url: str, params: dict[str, str]) -> str:
    return f"{url}?{urlencode(params)}" if params else url


# XML 1.0 cannot carry these; lxml refuses them, and scraped text sometimes holds them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub("", text)


def _aware(moment: datetime | None) -> datetime:
    # Stored times are naive UTC; Atom wants an offset. Undated entries get the epoch.
    return (moment or datetime(1970, 1, 1)).replace(tzinfo=UTC)


def _atom(request: Request, title: str, alternate: str, entries: Iterable[Entry]) -> Response:
    feed = FeedGenerator()
    feed.id(str(request.url))
    feed.title(_xml(title))
    feed.author(name="aggregator")
    feed.link(href=str(request.url), rel="self", type="application/atom+xml")
    feed.link(href=alternate, rel="alternate", type="text/html")
    feed.generator("aggregator")
    newest = datetime(1970, 1, 1, tzinfo=UTC)
    for item in entries:
        entry = feed.add_entry(order="append")
        entry.id(item.id)
        entry.title(_xml(item.title) or "(untitled)")
        entry.link(href=item.link, rel="alternate")
        entry.updated(_aware(item.updated))
        entry.summary(_xml(item.summary or item.title) or "(no summary)")
        if item.author:
            entry.author(name=_xml(item.author))
        newest = max(newest, _aware(item.updated))
    feed.updated(newest)
    if not any(True for _ in feed.entry()):
        feed.subtitle("nothing yet")
    return Response(feed.atom_str(pretty=True), media_type=ATOM)
