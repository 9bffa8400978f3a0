"""Per-host politeness: one request in flight per host, and a pause between requests.

The limiter belongs to the caller (the daemon keeps one for its lifetime), so delays learnt from
robots.txt ``Crawl-delay`` or a ``Retry-After`` outlive a single crawl. Hosts are keyed by
``host:port`` as in the URL's authority (RFC 3986 §3.2), lower-cased.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Protocol
from urllib.parse import urlsplit

__all__ = ["HostGate", "HostLimiter", "host_key"]


class HostGate(Protocol):
    """Shares each host's one connection and its pause with other processes.

    ``enter`` returns once this process may start a request to ``host`` (no other process has
    one in flight, and the host's pause is over); ``leave`` ends the request and closes the
    host to everyone for ``pause`` seconds.
    """

    async def enter(self, host: str) -> None: ...

    async def leave(self, host: str, pause: float) -> None: ...


def host_key(url: str) -> str:
    """``host:port`` of ``url`` (default port filled in), lower-cased; ValueError if unparsable."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise ValueError(f"no host in {url!r}")
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    return f"{parts.hostname}:{port}"


class _HostState:
    __slots__ = ("delay", "last_end", "lock", "next_start")

    def __init__(self, delay: float) -> None:
        self.lock = asyncio.Lock()
        self.delay = delay
        self.next_start = 0.0
        self.last_end: float | None = None


class HostLimiter:
    """Serialises requests per host and spaces them ``delay`` seconds apart (end to start).

    Within one process by itself; with a ``gate``, across every process that shares it.

    ``set_delay`` raises one host's delay (robots.txt Crawl-delay), clamped to ``max_delay`` so a
    hostile robots.txt cannot park a worker for days. ``defer`` keeps a host quiet for a while
    (Retry-After). ``max_hosts`` bounds memory: idle hosts are forgotten past it.
    """

    def __init__(
        self,
        delay: float = 1.0,
        *,
        max_delay: float = 60.0,
        max_hosts: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        gate: HostGate | None = None,
    ) -> None:
        self._gate = gate
        self._default = delay
        self._max_delay = max_delay
        self._max_hosts = max_hosts
        self._clock = clock
        self._sleep = sleep
        self._hosts: dict[str, _HostState] = {}

    def set_delay(self, host: str, seconds: float | None) -> None:
        """Use ``max(default, seconds)`` (at most ``max_delay``) between requests to ``host``."""
        wanted = max(self._default, seconds or 0.0)
        state = self._state(host)
        state.delay = min(wanted, max(self._max_delay, self._default))
        if state.last_end is not None:
            # Learnt mid-visit (robots.txt was the previous request): applies to the next one.
            state.next_start = max(state.next_start, state.last_end + state.delay)

    def defer(self, host: str, seconds: float) -> None:
        """Start no request to ``host`` for ``seconds`` from now."""
        state = self._state(host)
        state.next_start = max(state.next_start, self._clock() + seconds)

    def wait_time(self, host: str) -> float:
        """Seconds until ``host`` may be asked again (0 when it may be now)."""
        state = self._hosts.get(host)
        return 0.0 if state is None else max(0.0, state.next_start - self._clock())

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        """Hold ``host``'s only slot for one request, after waiting out its delay."""
        state = self._state(host)
        async with state.lock:
            wait = state.next_start - self._clock()
            if wait > 0:
                await self._sleep(wait)
            if self._gate is not None:
                await self._gate.enter(host)
            try:
                yield
            finally:
                state.last_end = self._clock()
                state.next_start = max(state.next_start, state.last_end + state.delay)
                if self._gate is not None:
                    await self._gate.leave(host, state.delay)

    def _state(self, host: str) -> _HostState:
        state = self._hosts.get(host)
        if state is None:
            self._forget_idle()
            state = self._hosts[host] = _HostState(self._default)
        return state

    def _forget_idle(self) -> None:
        if len(self._hosts) < self._max_hosts:
            return
        now = self._clock()
        for host, state in list(self._hosts.items()):
            if not state.lock.locked() and state.next_start <= now:
                del self._hosts[host]
