"""The dates listings give pages: feed entries and sitemap URLs, fetched or saved on disk.

A page that declares no date of its own takes the one its feed or sitemap gave it (issue 12).
The fetch cycle reads the listings over HTTP; a replay reads the saved feeds and sitemaps beside
the saved pages, with the same parsers and the same rule, so both give a page the same time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from aggregator.dedup.urls import canonicalize_url
from aggregator.fetch.feeds import parse_feed
from aggregator.fetch.sitemaps import parse_sitemap
from aggregator.models import FeedItem

__all__ = ["LISTING_SUFFIXES", "find_listings", "listing_dates", "saved_listing_dates"]

LISTING_SUFFIXES = (".xml", ".rss", ".atom", ".json")
_SITEMAP_ROOT = re.compile(rb"<(?:\w+:)?(?:urlset|sitemapindex)\b")
_SNIFF_BYTES = 4096


# The kinds of listing date, best first: a feed entry's date and a news sitemap's publication
# date say when the article was published; a sitemap's lastmod only when the page last changed.
_EVIDENCE = {"entry": 0, "news": 1, "lastmod": 2}


def listing_dates(items: Iterable[FeedItem]) -> dict[str, datetime]:
    """The date listings give each page (naive UTC), by canonical URL: of the best kind there is
    (``_EVIDENCE``), the earliest of that kind. The same answer whichever order the listings
    were read in."""
    best: dict[str, tuple[int, datetime]] = {}
    for item in items:
        if item.published is None:
            continue
        url = canonicalize_url(item.url)
        rank = _EVIDENCE.get(item.dated_by or "", len(_EVIDENCE))
        candidate = (rank, _naive_utc(item.published))
        best[url] = min(best.get(url, candidate), candidate)
    return {url: when for url, (_rank, when) in best.items()}


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def find_listings(paths: Iterable[Path]) -> list[Path]:
    """Saved feeds and sitemaps under the named folders, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in LISTING_SUFFIXES)
            )
    return found


def _items(path: Path) -> tuple[FeedItem, ...]:
    try:
        body = path.read_bytes()
    except OSError:
        return ()
    base = path.resolve().as_uri()
    if _SITEMAP_ROOT.search(body[:_SNIFF_BYTES]):
        return parse_sitemap(body, base).urls
    return parse_feed(body, base).items


def saved_listing_dates(paths: Iterable[Path]) -> dict[str, datetime]:
    """``listing_dates`` of every saved feed and sitemap in ``paths`` (unreadable files and
    files that are neither give nothing)."""
    return listing_dates(item for path in paths for item in _items(path))
