"""Fetch throughput over loopback: pages per second and client CPU seconds per page.

Builds synthetic sites, SOURCES sources of ARTICLES articles each (robots.txt, an RSS feed and
article pages of realistic size), serves them from a loopback server in a child process (so its
CPU is not counted), and runs one full fetch cycle with politeness delays at zero:
robots.txt → feed → every article, through ``aggregator.fetch.Crawler``. Then the same sites
through the whole ``aggregator fetch`` cycle (fetch, clean, cluster, store in SQLite), and the
same article files through ``aggregator replay``, so the cost of fetching is a ratio.

    python -m bench.fetch [--sources 200] [--articles 20] [--concurrency 64]

``fetch_cycle(urls, options)`` fetches a list of URLs and returns ``CycleStats``; it is the piece
to time when comparing with other runs of the pipeline.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import resource
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from aggregator.cycle import CycleReport
from aggregator.dedup.cluster import ClusterSettings
from aggregator.fetch import Crawler, FetchOptions, build_client, parse_feed
from aggregator.fetch.robots import RobotsCache
from aggregator.models import Source
from aggregator.pipeline import Ingestor
from aggregator.replay import replay
from aggregator.runner import Runner, RunOptions
from aggregator.store.engine import open_database
from aggregator.store.sources import add_source

__all__ = [
    "CycleStats",
    "build_sites",
    "fetch_cycle",
    "full_cycle",
    "main",
    "pipeline_cycle",
    "replay_cycle",
]


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


_SUBJECTS = (
    "The committee",
    "The mayor",
    "Transit officials",
    "The council",
    "Residents",
    "The finance office",
    "Union leaders",
    "The regional board",
)
_VERBS = (
    "met on Tuesday to weigh",
    "rejected",
    "asked for changes to",
    "published figures on",
    "warned about",
    "voted to delay",
    "endorsed",
    "questioned the cost of",
)
_OBJECTS = (
    "the transit levy",
    "the bridge repairs",
    "a new bus depot",
    "the housing plan",
    "the water tariff",
    "school maintenance",
    "the harbour lease",
    "the cycling network",
)


def _article(host: str, slug: str) -> str:
    """~12 KB of distinct prose per page (identical bodies would all be duplicates)."""
    pick = random.Random(f"{host}/{slug}").choice
    sentences = [
        f"{pick(_SUBJECTS)} {pick(_VERBS)} {pick(_OBJECTS)} in {host.split('.')[0]} "
        f"at a cost of {pick(range(2, 900))} million, {pick(range(3, 60))} officials said."
        for _ in range(160)
    ]
    body = "".join(f"<p>{' '.join(sentences[i : i + 4])}</p>\n" for i in range(0, 160, 4))
    head = f"<!doctype html><html><head><title>{slug} in {host}</title></head>"
    return f"{head}<body><article><h1>{slug}</h1>{body}</article></body></html>"


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


def pipeline_cycle(hosts: Sequence[str], options: FetchOptions, database: str) -> CycleStats:
    """One `aggregator fetch` cycle over every source: fetch, clean, cluster and store."""
    engine = open_database(database)
    now = datetime.now(UTC).replace(tzinfo=None)
    with Session(engine, expire_on_commit=False) as session:
        for host in hosts:
            feed = (f"http://{host}/feed.xml",)
            add_source(session, Source(name=host, homepage=f"http://{host}/", feeds=feed), now)
        session.commit()
    run_options = RunOptions(
        fetch=options, cluster=ClusterSettings(), workers=1, max_articles=100_000
    )
    started, cpu = time.perf_counter(), _cpu()
    reports = asyncio.run(_run_all(engine, run_options))
    wall, used = time.perf_counter() - started, _cpu() - cpu
    engine.dispose()
    pages = sum(report.fetched for report in reports)
    errors = sum(len(report.errors) for report in reports)
    return CycleStats(pages, errors, 0, wall, used)


async def _run_all(engine: Engine, options: RunOptions) -> list[CycleReport]:
    async with Runner(engine, options) as runner:
        return await runner.fetch_once()


def replay_cycle(root: Path, database: str) -> CycleStats:
    """The same article pages through `aggregator replay`: clean, cluster and store, no HTTP."""
    files = sorted(root.glob("*/news/*.html"))
    engine = open_database(database)
    with Session(engine, expire_on_commit=False) as session:
        started, cpu = time.perf_counter(), _cpu()
        summary = replay(Ingestor(session, ClusterSettings()), files, workers=1)
        wall, used = time.perf_counter() - started, _cpu() - cpu
    engine.dispose()
    size = sum(path.stat().st_size for path in files)
    return CycleStats(summary.pages, summary.failed, size, wall, used)


def _line(name: str, stats: CycleStats) -> str:
    return (
        f"{name:<22} pages={stats.pages:<6} errors={stats.errors:<4} "
        f"wall_s={stats.wall_seconds:7.2f} pages_per_s={stats.pages_per_second:7.1f} "
        f"cpu_ms_per_page={stats.cpu_per_page * 1000:6.2f}"
    )


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
            http = asyncio.run(full_cycle(hosts, options, args.concurrency))
            fetched = pipeline_cycle(hosts, options, f"sqlite:///{root}/fetch.db")
        finally:
            server.terminate()
            server.join(timeout=5)
        replayed = replay_cycle(Path(root), f"sqlite:///{root}/replay.db")
    print(f"sources={args.sources} articles={args.articles} MB={http.bytes / 1e6:.1f}")
    print(_line("HTTP only (crawler)", http))
    print(_line("fetch (full pipeline)", fetched))
    print(_line("replay (same pages)", replayed))
    if replayed.cpu_per_page and replayed.pages_per_second:
        print(
            f"fetch/replay: CPU per page x{fetched.cpu_per_page / replayed.cpu_per_page:.2f}, "
            f"pages per second x{fetched.pages_per_second / replayed.pages_per_second:.2f}"
        )


if __name__ == "__main__":
    main()
