"""Network safety: addresses are judged where the connection is made, after DNS and redirects."""

from __future__ import annotations

import ipaddress
import ssl
from dataclasses import replace

import pytest

from aggregator.errors import Blocked, ConfigError, ConnectError, TooLarge
from aggregator.fetch.addresses import AddressPolicy, ResolveMap, is_public, parse_ip
from aggregator.fetch.client import build_client
from aggregator.fetch.http import fetch
from aggregator.fetch.options import FetchOptions
from aggregator.fetch.transport import make_ssl_context
from aggregator.models import FetchResult
from tests.fetch.conftest import FAST, run
from tests.loopback import LoopbackServer

CLOSED = replace(FAST, allow_private=(), retries=0)


async def _get(url: str, options: FetchOptions) -> FetchResult:
    async with build_client(options) as client:
        return await fetch(client, url, options=options)


def test_loopback_is_refused_by_default(server: LoopbackServer) -> None:
    with pytest.raises(Blocked, match="non-public"):
        run(_get(server.base + "/_fault/gzip-page", CLOSED))
    assert server.requests == ()


def test_a_name_resolving_to_a_private_address_is_refused(
    server: LoopbackServer, no_dns: dict[str, str]
) -> None:
    no_dns["intranet.example"] = "127.0.0.1"
    url = f"http://intranet.example:{server.port}/_fault/gzip-page"
    with pytest.raises(Blocked):
        run(_get(url, CLOSED))
    allowed = replace(CLOSED, allow_private=("intranet.example",))
    assert run(_get(url, allowed)).status == 200


def test_redirect_into_a_private_address_is_refused(server: LoopbackServer) -> None:
    # The first hop is allowed by name; the redirect target (a bare loopback IP) is not.
    options = replace(
        CLOSED, allow_private=("allowed.test",), resolve=server.resolve("allowed.test")
    )
    url = f"http://allowed.test/_fault/redirect?to={server.base}/_fault/gzip-page"
    with pytest.raises(Blocked, match=r"127\.0\.0\.1"):
        run(_get(url, options))
    assert len(server.requests) == 1


def test_resolve_override_targets_are_still_checked(server: LoopbackServer) -> None:
    options = replace(CLOSED, resolve=server.resolve("site.test"))
    with pytest.raises(Blocked):
        run(_get("http://site.test/_fault/gzip-page", options))
    allowed = replace(options, allow_private=("127.0.0.0/8",))
    assert run(_get("http://site.test/_fault/gzip-page", allowed)).status == 200


def test_unknown_names_fail_as_connect_errors() -> None:
    with pytest.raises(ConnectError, match="DNS"):
        run(_get("http://does-not-exist.test/", CLOSED))


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
        "0.0.0.0", "224.0.0.1", "239.255.255.250", "255.255.255.255", "::1", "fe80::1",
        "fc00::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::",
    ],
)  # fmt: skip
def test_non_public_addresses(address: str) -> None:
    parsed = parse_ip(address)
    assert parsed is not None and not is_public(parsed)
    assert not AddressPolicy().allows("example.org", parsed)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
def test_public_addresses(address: str) -> None:
    parsed = parse_ip(address)
    assert parsed is not None and is_public(parsed)


def test_allow_list_takes_hosts_and_cidrs() -> None:
    policy = AddressPolicy.from_allow_list(("10.0.0.0/8", "Intranet.Example.", "::1"))
    assert policy.allows("x", ipaddress.ip_address("10.9.8.7"))
    assert policy.allows("intranet.example", ipaddress.ip_address("192.168.0.1"))
    assert policy.allows("x", ipaddress.ip_address("::1"))
    assert not policy.allows("x", ipaddress.ip_address("192.168.0.1"))


def test_resolve_map_prefers_the_exact_port() -> None:
    table = ResolveMap(
        (("a.test", "10.0.0.1"), ("A.test:8080", "10.0.0.2:9000"), ("v6.test", "[::1]:81"))
    )
    assert table.lookup("a.test", 80) == ("10.0.0.1", 80)
    assert table.lookup("a.test", 8080) == ("10.0.0.2", 9000)
    assert table.lookup("v6.test", 80) == ("::1", 81)
    assert table.lookup("b.test", 80) is None


def test_resolve_targets_must_be_addresses() -> None:
    with pytest.raises(ConfigError):
        ResolveMap((("a.test", "b.test:80"),))


def test_tls_is_verified_and_modern() -> None:
    context = make_ssl_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2


def test_options_reject_nonsense() -> None:
    with pytest.raises(ConfigError):
        FetchOptions(max_bytes=0)
    with pytest.raises(ConfigError):
        FetchOptions(timeout=0)


def test_loopback_server_stays_inside_its_root(site_server: LoopbackServer) -> None:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", site_server.port, timeout=2)
    for host, path in (("..", "/news.test/index.html"), ("news.test", "/../other.test/item-0")):
        connection.request("GET", path, headers={"Host": host})
        response = connection.getresponse()
        response.read()
        assert response.status == 404
    connection.close()


def test_refusals_and_cutoffs_do_not_leak_pool_slots(server: LoopbackServer) -> None:
    options = replace(
        FAST,
        allow_private=("ok.test",),
        resolve=server.resolve("ok.test", "bad.test"),
        max_connections=2,
    )

    async def go() -> int:
        async with build_client(options) as client:
            for url in ["http://bad.test/_fault/gzip-page"] * 5 + [
                "http://ok.test/_fault/huge"
            ] * 3:
                with pytest.raises((Blocked, TooLarge)):
                    await fetch(client, url, options=options)
            return (await fetch(client, "http://ok.test/_fault/gzip-page", options=options)).status

    assert run(go()) == 200
