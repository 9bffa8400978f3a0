"""A read-only web page over the operator queries: stories, one story, and the same as JSON.

A plain WSGI application (no framework: four routes do not need one). Every request reads
through a read-only session with a time limit, so a browser can never write or stall the
daemon.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from html import escape
from typing import Any
from urllib.parse import parse_qs

from sqlalchemy import Engine

from aggregator import output
from aggregator.store.queries import StoryView, latest_stories, story_detail
from aggregator.store.readonly import read_only_session

__all__ = ["make_app"]

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_STORY = re.compile(r"^/stories/(\d+)(\.json)?$")
_STYLE = """
body{font:16px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222}
a{color:#0645ad;text-decoration:none}a:hover{text-decoration:underline}
h1{font-size:1.6rem}h2{font-size:1.15rem;margin:1.4rem 0 .2rem}
.meta{color:#666;font-size:.85rem}.copy{color:#a60}
article{border-top:1px solid #ddd;margin-top:1.2rem;padding-top:.6rem}
article p{white-space:pre-wrap}
"""


def make_app(engine: Engine, *, time_limit: float = 2.0) -> WSGIApp:
    """The WSGI application serving ``engine``'s stories."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/") or "/"
        query = parse_qs(environ.get("QUERY_STRING", ""))
        status, content_type, body = _route(engine, path, query, time_limit)
        start_response(
            status,
            [
                ("Content-Type", content_type),
                ("Content-Length", str(len(body))),
                ("X-Content-Type-Options", "nosniff"),
            ],
        )
        return [body]

    return app


def _route(
    engine: Engine, path: str, query: dict[str, list[str]], time_limit: float
) -> tuple[str, str, bytes]:
    limit = _limit(query)
    if path in ("/", "/stories", "/stories.json"):
        with read_only_session(engine, time_limit) as session:
            stories = latest_stories(session, limit)
        if path.endswith(".json"):
            return _json([output.story_record(s) for s in stories])
        return _html("Stories", _stories_html(stories))
    match = _STORY.match(path)
    if match:
        with read_only_session(engine, time_limit) as session:
            story = story_detail(session, int(match.group(1)))
        if story is None:
            return "404 Not Found", "text/plain; charset=utf-8", b"no such story\n"
        if match.group(2):
            return _json(output.story_record(story, with_text=True))
        return _html(story.title, _story_html(story))
    return "404 Not Found", "text/plain; charset=utf-8", b"not found\n"


def _limit(query: dict[str, list[str]]) -> int:
    try:
        return max(1, min(200, int(query.get("limit", ["50"])[0])))
    except ValueError:
        return 50


def _json(data: Any) -> tuple[str, str, bytes]:
    body = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    return "200 OK", "application/json; charset=utf-8", body


def _html(title: str, content: str) -> tuple[str, str, bytes]:
    page = (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)} · aggregator</title><style>{_STYLE}</style></head>"
        f"<body><p class='meta'><a href='/'>aggregator</a></p>{content}</body></html>"
    )
    return "200 OK", "text/html; charset=utf-8", page.encode("utf-8")


def _stories_html(stories: list[StoryView]) -> str:
    parts = ["<h1>Latest stories</h1>", "<p class='meta'><a href='/stories.json'>JSON</a></p>"]
    for story in stories:
        sources = ", ".join(sorted({a.source for a in story.articles}))
        parts.append(
            f"<h2><a href='/stories/{story.id}'>{escape(story.title)}</a></h2>"
            f"<div class='meta'>{story.article_count} articles · {escape(sources)} · updated "
            f"{escape(output.isoformat(story.last_updated) or '')}</div>"
        )
    return "".join(parts)


def _story_html(story: StoryView) -> str:
    parts = [
        f"<h1>{escape(story.title)}</h1>",
        f"<p class='meta'>first seen {escape(output.isoformat(story.first_seen) or '')} · "
        f"{story.article_count} articles · <a href='/stories/{story.id}.json'>JSON</a></p>",
    ]
    for article in story.articles:
        copy = (
            f" <span class='copy'>copy of {escape(article.duplicate_of)}</span>"
            if article.duplicate_of
            else ""
        )
        parts.append(
            f"<article><h2><a href='{escape(article.url)}'>{escape(article.title)}</a></h2>"
            f"<div class='meta'>{escape(article.source)} · "
            f"{escape(output.isoformat(article.published) or 'undated')}{copy}</div>"
            f"<p>{escape(article.text or '')}</p></article>"
        )
    return "".join(parts)
