"""Crawler: many URLs, concurrent across hosts, polite within one, never stopped by a bad URL."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

from aggregator.errors import Blocked, ConnectError, FetchError, HTTPStatusError
from aggregator.fetch.client import build_client
from aggregator.fetch.crawler import Crawler, CrawlOutcome, CrawlRequest
from aggregator.fetch.options import FetchOptions
from aggregator.fetch.politeness import HostLimiter
from aggregator.fetch.robots import RobotsCache
from tests.fetch.conftest import options_for, run
from tests.loopback import LoopbackServer


def _crawl(
    options: FetchOptions, requests: list[CrawlRequest | str], **kwargs: object
) -> tuple[CrawlOutcome, ...]:
    async def go() -> tuple[CrawlOutcome, ...]:
        async with build_client(options) as client:
            crawler = Crawler(client, options, **kwargs)  # type: ignore[arg-type]
            return await crawler.crawl(requests)

    return run(go())


def test_outcomes_cover_every_url_in_order(site_server: LoopbackServer) -> None:
    options = options_for(site_server, "news.test", "other.test")
    urls: list[CrawlRequest | str] = [
        "http://other.test/item-0",
        "http://news.test/2024/05/first-story-here",
        "http://news.test/2024/05/secret-story-here",
        "http://other.test/missing",
        "ftp://news.test/x",
        "http://[not-an-address/",
        "http://unresolvable.test/",
    ]
    outcomes = _crawl(options, urls)
    assert [o.url for o in outcomes] == urls
    ok, first, secret, missing, ftp, broken, unknown = outcomes
    assert ok.ok and first.ok and ok.result is not None
    assert isinstance(secret.error, Blocked) and "robots.txt" in str(secret.error)
    assert isinstance(missing.error, HTTPStatusError) and missing.error.status == 404
    assert isinstance(ftp.error, Blocked)
    assert isinstance(broken.error, FetchError)
    assert isinstance(unknown.error, (Blocked, ConnectError))
    paths = [r.path for r in site_server.requests if r.host == "news.test"]
    assert paths.count("/robots.txt") == 1
    assert "/2024/05/secret-story-here" not in paths


def test_crawl_delay_spaces_one_hosts_requests(site_server: LoopbackServer) -> None:
    # robots.txt asks for Crawl-delay: 1; the test options clamp that to 0.2 s.
    options = options_for(site_server, "news.test")
    _crawl(options, ["http://news.test/", "http://news.test/feed.xml"])
    times = [r.at for r in site_server.requests if r.host == "news.test"]
    assert len(times) == 3  # robots.txt, then the two pages
    assert all(later - earlier >= 0.18 for earlier, later in pairwise(times))


def test_hosts_are_fetched_concurrently(site_server: LoopbackServer) -> None:
    options = options_for(site_server, "other.test", "news.test", per_host_delay=0.3)
    urls: list[CrawlRequest | str] = [f"http://other.test/item-{i}" for i in range(2)]
    urls += ["http://news.test/", "http://news.test/feed.xml"]
    outcomes = _crawl(options, urls, limiter=HostLimiter(0.3, max_delay=0.3))
    assert all(o.ok for o in outcomes)
    first_hits = {}
    for record in site_server.requests:
        first_hits.setdefault(record.host, record.at)
    assert (
        abs(first_hits["news.test"] - first_hits["other.test"]) < 0.45
    )  # sequential hosts would be >= 0.6 s apart


def test_conditional_requests_pass_through(site_server: LoopbackServer) -> None:
    options = options_for(site_server, "news.test", respect_robots=False)
    (first,) = _crawl(options, ["http://news.test/feed.xml"])
    assert first.result is not None
    (again,) = _crawl(options, [CrawlRequest("http://news.test/feed.xml", etag=first.result.etag)])
    assert again.result is not None and again.result.not_modified


def test_long_retry_after_defers_the_rest_of_that_host_only(server: LoopbackServer) -> None:
    options = options_for(server, "busy.test", "calm.test", respect_robots=False)
    urls: list[CrawlRequest | str] = [
        "http://busy.test/_fault/429?retry_after=600",
        "http://busy.test/_fault/gzip-page",
        "http://calm.test/_fault/gzip-page",
    ]
    limiter = HostLimiter(0.0)
    limited, deferred, calm = _crawl(options, urls, limiter=limiter)
    assert limited.retry_after == 600.0 and not limited.deferred
    assert isinstance(limited.error, HTTPStatusError) and limited.error.status == 429
    assert deferred.deferred and deferred.result is None and deferred.error is None
    assert deferred.retry_after is not None and 590 < deferred.retry_after <= 600
    assert calm.ok
    assert [r.host for r in server.requests].count("busy.test") == 1
    # A later crawl through the same limiter keeps away from that host too, without waiting.
    (later,) = _crawl(options, ["http://busy.test/_fault/gzip-page"], limiter=limiter)
    assert later.deferred and [r.host for r in server.requests].count("busy.test") == 1


def test_robots_cache_is_shared_between_crawls(site_server: LoopbackServer) -> None:
    options = replace(options_for(site_server, "news.test"), max_crawl_delay=0.0)
    robots = RobotsCache()
    _crawl(options, ["http://news.test/"], robots=robots)
    _crawl(options, ["http://news.test/feed.xml"], robots=robots)
    paths = [r.path for r in site_server.requests]
    assert paths.count("/robots.txt") == 1


def test_fault_robots_disallowed_path(server: LoopbackServer) -> None:
    options = options_for(server, "any.test")
    (outcome,) = _crawl(options, ["http://any.test/_fault/robots-disallowed"])
    assert isinstance(outcome.error, Blocked)


def test_redirect_into_a_robots_disallowed_path_is_blocked(server: LoopbackServer) -> None:
    options = options_for(server, "from.test", "to.test")
    url = "http://from.test/_fault/redirect?to=http://to.test/_fault/robots-disallowed"
    (outcome,) = _crawl(options, [url])
    assert isinstance(outcome.error, Blocked) and "redirect target" in str(outcome.error)
    assert [(r.host, r.path) for r in server.requests if r.host == "to.test"] == [
        ("to.test", "/robots.txt")
    ]
