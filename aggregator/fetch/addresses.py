"""Which addresses a fetch may connect to, and the operator's ``resolve`` overrides.

A feed is untrusted input: its links, redirects and DNS answers must not steer the fetcher into
the operator's own network (SSRF). The check runs on the address actually connected, after DNS
resolution, so a hostname that resolves to 10.0.0.1 or a redirect to http://127.0.0.1/ is refused.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from aggregator.errors import ConfigError

__all__ = ["AddressPolicy", "IPAddress", "ResolveMap", "is_public", "parse_ip", "split_host_port"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_ip(text: str) -> IPAddress | None:
    """The address in ``text`` (IPv6 brackets and zone ids allowed), or None for a hostname."""
    text = text.strip("[]").split("%", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    # An IPv4-mapped IPv6 address (::ffff:127.0.0.1) reaches the IPv4 host: judge that one.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_public(address: IPAddress) -> bool:
    """True for globally routable unicast addresses (RFC 6890 special-purpose ranges are not)."""
    return address.is_global and not address.is_multicast


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Refuses non-public addresses unless a host name or CIDR in ``allow_private`` covers it."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[_Network, ...] = ()

    @classmethod
    def from_allow_list(cls, allow_private: tuple[str, ...]) -> AddressPolicy:
        hosts: set[str] = set()
        networks: list[_Network] = []
        for entry in allow_private:
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                hosts.add(entry.lower().rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def allows(self, host: str, address: IPAddress) -> bool:
        if is_public(address) or host.lower().rstrip(".") in self.hosts:
            return True
        return any(address in network for network in self.networks)


@dataclass(frozen=True, slots=True)
class ResolveMap:
    """``host[:port] -> ip[:port]`` overrides, like ``curl --resolve``; exact port wins."""

    entries: tuple[tuple[str, str], ...] = ()
    _table: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for _, target in self.entries:
            host, _port = split_host_port(target, 0)
            if parse_ip(host) is None:
                raise ConfigError(f"fetch: resolve target {target!r} is not an IP address")
        table = {key.lower().rstrip("."): value for key, value in self.entries}
        object.__setattr__(self, "_table", table)  # a frozen dataclass's derived index

    def lookup(self, host: str, port: int) -> tuple[str, int] | None:
        host = host.lower().rstrip(".")
        target = self._table.get(f"{host}:{port}") or self._table.get(host)
        if target is None:
            return None
        return split_host_port(target, port)


def split_host_port(text: str, default_port: int) -> tuple[str, int]:
    """``"1.2.3.4:80"``, ``"[::1]:80"``, ``"::1"`` or ``"1.2.3.4"`` into host and port."""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else default_port
    if text.count(":") == 1:
        host, _, port = text.partition(":")
        return host, int(port)
    return text, default_port
