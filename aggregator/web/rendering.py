"""The Jinja environment: autoescape always on, and the filters templates use."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape
from starlette.templating import Jinja2Templates

from aggregator.store.queries import ArticleView, OutlineEntry
from aggregator.store.search import Segment
from aggregator.web.security import http_url

__all__ = ["Thread", "make_templates", "snippet_html", "thread_heads", "threads"]

TEMPLATES = Path(__file__).parent / "templates"


def make_templates() -> Jinja2Templates:
    # autoescape=True for every template, whatever its name: scraped text is data.
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined
    )
    environment.filters["http_url"] = http_url
    environment.filters["moment"] = moment
    environment.filters["day"] = day
    environment.filters["span"] = span
    environment.filters["snippet_html"] = snippet_html
    return Jinja2Templates(env=environment)


def moment(value: datetime | None) -> str:
    return "undated" if value is None else f"{value:%Y-%m-%d %H:%M} UTC"


def day(value: datetime | None) -> str:
    return "" if value is None else f"{value:%Y-%m-%d}"


def span(earliest: datetime | None, latest: datetime | None) -> str:
    """How long coverage ran: ``2026-06-03 14:02 - 19:31 UTC`` (an en dash), or across days."""
    if earliest is None or latest is None or earliest == latest:
        return moment(earliest or latest)
    if earliest.date() == latest.date():
        return f"{earliest:%Y-%m-%d %H:%M} \u2013 {latest:%H:%M} UTC"
    return f"{earliest:%Y-%m-%d %H:%M} \u2013 {latest:%Y-%m-%d %H:%M} UTC"


@dataclass(frozen=True, slots=True)
class Thread:
    """An original article with the syndicated copies of it in the same story."""

    article: ArticleView
    copies: tuple[ArticleView, ...]


def thread_heads(outline: Sequence[OutlineEntry]) -> list[int]:
    """The ids that start a thread, in timeline order: originals, and copies whose original
    is in another story (the rule of :func:`threads`)."""
    ids = {entry.id for entry in outline}
    return [entry.id for entry in outline if entry.duplicate_of_id not in ids]


def threads(articles: Sequence[ArticleView]) -> list[Thread]:
    """Fold copies under their original (in publication order); orphan copies stand alone."""
    ids = {a.id for a in articles}
    originals = [a for a in articles if a.duplicate_of_id not in ids]
    copies: dict[int, list[ArticleView]] = {}
    for article in articles:
        if article.duplicate_of_id in ids:
            copies.setdefault(article.duplicate_of_id or 0, []).append(article)
    return [Thread(a, tuple(copies.get(a.id, ()))) for a in originals]


def snippet_html(segments: Sequence[Segment]) -> Markup:
    """A snippet as HTML: every piece escaped, matches wrapped in <mark>."""
    return Markup("").join(
        Markup("<mark>%s</mark>") % segment.text if segment.hit else escape(segment.text)
        for segment in segments
    )
