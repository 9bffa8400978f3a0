"""The fetch stage: safe HTTP, politeness, robots.txt, and discovery (feeds, sitemaps, links).

Never imports ``aggregator.store``, ``aggregator.settings``, ``aggregator.clean`` or
``aggregator.dedup``; the caller owns the client, the limiter and the robots cache.
"""

from __future__ import annotations

from .client import build_client
from .crawler import Crawler, CrawlOutcome, CrawlRequest
from .feeds import FeedParse, discover_feeds, parse_feed
from .http import fetch
from .links import discover_article_links
from .options import FetchOptions
from .politeness import HostLimiter, host_key
from .robots import RobotsCache, RobotsRules
from .sitemaps import SitemapParse, parse_sitemap

__all__ = [
    "CrawlOutcome",
    "CrawlRequest",
    "Crawler",
    "FeedParse",
    "FetchOptions",
    "HostLimiter",
    "RobotsCache",
    "RobotsRules",
    "SitemapParse",
    "build_client",
    "discover_article_links",
    "discover_feeds",
    "fetch",
    "host_key",
    "parse_feed",
    "parse_sitemap",
]
