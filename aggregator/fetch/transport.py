"""An httpx transport whose every TCP connection goes through the address policy.

httpx resolves nothing itself: httpcore's network backend receives the host name and connects.
Wrapping that backend is the one place that sees the address actually dialled, on the first
request, on every redirect and on every reconnect of a pooled connection, so DNS rebinding or a
redirect to an internal host cannot slip past it. TLS still uses the URL's host name for SNI and
certificate checks (httpcore passes the origin host as ``server_hostname``), so connecting to a
checked IP does not weaken verification.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Iterable

import httpcore
import httpx

from aggregator.errors import AddressRefused, Blocked, ConfigError

from .addresses import AddressPolicy, IPAddress, ResolveMap, parse_ip, refusal
from .options import FetchOptions

__all__ = ["GuardedBackend", "SafeTransport", "make_ssl_context"]


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, applies ``resolve`` overrides, checks the address, then connects to that IP."""

    def __init__(self, policy: AddressPolicy, resolve: ResolveMap) -> None:
        self._policy = policy
        self._resolve = resolve
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._addresses(host, port, timeout)
        last_error: Exception | None = None
        for address, target_port in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address), target_port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:  # try the next A/AAAA record
                last_error = exc
        raise httpcore.ConnectError(f"cannot connect to {host}:{port}: {last_error}")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise Blocked(f"unix sockets are not allowed ({path})")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)

    async def _addresses(
        self, host: str, port: int, timeout: float | None
    ) -> list[tuple[IPAddress, int]]:
        override = self._resolve.lookup(host, port)
        if override is not None:
            candidates = [(parse_ip(override[0]), override[1])]
        else:
            candidates = [(address, port) for address in await _lookup(host, port, timeout)]
        allowed = [(a, p) for a, p in candidates if a is not None and self._policy.allows(host, a)]
        if not allowed:
            raise AddressRefused(refusal(host, [a for a, _ in candidates]))
        return allowed


async def _lookup(host: str, port: int, timeout: float | None) -> list[IPAddress | None]:
    literal = parse_ip(host)
    if literal is not None:
        return [literal]
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout
        )
    except TimeoutError as exc:
        raise httpcore.ConnectTimeout(f"DNS lookup for {host} timed out") from exc
    except (OSError, UnicodeError) as exc:  # UnicodeError: a label IDNA cannot encode
        raise httpcore.ConnectError(f"DNS lookup for {host} failed: {exc}") from exc
    unique = dict.fromkeys(parse_ip(str(info[4][0])) for info in infos)
    return list(unique)


def make_ssl_context(ca_file: str | None = None) -> ssl.SSLContext:
    """Verified TLS 1.2+ with the system trust store; never a fallback to plain or unverified.

    ``ca_file`` adds trust anchors (an internal CA, a TLS-inspecting proxy's CA); it never
    relaxes verification.
    """
    context = httpx.create_ssl_context(verify=True, trust_env=False)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if ca_file:
        try:
            context.load_verify_locations(cafile=ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"fetch: cannot load CA file {ca_file}: {exc}") from exc
    return context


class SafeTransport(httpx.AsyncHTTPTransport):
    """``httpx.AsyncHTTPTransport`` whose connection pool dials through ``GuardedBackend``.

    httpx offers no public parameter for the network backend, so the pool is rebuilt here with
    the same limits; request and response handling (and httpcore → httpx error mapping) stay
    httpx's own. Proxies are not supported: a proxy would hide the address actually reached.
    """

    def __init__(self, options: FetchOptions) -> None:
        limits = _limits(options)
        context = make_ssl_context(options.ca_file)
        super().__init__(verify=context, trust_env=False, limits=limits)
        backend = GuardedBackend(
            AddressPolicy.from_allow_list(options.allow_private), ResolveMap(options.resolve)
        )
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=backend,
        )


def _limits(options: FetchOptions) -> httpx.Limits:
    return httpx.Limits(
        max_connections=options.max_connections,
        max_keepalive_connections=options.max_connections,
        keepalive_expiry=30.0,
    )
