"""Every fixture outlet, served by the loopback server: discover articles, then fetch them all.

Discovery runs the way the daemon does it: homepage → ``<link rel=alternate>`` feeds, robots.txt
``Sitemap:`` lines (plus ``/sitemap.xml``) → sitemap indexes → URL sets. Fixture links are
``https://``; the loopback server speaks plain HTTP, so they are fetched as ``http://`` with each
host name resolved to it. Adding a site folder adds a test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aggregator.fetch.client import build_client
from aggregator.fetch.crawler import Crawler
from aggregator.fetch.feeds import discover_feeds, parse_feed
from aggregator.fetch.links import discover_article_links
from aggregator.fetch.options import FetchOptions
from aggregator.fetch.robots import RobotsCache
from aggregator.fetch.sitemaps import parse_sitemap
from tests.fetch.conftest import options_for, run
from tests.loopback import FIXTURE_SITES, LoopbackServer

SITES = (
    sorted(p.name for p in FIXTURE_SITES.iterdir() if p.is_dir()) if FIXTURE_SITES.is_dir() else []
)


def _plain(url: str) -> str:
    return "http://" + url.removeprefix("https://") if url.startswith("https://") else url


def _expected_articles(host: str) -> dict[str, Path]:
    """Sidecar URL (as http) → the page file, for every fixture page that is an article."""
    found = {}
    for sidecar in (FIXTURE_SITES / host).rglob("*.expected.json"):
        spec = json.loads(sidecar.read_text(encoding="utf-8"))
        if spec.get("article", True) and spec.get("url"):
            page = sidecar.with_name(sidecar.name.removesuffix(".expected.json") + ".html")
            found[_plain(spec["url"])] = page
    return found


class _Discovery:
    """Feed and sitemap discovery for one site over a crawler (bounded: two sitemap levels)."""

    def __init__(self, crawler: Crawler, robots: RobotsCache) -> None:
        self.crawler = crawler
        self.robots = robots
        self.articles: dict[str, None] = {}
        self.links: tuple[str, ...] = ()

    async def run(self, host: str) -> None:
        home = f"http://{host}/"
        (index,) = await self.crawler.crawl([home])
        assert index.result is not None, index.error
        feeds = [_plain(u) for u in discover_feeds(index.result.body, home)]
        self.links = tuple(_plain(u) for u in discover_article_links(index.result.body, home))
        rules = self.robots.cached(home)
        sitemaps = [_plain(u) for u in (rules.sitemaps if rules else ())] + [f"{home}sitemap.xml"]
        for outcome in await self.crawler.crawl(feeds):
            assert outcome.result is not None, outcome.error
            parsed = parse_feed(outcome.result.body, outcome.url)
            assert parsed.error is None, parsed.error
            self.articles.update(dict.fromkeys(_plain(i.url) for i in parsed.items))
        await self._sitemaps(list(dict.fromkeys(sitemaps)), depth=2)

    async def _sitemaps(self, urls: list[str], depth: int) -> None:
        children: list[str] = []
        for outcome in await self.crawler.crawl(urls):
            assert outcome.result is not None, outcome.error
            parsed = parse_sitemap(outcome.result.body, outcome.url)
            assert parsed.error is None, parsed.error
            self.articles.update(dict.fromkeys(_plain(u.url) for u in parsed.urls))
            children += [_plain(u) for u in parsed.sitemaps]
        if children and depth > 0:
            await self._sitemaps(children, depth - 1)


async def _discover_and_fetch(
    options: FetchOptions, host: str
) -> tuple[_Discovery, dict[str, bytes]]:
    async with build_client(options) as client:
        robots = RobotsCache()
        crawler = Crawler(client, options, robots=robots)
        discovery = _Discovery(crawler, robots)
        await discovery.run(host)
        outcomes = await crawler.crawl(list(discovery.articles))
    bodies = {}
    for outcome in outcomes:
        assert outcome.result is not None, f"{outcome.url}: {outcome.error}"
        bodies[outcome.url] = outcome.result.body
    return discovery, bodies


@pytest.mark.skipif(not SITES, reason="no fixture sites yet")
@pytest.mark.parametrize("host", SITES)
def test_fixture_site_articles_are_discovered_and_fetched(
    server: LoopbackServer, host: str
) -> None:
    options = options_for(server, *SITES, max_crawl_delay=0.0)
    discovery, bodies = run(_discover_and_fetch(options, host))
    expected = _expected_articles(host)
    assert set(expected) <= set(discovery.articles), "feed + sitemap miss a fixture article"
    for url, page in expected.items():
        assert bodies[url] == page.read_bytes()
    # Homepage link discovery (the fallback) finds only articles, and finds some.
    assert discovery.links and set(discovery.links) <= set(discovery.articles)
    assert all(r.host == host for r in server.requests)
