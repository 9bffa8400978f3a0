"""Fixtures for fetch tests: the loopback server, tight options, and no DNS beyond loopback."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Coroutine, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import pytest

from aggregator.fetch.options import FetchOptions
from tests.loopback import FIXTURE_SITES, LoopbackServer

T = TypeVar("T")

# Small enough that the whole folder runs in seconds; faults use their own delays.
FAST = FetchOptions(
    timeout=2.0,
    connect_timeout=1.0,
    read_timeout=0.5,
    retries=2,
    backoff_base=0.01,
    backoff_max=0.05,
    max_retry_after=1.0,
    per_host_delay=0.0,
    max_crawl_delay=0.2,
    allow_private=("127.0.0.1",),
)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def options_for(server: LoopbackServer, *hosts: str, **changes: Any) -> FetchOptions:
    """``FAST`` with each host resolved to ``server``."""
    return replace(FAST, resolve=server.resolve(*hosts), **changes)


@pytest.fixture(autouse=True)
def no_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Refuse real DNS: names resolve only through this table (tests add entries)."""
    table: dict[str, str] = {"localhost": "127.0.0.1"}
    real = socket.getaddrinfo

    def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name in table:
            return real(table[name], port, *args, **kwargs)
        try:
            socket.inet_pton(socket.AF_INET6 if ":" in name else socket.AF_INET, name)
        except OSError:
            raise socket.gaierror(socket.EAI_NONAME, f"no DNS in tests: {name}") from None
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return table


@pytest.fixture(scope="session")
def fixture_server() -> Iterator[LoopbackServer]:
    """The loopback server over ``fixtures/sites`` (its faults work on any host)."""
    with LoopbackServer(FIXTURE_SITES) as server:
        yield server


@pytest.fixture
def server(fixture_server: LoopbackServer) -> LoopbackServer:
    fixture_server.clear()
    return fixture_server


@pytest.fixture
def site_root(tmp_path: Path) -> Path:
    """Two tiny sites written by the test, independent of the shared fixtures."""
    news = tmp_path / "news.test"
    (news / "2024" / "05").mkdir(parents=True)
    (news / "index.html").write_text(_HOME, encoding="utf-8")
    (news / "feed.xml").write_text(_RSS, encoding="utf-8")
    (news / "sitemap.xml").write_text(_SITEMAP, encoding="utf-8")
    (news / "robots.txt").write_text(_ROBOTS, encoding="utf-8")
    for slug in ("first-story-here", "second-story-here", "secret-story-here"):
        (news / "2024" / "05" / f"{slug}.html").write_text(_page(slug), encoding="utf-8")
    other = tmp_path / "other.test"
    other.mkdir()
    for index in range(3):
        (other / f"item-{index}.html").write_text(_page(f"item {index}"), encoding="utf-8")
    return tmp_path


@pytest.fixture
def site_server(site_root: Path) -> Iterator[LoopbackServer]:
    with LoopbackServer(site_root) as server:
        yield server


def _page(title: str) -> str:
    head = f"<!doctype html><html><head><title>{title}</title></head>"
    return f"{head}<body><p>{title}</p></body></html>"


_HOME = """<!doctype html><html><head><title>News</title>
<link rel="alternate" type="application/rss+xml" href="/feed.xml"></head><body>
<nav><a href="/2024/05/nav-link-looks-like-story">nav</a></nav>
<main><a href="/2024/05/first-story-here">First</a><a href="/tag/politics">Politics</a></main>
</body></html>"""
_RSS = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>News</title>
<item><title>First</title><link>/2024/05/first-story-here</link>
<pubDate>Fri, 17 May 2024 10:00:00 +0000</pubDate></item>
<item><title>Second</title><link>http://news.test/2024/05/second-story-here</link></item>
</channel></rss>"""
_SITEMAP = """<?xml version="1.0" encoding="utf-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>http://news.test/2024/05/second-story-here</loc><lastmod>2024-05-17</lastmod></url>
<url><loc>http://news.test/2024/05/secret-story-here</loc></url>
</urlset>"""
_ROBOTS = """User-agent: *
Disallow: /2024/05/secret-story-here
Crawl-delay: 1
Sitemap: http://news.test/sitemap.xml
"""
