"""Fetch throughput over loopback: pages per second and client CPU seconds per page.

Builds synthetic sites, SOURCES sources of ARTICLES articles each (robots.txt, an RSS feed and
article pages of realistic size), serves them from a loopback server in a child process (so its
CPU is not counted), and runs one full fetch cycle with politeness delays at zero:
robots.txt → feed → every article, through ``aggregator.fetch.Crawler``.

    python -m bench.fetch [--sources 200] [--articles 20] [--concurrency 64]

``fetch_cycle(urls, options)`` fetches a list of URLs and returns ``CycleStats``; it is the piece
to time when comparing with other runs of the pipeline.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import resource
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from aggregator.fetch import Crawler, FetchOptions, build_client, parse_feed
from aggregator.fetch.robots import RobotsCache

__all__ = ["CycleStats", "build_sites", "fetch_cycle", "full_cycle", "main"]

_PARAGRAPH = (
    "<p>The committee met on Tuesday to weigh the proposal, which would change how the city "
    "funds its transit network over the next decade. Officials said a decision was expected "
    "before the end of the month, after a second round of public consultation.</p>\n"
)


@dataclass(frozen=True, slots=True)
class CycleStats:
    pages: int
    errors: int
    bytes: int
    wall_seconds: float
    cpu_seconds: float

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def cpu_per_page(self) -> float:
        return self.cpu_seconds / self.pages if self.pages else 0.0

    def __add__(self, other: CycleStats) -> CycleStats:
        return CycleStats(
            self.pages + other.pages,
            self.errors + other.errors,
            self.bytes + other.bytes,
            self.wall_seconds + other.wall_seconds,
            self.cpu_seconds + other.cpu_seconds,
        )


def bench_options(resolve: tuple[tuple[str, str], ...]) -> FetchOptions:
    """Politeness delays at zero; everything else as in production."""
    return FetchOptions(
        per_host_delay=0.0,
        max_crawl_delay=0.0,
        allow_private=("127.0.0.1",),
        resolve=resolve,
    )


def build_sites(root: Path, sources: int, articles: int) -> list[str]:
    """Write the synthetic sites under ``root`` and return their host names."""
    hosts = [f"source-{index:03d}.bench" for index in range(sources)]
    for host in hosts:
        site = root / host
        (site / "news").mkdir(parents=True)
        (site / "robots.txt").write_text("User-agent: *\nDisallow: /admin/\n", encoding="utf-8")
        slugs = [f"story-number-{n}-about-the-city-budget" for n in range(articles)]
        (site / "feed.xml").write_text(_feed(host, slugs), encoding="utf-8")
        for slug in slugs:
            (site / "news" / f"{slug}.html").write_text(_article(host, slug), encoding="utf-8")
    return hosts


def _feed(host: str, slugs: Sequence[str]) -> str:
    items = "".join(
        f"<item><title>{slug}</title><link>http://{host}/news/{slug}.html</link>"
        "<pubDate>Fri, 17 May 2024 10:00:00 +0000</pubDate></item>"
        for slug in slugs
    )
    channel = f"<channel><title>{host}</title>{items}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'


def _article(host: str, slug: str) -> str:
    body = _PARAGRAPH * 40  # ~12 KB, a typical article page without its scripts
    head = f"<!doctype html><html><head><title>{slug}</title></head>"
    return f"{head}<body><article>{body}</article></body></html>"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def fetch_cycle(
    urls: Sequence[str], options: FetchOptions, *, crawler: Crawler | None = None
) -> CycleStats:
    """Fetch ``urls`` once (with a fresh client unless a crawler is given) and measure it."""
    started, cpu = time.perf_counter(), _cpu()
    if crawler is not None:
        outcomes = await crawler.crawl(urls)
    else:
        async with build_client(options) as client:
            outcomes = await Crawler(client, options).crawl(urls)
    size = sum(len(o.result.body) for o in outcomes if o.result is not None)
    errors = sum(1 for o in outcomes if not o.ok)
    return CycleStats(len(outcomes), errors, size, time.perf_counter() - started, _cpu() - cpu)


async def full_cycle(hosts: Sequence[str], options: FetchOptions, concurrency: int) -> CycleStats:
    """robots.txt and feed of every source, then every article the feeds list."""
    async with build_client(options) as client:
        crawler = Crawler(client, options, robots=RobotsCache(), concurrency=concurrency)
        started, cpu = time.perf_counter(), _cpu()
        feeds = await crawler.crawl([f"http://{host}/feed.xml" for host in hosts])
        articles = [
            item.url
            for outcome in feeds
            if outcome.result is not None
            for item in parse_feed(outcome.result.body, outcome.url).items
        ]
        discovery = CycleStats(
            len(feeds) * 2,  # each feed fetch was preceded by that host's robots.txt
            sum(1 for o in feeds if not o.ok),
            sum(len(o.result.body) for o in feeds if o.result is not None),
            time.perf_counter() - started,
            _cpu() - cpu,
        )
        return discovery + await fetch_cycle(articles, options, crawler=crawler)


def _serve(root: str, ports: multiprocessing.Queue[int]) -> None:
    from tests.loopback import LoopbackServer

    with LoopbackServer(Path(root)) as server:
        ports.put(server.port)
        while True:
            time.sleep(3600)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as root:
        hosts = build_sites(Path(root), args.sources, args.articles)
        ports: multiprocessing.Queue[int] = multiprocessing.Queue()
        server = multiprocessing.Process(target=_serve, args=(root, ports), daemon=True)
        server.start()
        try:
            port = ports.get(timeout=30)
            options = bench_options(tuple((host, f"127.0.0.1:{port}") for host in hosts))
            options = replace(options, max_connections=args.concurrency)
            stats = asyncio.run(full_cycle(hosts, options, args.concurrency))
        finally:
            server.terminate()
            server.join(timeout=5)
    print(
        f"sources={args.sources} articles={args.articles} pages={stats.pages} "
        f"errors={stats.errors} MB={stats.bytes / 1e6:.1f} wall_s={stats.wall_seconds:.2f} "
        f"pages_per_s={stats.pages_per_second:.0f} cpu_ms_per_page={stats.cpu_per_page * 1000:.2f}"
    )


if __name__ == "__main__":
    main()
