"""Fetch many URLs at once: concurrent across hosts, polite within each host.

Every URL gets a ``CrawlOutcome``; one bad URL (or host) never stops the others. The client, the
``HostLimiter`` and the ``RobotsCache`` belong to the caller and may be shared between crawls.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from aggregator.errors import Blocked, FetchError, HTTPStatusError
from aggregator.models import FetchResult

from .addresses import AddressPolicy
from .http import ACCEPT_DOCUMENTS, check_url, fetch
from .options import FetchOptions
from .politeness import HostLimiter, host_key
from .robots import RobotsCache

__all__ = ["CrawlOutcome", "CrawlRequest", "Crawler"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CrawlRequest:
    """One URL to fetch, with the validators stored from its last fetch."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    accept: str = ACCEPT_DOCUMENTS


@dataclass(frozen=True, slots=True)
class CrawlOutcome:
    """What became of one URL: a ``result``, an ``error``, or ``deferred`` (not tried at all).

    A URL is deferred when its host asked us (Retry-After, on this or an earlier crawl through
    the same limiter) to stay away longer than ``FetchOptions.max_retry_after``; ``retry_after``
    then says for how many more seconds. It is also set on errors that carried a Retry-After.
    """

    url: str
    result: FetchResult | None = None
    error: FetchError | None = None
    deferred: bool = False
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.result is not None


class Crawler:
    """Fetches URLs with at most ``concurrency`` requests in flight and one per host."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        options: FetchOptions,
        *,
        limiter: HostLimiter | None = None,
        robots: RobotsCache | None = None,
        concurrency: int = 32,
    ) -> None:
        self._client = client
        self._options = options
        self._limiter = limiter or HostLimiter(
            options.per_host_delay, max_delay=options.max_crawl_delay
        )
        self._robots = robots or RobotsCache(ttl=options.robots_ttl)
        self._policy = AddressPolicy.from_allow_list(options.allow_private)
        self._gate = asyncio.Semaphore(concurrency)

    async def crawl(
        self,
        requests: Iterable[CrawlRequest | str],
        on_outcome: Callable[[CrawlOutcome], None] | None = None,
    ) -> tuple[CrawlOutcome, ...]:
        """Fetch them all; outcomes come back in the order the requests were given.

        ``on_outcome`` sees each outcome as soon as it is known, so a caller can store a page
        while the rest are still being fetched.
        """
        wanted = [r if isinstance(r, CrawlRequest) else CrawlRequest(r) for r in requests]
        queues: dict[str, list[int]] = {}
        for index, request in enumerate(wanted):
            queues.setdefault(_host_or_url(request.url), []).append(index)
        outcomes: list[CrawlOutcome | None] = [None] * len(wanted)
        async with asyncio.TaskGroup() as group:
            for indices in queues.values():
                group.create_task(self._drain(wanted, indices, outcomes, on_outcome))
        return tuple(o for o in outcomes if o is not None)

    async def _drain(
        self,
        wanted: list[CrawlRequest],
        indices: list[int],
        outcomes: list[CrawlOutcome | None],
        on_outcome: Callable[[CrawlOutcome], None] | None,
    ) -> None:
        """One host's URLs, in order; while the host asks for a long pause they are deferred."""
        for index in indices:
            url = wanted[index].url
            wait = self._limiter.wait_time(_host_or_url(url))
            if wait > self._options.max_retry_after:
                outcome = CrawlOutcome(url, deferred=True, retry_after=wait)
            else:
                outcome = await self.fetch(wanted[index])
            outcomes[index] = outcome
            if on_outcome is not None:
                on_outcome(outcome)

    async def fetch(self, request: CrawlRequest | str) -> CrawlOutcome:
        """One URL, politely: robots.txt first, then the host's slot. Never raises FetchError."""
        request = request if isinstance(request, CrawlRequest) else CrawlRequest(request)
        try:
            result = await self._fetch(request)
        except FetchError as exc:
            _log.info("stage=fetch url=%s kind=%s error=%s", request.url, exc.kind, exc)
            retry_after = exc.retry_after if isinstance(exc, HTTPStatusError) else None
            return CrawlOutcome(request.url, error=exc, retry_after=retry_after)
        return CrawlOutcome(request.url, result=result)

    async def _fetch(self, request: CrawlRequest) -> FetchResult:
        # Before robots.txt: a refused address must be reported as one, not as a robots.txt
        # that could not be read from it.
        check_url(request.url, self._policy)
        host = host_key(request.url)
        if self._options.respect_robots:
            await self._check_robots(request.url, host)
        try:
            async with self._polite(host):
                return await fetch(
                    self._client,
                    request.url,
                    options=self._options,
                    etag=request.etag,
                    last_modified=request.last_modified,
                    accept=request.accept,
                    check_redirect=self._redirect_robots if self._options.respect_robots else None,
                )
        except HTTPStatusError as exc:
            if exc.retry_after is not None:
                self._limiter.defer(host, exc.retry_after)  # this host only
            raise

    async def _check_robots(self, url: str, host: str) -> None:
        rules = self._robots.cached(url)
        if rules is None:
            async with self._polite(host):
                rules = await self._robots.load(self._client, url, options=self._options)
        self._limiter.set_delay(host, rules.crawl_delay)
        if not rules.allows(url):
            raise Blocked(
                f"robots.txt disallows {url}" + (f": {rules.reason}" if rules.reason else "")
            )

    async def _redirect_robots(self, target: str) -> None:
        """A redirect must not lead to a URL that the target's own robots.txt disallows.

        The target host's robots.txt is fetched outside its politeness slot: taking a second
        host's slot while holding the first could deadlock two redirecting hosts.
        """
        rules = self._robots.cached(target)
        if rules is None:
            rules = await self._robots.load(self._client, target, options=self._options)
        if not rules.allows(target):
            raise Blocked(f"robots.txt disallows redirect target {target}")

    @asynccontextmanager
    async def _polite(self, host: str) -> AsyncIterator[None]:
        # The host slot first (it may sleep), then a global slot only for the exchange itself.
        async with self._limiter.slot(host), self._gate:
            yield


def _host_or_url(url: str) -> str:
    try:
        return host_key(url)
    except ValueError:
        return url  # fails on its own in fetch()
