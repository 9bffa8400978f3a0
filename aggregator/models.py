"""Frozen dataclasses passed between stages.

A stage takes bytes or text and returns one of these; nothing else crosses a package boundary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "CleanedArticle",
    "ClusterItem",
    "FeedItem",
    "FetchResult",
    "Removal",
    "SiteRules",
    "Source",
    "StoryDecision",
]


@dataclass(frozen=True, slots=True)
class Source:
    """A site the operator follows."""

    name: str
    homepage: str
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    interval_seconds: float = 1800.0
    language: str | None = None


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What one HTTP exchange produced (a 304 has an empty body and ``not_modified``)."""

    url: str
    final_url: str
    status: int
    body: bytes
    fetched_at: datetime
    elapsed_ms: float
    content_type: str | None = None
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False


@dataclass(frozen=True, slots=True)
class FeedItem:
    """A link found by discovery (feed entry, sitemap URL or homepage link)."""

    url: str
    title: str | None = None
    published: datetime | None = None
    # Where ``published`` comes from: "entry" (a feed entry's date), "news" (a Google News
    # sitemap's publication date) or "lastmod" (a sitemap's last modification).
    dated_by: str | None = None


@dataclass(frozen=True, slots=True)
class SiteRules:
    """Per-host cleaning overrides from the configuration: CSS selectors to drop or to keep."""

    drop: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Removal:
    """One piece of a page the cleaner removed, and the rule that removed it."""

    rule: str
    text: str


@dataclass(frozen=True, slots=True)
class CleanedArticle:
    """The article the cleaner found in a page."""

    title: str
    text: str
    authors: tuple[str, ...] = ()
    published: datetime | None = None
    language: str | None = None
    canonical_url: str | None = None
    image: str | None = None
    removals: tuple[Removal, ...] = field(default=())
    # Paragraphs put back that the extractor had left out (a lead beside the body).
    restored: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ClusterItem:
    """What story clustering needs to know about one article.

    ``timestamp`` is seconds since the epoch (publication time, else first seen), or None.
    """

    id: str
    title: str
    text: str
    source: str = ""
    url: str = ""
    timestamp: float | None = None


@dataclass(frozen=True, slots=True)
class StoryDecision:
    """Where clustering puts one article.

    ``story`` is an existing story key, or None for a new story. ``duplicate_of`` is the id of the
    first-seen article this one copies. ``merge`` lists other story keys that this article shows
    to be the same story as ``story``; the caller folds them into it.
    """

    story: str | None
    duplicate_of: str | None = None
    merge: tuple[str, ...] = ()
    score: float = 0.0
