"""Hostile links: other schemes, credentials, and every spelling of a non-public address.

Each is refused before any connection (robots.txt included) and reported for what it is: a
refused address is ``AddressRefused``, never "robots.txt disallows".
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from aggregator.errors import AddressRefused, Blocked
from aggregator.fetch.addresses import is_public, literal_address, parse_ip
from aggregator.fetch.client import build_client
from aggregator.fetch.crawler import Crawler, CrawlOutcome
from aggregator.fetch.feeds import parse_feed
from aggregator.fetch.http import fetch
from aggregator.fetch.options import FetchOptions
from aggregator.fetch.sitemaps import parse_sitemap
from tests.fetch.conftest import FAST, run
from tests.loopback import LoopbackServer

CLOSED = replace(FAST, allow_private=(), retries=0)

# Hosts that name a non-public address without DNS; ``{port}`` is the loopback server's.
REFUSED_HOSTS = (
    "127.0.0.2",
    "127.0.0.2.",
    "[::ffff:127.0.0.2]",
    "[::ffff:7f00:2]",
    "2130706434",
    "0177.0.0.2",
    "0x7f.0.0.2",
    "0x7f000002",
    "127.2",
    "localhost",
    "localhost.",
    "api.localhost",
    "[::1]",
    "[fc00::1]",
    "[fe80::1]",
    "[fec0::1]",
    "[64:ff9b::7f00:2]",
    "[2002:7f00:2::1]",
    "[::7f00:2]",
    "[100::1]",
    "[2001:db8::1]",
    "[3fff::1]",
    "0",
    "10.1.2.3",
    "169.254.169.254",
    "240.0.0.1",
)


def _crawl(options: FetchOptions, urls: list[str]) -> tuple[CrawlOutcome, ...]:
    async def go() -> tuple[CrawlOutcome, ...]:
        async with build_client(options) as client:
            return await Crawler(client, options).crawl(urls)

    return run(go())


@pytest.mark.parametrize("host", REFUSED_HOSTS)
def test_spellings_of_non_public_addresses_are_judged_without_dns(host: str) -> None:
    address = literal_address(host.strip("[]"))
    assert address is not None and not is_public(address), host


def test_numeric_ipv4_forms_match_what_resolvers_accept() -> None:
    assert str(parse_ip("2130706434")) == "127.0.0.2"
    assert str(parse_ip("0177.0.0.2")) == "127.0.0.2"
    assert str(parse_ip("0x7f.1")) == "127.0.0.1"
    assert str(parse_ip("127.0.0.2.")) == "127.0.0.2"
    for name in ("example.org", "news", "1e100.net", "09.1.1.1", "1.2.3.4.5", "256.1.1.1", ""):
        assert parse_ip(name) is None, name


def test_public_addresses_stay_public() -> None:
    for text in ("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "2002:5db8:d822::1"):
        address = parse_ip(text)
        assert address is not None and is_public(address), text


def test_refused_addresses_cost_no_connection_and_say_so(server: LoopbackServer) -> None:
    urls = [f"http://{host}:{server.port}/_fault/gzip-page" for host in REFUSED_HOSTS]
    outcomes = _crawl(CLOSED, urls)
    for outcome in outcomes:
        assert isinstance(outcome.error, AddressRefused), (outcome.url, outcome.error)
        assert outcome.error.kind == "address_refused"
        message = str(outcome.error)
        assert "robots" not in message and "refused non-public address" in message
    assert server.requests == (), "not even robots.txt may be asked"


def test_a_name_resolving_to_a_refused_address_is_reported_as_such(
    server: LoopbackServer, no_dns: dict[str, str]
) -> None:
    no_dns["intranet.example"] = "127.0.0.2"
    (outcome,) = _crawl(CLOSED, [f"http://intranet.example:{server.port}/_fault/gzip-page"])
    assert isinstance(outcome.error, AddressRefused), outcome.error
    assert "robots" not in str(outcome.error) and "127.0.0.2" in str(outcome.error)
    assert server.requests == ()


def test_allow_private_still_admits_what_it_names(server: LoopbackServer) -> None:
    options = replace(CLOSED, allow_private=("127.0.0.0/8",), respect_robots=False)
    (outcome,) = _crawl(options, [f"http://2130706433:{server.port}/_fault/gzip-page"])
    assert outcome.ok, outcome.error


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,<p>hi</p>",
        "file:///etc/passwd",
        "ftp://news.example/story",
        "http://user:secret@news.example/story",
        "https://news.example@evil.example/story",
    ],
)
def test_other_schemes_and_credentials_are_refused_before_connecting(
    server: LoopbackServer, url: str
) -> None:
    (outcome,) = _crawl(CLOSED, [url])
    assert isinstance(outcome.error, Blocked) and not isinstance(outcome.error, AddressRefused)
    assert "secret" not in str(outcome.error), "a password never reaches the fetch log"
    assert server.requests == ()


def test_a_redirect_to_a_numeric_loopback_address_is_refused(server: LoopbackServer) -> None:
    options = replace(
        CLOSED, allow_private=("hop.test",), resolve=server.resolve("hop.test"), retries=0
    )
    target = f"http://2130706434:{server.port}/_fault/gzip-page"

    async def go() -> None:
        async with build_client(options) as client:
            await fetch(client, f"http://hop.test/_fault/redirect?to={target}", options=options)

    with pytest.raises(AddressRefused):
        run(go())
    assert len(server.requests) == 1


def test_redirects_to_credentials_are_refused(server: LoopbackServer) -> None:
    options = replace(CLOSED, allow_private=("hop.test",), resolve=server.resolve("hop.test"))
    target = "http://user:pw@hop.test/_fault/gzip-page"

    async def go() -> None:
        async with build_client(options) as client:
            await fetch(client, f"http://hop.test/_fault/redirect?to={target}", options=options)

    with pytest.raises(Blocked, match="credentials"):
        run(go())


HOSTILE_LINKS = (
    "javascript:alert(1)",
    "data:text/html;base64,PHA+aGk8L3A+",
    "file:///etc/passwd",
    "ftp://news.example/file",
    "http://user:pw@news.example/2024/05/with-credentials",
    "//user@news.example/2024/05/protocol-relative-credentials",
    "http://news.example/" + "a" * 9000,
)


def test_feed_and_sitemap_parsers_drop_hostile_links() -> None:
    good = "http://news.example/2024/05/a-real-story"
    links = (*HOSTILE_LINKS, good)
    rss = "".join(f"<item><link><![CDATA[{link}]]></link></item>" for link in links)
    feed = f'<rss version="2.0"><channel><title>t</title>{rss}</channel></rss>'.encode()
    assert [i.url for i in parse_feed(feed, "http://news.example/feed").items] == [good]
    urls = "".join(f"<url><loc><![CDATA[{link}]]></loc></url>" for link in links)
    sitemap = f"<urlset>{urls}</urlset>".encode()
    assert [i.url for i in parse_sitemap(sitemap, "http://news.example/s.xml").urls] == [good]
