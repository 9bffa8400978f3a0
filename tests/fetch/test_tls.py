"""TLS through the address-checking transport: verified by host name, extra CA only added."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from aggregator.errors import ConfigError, ConnectError
from aggregator.fetch.client import build_client
from aggregator.fetch.http import fetch
from aggregator.fetch.options import FetchOptions
from aggregator.fetch.transport import make_ssl_context
from aggregator.models import FetchResult
from tests.fetch.conftest import options_for, run
from tests.loopback import LoopbackServer

trustme = pytest.importorskip("trustme")


@pytest.fixture
def tls_server(site_root: Path, tmp_path: Path) -> Iterator[tuple[LoopbackServer, str]]:
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("news.test").configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    with LoopbackServer(site_root).serve_tls(context) as server:
        yield server, str(ca_file)


async def _get(url: str, options: FetchOptions) -> FetchResult:
    async with build_client(options) as client:
        return await fetch(client, url, options=options)


def test_https_with_the_operator_ca(tls_server: tuple[LoopbackServer, str]) -> None:
    server, ca_file = tls_server
    options = options_for(server, "news.test", "other.test", ca_file=ca_file, retries=0)
    result = run(_get("https://news.test/2024/05/first-story-here", options))
    assert result.status == 200 and result.final_url.startswith("https://news.test/")


def test_unknown_ca_is_refused_not_downgraded(tls_server: tuple[LoopbackServer, str]) -> None:
    server, _ = tls_server
    with pytest.raises(ConnectError):
        run(_get("https://news.test/", options_for(server, "news.test", retries=0)))
    assert server.requests == ()


def test_certificate_must_name_the_host(tls_server: tuple[LoopbackServer, str]) -> None:
    # other.test resolves to the same server, whose certificate names only news.test.
    server, ca_file = tls_server
    options = replace(options_for(server, "other.test", retries=0), ca_file=ca_file)
    with pytest.raises(ConnectError):
        run(_get("https://other.test/item-0", options))


def test_unreadable_ca_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        make_ssl_context(str(tmp_path / "missing.pem"))


def test_every_fixture_outlet_over_https(tmp_path: Path) -> None:
    """The fixture URLs as written (https://), all outlets crawled at once through one client."""
    from tests.fetch.test_fixture_sites import SITES, _expected_articles
    from tests.loopback import FIXTURE_SITES

    if not SITES:
        pytest.skip("no fixture sites yet")
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(*SITES).configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    expected = {
        "https://" + url.removeprefix("http://")
        for host in SITES
        for url in _expected_articles(host)
    }
    with LoopbackServer(FIXTURE_SITES).serve_tls(context) as server:
        options = options_for(server, *SITES, ca_file=str(ca_file), max_crawl_delay=0.0)
        found = run(_discover_all(options, SITES))
    assert expected <= found


async def _discover_all(options: FetchOptions, hosts: list[str]) -> set[str]:
    from aggregator.fetch.crawler import Crawler
    from aggregator.fetch.feeds import parse_feed
    from aggregator.fetch.sitemaps import parse_sitemap

    async with build_client(options) as client:
        crawler = Crawler(client, options)
        listings = [f"https://{h}/feed.xml" for h in hosts] + [
            f"https://{h}/sitemap.xml" for h in hosts
        ]
        urls: set[str] = set()
        children: list[str] = []
        for outcome in await crawler.crawl(listings):
            assert outcome.result is not None, outcome.error
            body = outcome.result.body
            if outcome.url.endswith("feed.xml"):
                urls.update(item.url for item in parse_feed(body, outcome.url).items)
            else:
                parsed = parse_sitemap(body, outcome.url)
                urls.update(item.url for item in parsed.urls)
                children += parsed.sitemaps
        for outcome in await crawler.crawl(children):
            assert outcome.result is not None, outcome.error
            urls.update(item.url for item in parse_sitemap(outcome.result.body, outcome.url).urls)
        fetched = await crawler.crawl(sorted(urls))
    assert all(o.ok for o in fetched), [str(o.error) for o in fetched if not o.ok]
    return {o.url for o in fetched}
