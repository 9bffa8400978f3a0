"""HostLimiter: one request in flight per host, spaced by the delay; robots.txt rules."""

from __future__ import annotations

import asyncio
import time
from itertools import pairwise

import httpx
import pytest

from aggregator.fetch.politeness import HostLimiter, host_key
from aggregator.fetch.robots import RobotsCache, RobotsRules, product_token, robots_url
from tests.fetch.conftest import FAST, run


async def _hold(limiter: HostLimiter, host: str, log: list[tuple[str, float, float]]) -> None:
    async with limiter.slot(host):
        start = time.monotonic()
        await asyncio.sleep(0.02)
        log.append((host, start, time.monotonic()))


def _gather(limiter: HostLimiter, hosts: list[str]) -> list[tuple[str, float, float]]:
    log: list[tuple[str, float, float]] = []

    async def go() -> None:
        await asyncio.gather(*(_hold(limiter, host, log) for host in hosts))

    run(go())
    return log


def test_one_request_per_host_spaced_by_the_delay() -> None:
    log = _gather(HostLimiter(0.05), ["a:80"] * 3)
    for (_, _, end), (_, start, _) in pairwise(log):
        assert start - end >= 0.045


def test_different_hosts_run_together() -> None:
    log = _gather(HostLimiter(1.0), ["a:80", "b:80", "c:80"])
    starts = [start for _, start, _ in log]
    assert max(starts) - min(starts) < 0.5  # one at a time would take >= 2 s


def test_crawl_delay_raises_the_delay_but_is_clamped() -> None:
    limiter = HostLimiter(0.01, max_delay=0.06)
    limiter.set_delay("a:80", 3600)
    log = _gather(limiter, ["a:80"] * 2)
    gap = log[1][1] - log[0][2]
    assert 0.05 <= gap < 0.5


def test_defer_keeps_a_host_quiet() -> None:
    limiter = HostLimiter(0.0)
    limiter.defer("a:80", 0.1)
    assert 0.05 < limiter.wait_time("a:80") <= 0.1
    assert limiter.wait_time("b:80") == 0.0
    started = time.monotonic()
    _gather(limiter, ["a:80"])
    assert time.monotonic() - started >= 0.09


def test_idle_hosts_are_forgotten_past_the_bound() -> None:
    limiter = HostLimiter(0.0, max_hosts=3)
    for index in range(10):
        _gather(limiter, [f"h{index}:80"])
    assert len(limiter._hosts) <= 3


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("http://Example.org/a", "example.org:80"),
        ("https://example.org/a", "example.org:443"),
        ("http://example.org:8080/", "example.org:8080"),
    ],
)
def test_host_key(url: str, key: str) -> None:
    assert host_key(url) == key


ROBOTS = """
User-agent: otherbot
Disallow: /

User-agent: aggregator
Disallow: /private/
Allow: /private/ok
Crawl-delay: 5

Sitemap: https://example.org/sitemap.xml
"""


def test_robots_rules_for_our_product_token() -> None:
    rules = RobotsRules.parse(ROBOTS, product_token(FAST.user_agent))
    assert product_token(FAST.user_agent) == "aggregator"
    assert rules.allows("https://example.org/news/1")
    assert not rules.allows("https://example.org/private/x")
    assert rules.crawl_delay == 5.0
    assert rules.sitemaps == ("https://example.org/sitemap.xml",)


def test_robots_url() -> None:
    assert robots_url("https://example.org:8443/a/b?c#d") == "https://example.org:8443/robots.txt"


def _robots_client(status: int, body: bytes = b"") -> httpx.AsyncClient:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/robots.txt"
        return httpx.Response(status, headers={"Content-Type": "text/plain"}, content=body)

    return httpx.AsyncClient(transport=httpx.MockTransport(answer))


def _load(cache: RobotsCache, client: httpx.AsyncClient) -> RobotsRules:
    async def go() -> RobotsRules:
        async with client:
            return await cache.load(client, "http://example.org/page", options=FAST)

    return run(go())


def test_missing_robots_allows_everything() -> None:
    rules = _load(RobotsCache(), _robots_client(404))
    assert rules.allows("http://example.org/anything")


def test_server_error_on_robots_disallows_for_now() -> None:
    rules = _load(RobotsCache(), _robots_client(503))
    assert not rules.allows("http://example.org/anything")
    assert "unavailable" in rules.reason


def test_robots_are_cached_until_they_expire() -> None:
    now = [0.0]
    cache = RobotsCache(ttl=10.0, clock=lambda: now[0])
    _load(cache, _robots_client(200, b"User-agent: *\nDisallow: /x\n"))
    assert cache.cached("http://example.org/other") is not None
    now[0] = 11.0
    assert cache.cached("http://example.org/other") is None
