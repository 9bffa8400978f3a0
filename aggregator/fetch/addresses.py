"""Which addresses a fetch may connect to, and the operator's ``resolve`` overrides.

A feed is untrusted input: its links, redirects and DNS answers must not steer the fetcher into
the operator's own network (SSRF). The check runs on the address actually connected, after DNS
resolution, so a hostname that resolves to 10.0.0.1 or a redirect to http://127.0.0.1/ is refused.
A host that names its address without DNS (``127.0.0.2``, ``2130706434``, ``0177.0.0.2``,
``[::ffff:127.0.0.2]``, ``localhost``) is judged before anything else happens, robots.txt
included, so such a link costs no connection at all.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from aggregator.errors import AddressRefused, ConfigError

__all__ = [
    "AddressPolicy",
    "IPAddress",
    "ResolveMap",
    "is_public",
    "literal_address",
    "parse_ip",
    "refusal",
    "split_host_port",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# RFC 4291 §2.4: global unicast is 2000::/3; everything else (NAT64 64:ff9b::/96, IPv4-compatible
# ::a.b.c.d, site-local fec0::/10, the reserved blocks) is not a public web server.
_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
# Inside 2000::/3 but not routable; Python 3.11's ``is_global`` predates RFC 9637.
_NOT_GLOBAL_V6 = (ipaddress.IPv6Network("3fff::/20"),)


def parse_ip(text: str) -> IPAddress | None:
    """The address in ``text`` (IPv6 brackets and zone ids allowed), or None for a hostname.

    IPv4 also in the forms resolvers and browsers accept (``inet_aton``, WHATWG URL §3.5):
    one to four parts, each decimal, octal (``0177``) or hex (``0x7f``), and a trailing dot.
    """
    text = text.strip("[]").split("%", 1)[0]
    try:
        address: IPAddress | None = ipaddress.ip_address(text)
    except ValueError:
        address = _ipv4_numbers(text)
    # An IPv4-mapped IPv6 address (::ffff:127.0.0.1) reaches the IPv4 host: judge that one.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _ipv4_numbers(text: str) -> ipaddress.IPv4Address | None:
    """WHATWG's IPv4 parser: ``2130706434``, ``0177.0.0.2``, ``0x7f.1`` and ``127.0.0.2.``."""
    parts = text.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    numbers = [_ipv4_part(part) for part in parts]
    if not 1 <= len(parts) <= 4 or any(n is None for n in numbers):
        return None
    *leading, last = [n for n in numbers if n is not None]
    if any(n > 255 for n in leading) or last >= 256 ** (5 - len(parts)):
        return None
    value = last
    for index, number in enumerate(leading):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _ipv4_part(part: str) -> int | None:
    base, digits = 10, part
    if part[:2].lower() == "0x":
        base, digits = 16, part[2:] or "0"
    elif len(part) > 1 and part.startswith("0"):
        base, digits = 8, part[1:]
    if not digits or not digits.isascii() or not digits.isalnum():
        return None
    try:
        return int(digits, base)
    except ValueError:
        return None


def is_public(address: IPAddress) -> bool:
    """True for globally routable unicast addresses (RFC 6890 special-purpose ranges are not)."""
    if isinstance(address, ipaddress.IPv4Address):
        return address.is_global and not address.is_multicast and not address.is_reserved
    if address.sixtofour is not None:
        # 6to4 (RFC 3056) reaches the IPv4 host embedded in 2002:aabb:ccdd::/48.
        return is_public(address.sixtofour)
    return (
        address in _GLOBAL_UNICAST
        and address.is_global
        and not any(address in network for network in _NOT_GLOBAL_V6)
    )


def literal_address(host: str) -> IPAddress | None:
    """The address a URL host names without asking DNS, or None for a name DNS must resolve.

    ``localhost`` and ``*.localhost`` are loopback by definition (RFC 6761 §6.3), whatever a
    resolver says.
    """
    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return ipaddress.IPv4Address("127.0.0.1")
    return parse_ip(host)


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

    def check_host(self, host: str, url: str) -> None:
        """Refuse ``url`` now, before any connection, when its host is a refused literal address."""
        address = literal_address(host)
        if address is not None and not self.allows(host, address):
            raise AddressRefused(refusal(url, [address]))


def refusal(url: str, addresses: list[IPAddress | None]) -> str:
    """The one wording of an address refusal, shared by the early check and the transport."""
    shown = ", ".join(str(a) for a in addresses) or "nothing"
    return f"refused non-public address {shown} for {url}; not in fetch.allow_private"


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
