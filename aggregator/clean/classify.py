"""Article or listing: homepages and section fronts are not articles, and say so early.

A page is a listing when it does not declare itself an article (JSON-LD article type,
``og:type=article``) and it looks like one: it declares itself a website or collection, or sits
at the site root, and most of its text is link text or its extracted text is short.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser

from aggregator.clean.metadata import ARTICLE_TYPES, PageMeta

__all__ = ["LinkStats", "declared_listing", "link_stats", "listing_reason"]

_LISTING_TYPES = frozenset({"collectionpage", "itemlist", "searchresultspage", "blog"})
_ROOT_PATHS = re.compile(r"^/?(?:index\.\w+|[a-z]{2}(?:-[a-z]{2})?/?)?$", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_LINK_SHARE = 0.5
_SHORT_TEXT = 600
_PROSE_LINE = 250
_MIN_PROSE_LINES = 2


@dataclass(frozen=True, slots=True)
class LinkStats:
    links: int
    link_chars: int
    text_chars: int

    @property
    def link_share(self) -> float:
        return self.link_chars / self.text_chars if self.text_chars else 1.0


def _chars(text: str) -> int:
    return len(_SPACE.sub(" ", text).strip())


def link_stats(tree: LexborHTMLParser) -> LinkStats:
    """Link count, link-text and body-text size of the unpruned page."""
    body = tree.body
    if body is None:
        return LinkStats(0, 0, 0)
    anchors = body.css("a[href]")
    link_chars = sum(_chars(a.text()) for a in anchors)
    return LinkStats(len(anchors), link_chars, _chars(body.text(separator=" ")))


def declared_listing(meta: PageMeta, url: str | None) -> str | None:
    """What the page says that makes it look like a listing, or None (cheap: metadata only)."""
    if meta.ld_types & ARTICLE_TYPES or meta.og_type == "article":
        return None
    if meta.og_type in ("website", "profile", "blog"):
        return f"og:type {meta.og_type}"
    if meta.ld_types & _LISTING_TYPES:
        return "JSON-LD " + "/".join(sorted(meta.ld_types & _LISTING_TYPES))
    for candidate in (url, meta.canonical_url):
        if candidate and _ROOT_PATHS.match(urlsplit(candidate).path):
            return "site root URL"
    return None


def listing_reason(declared: str | None, stats: LinkStats | None, text: str) -> str | None:
    """Why this page is a listing rather than an article, or None when it is an article.

    ``declared`` comes from ``declared_listing``; ``stats`` are the unpruned page's link stats,
    computed only for pages that declare themselves listings.
    """
    if declared is None or stats is None:
        return None
    prose = _prose_lines(text)
    if len(text) < _SHORT_TEXT:
        return f"{declared}, {len(text)} characters of running text"
    if stats.link_share > _LINK_SHARE and prose < _MIN_PROSE_LINES:
        share = f"{stats.link_share:.0%}"
        return f"{declared}, {share} of text is links and {prose} paragraphs of prose"
    return None


def _prose_lines(text: str) -> int:
    return sum(1 for line in text.splitlines() if len(line) >= _PROSE_LINE)
