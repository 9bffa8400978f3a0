"""One process's runtime: the roles it runs, the objects they share, and one-shot runs.

A ``Runner`` owns this process's lease-holder name, database sessions (one per role: the
roles meet only in the database), the HTTP client and crawler (fetch), the extraction
process pool (extract) and the story worker with its own thread (stories). The daemon's loops
(``aggregator.scheduler``) and ``aggregator fetch`` drive it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from aggregator.cycle import CycleReport, SourceCycle
from aggregator.dedup.cluster import ClusterSettings
from aggregator.fetch.client import build_client
from aggregator.fetch.crawler import Crawler
from aggregator.fetch.options import FetchOptions
from aggregator.fetch.politeness import HostLimiter
from aggregator.models import SiteRules
from aggregator.store.leases import holder_id
from aggregator.store.work import ARTICLES, PAGES, release_pages, renew_claims
from aggregator.work.extracting import ExtractWorker
from aggregator.work.fetching import FetchWorker
from aggregator.work.hosts import DatabaseHostGate
from aggregator.work.interval import IntervalPolicy, next_interval
from aggregator.work.stories import StoryWorker
from aggregator.work.wake import Wakeup

__all__ = ["ROLES", "IntervalPolicy", "RunOptions", "Runner", "next_interval"]

log = logging.getLogger("aggregator.runner")

ROLES = ("fetch", "extract", "stories")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RunOptions:
    """Everything the roles need from the settings, as plain values."""

    fetch: FetchOptions
    cluster: ClusterSettings
    rules: dict[str, SiteRules] = field(default_factory=dict)
    workers: int = 1
    max_articles: int = 200
    refetch: bool = False
    policy: IntervalPolicy = field(default_factory=IntervalPolicy)
    lease_seconds: float = 30.0
    sources_at_once: int = 8
    poll_seconds: float = 5.0


class Runner:
    """Use as ``async with Runner(engine, options, roles=...) as runner``."""

    def __init__(
        self,
        engine: Engine,
        options: RunOptions,
        *,
        roles: tuple[str, ...] = ROLES,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.engine = engine
        self.options = options
        self.roles = roles
        self.clock = clock or (lambda: datetime.now(UTC))
        self.holder = holder_id()
        self.wakeup = Wakeup()
        self.fetcher: FetchWorker | None = None
        self.extractor: ExtractWorker | None = None
        self.stories: StoryWorker | None = None
        self._sessions: list[Session] = []
        self._pool: Executor | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stories")

    async def __aenter__(self) -> Runner:
        self.wakeup.listen(self.engine)
        if "fetch" in self.roles:
            self.fetcher = self._fetch_worker()
        if "extract" in self.roles:
            self.extractor = self._extract_worker()
        if "stories" in self.roles:
            self.stories = StoryWorker(
                self.engine,
                self.options.cluster,
                self.holder,
                lease_seconds=self.options.lease_seconds,
                clock=self.clock,
            )
        return self

    def _session(self) -> Session:
        session = Session(self.engine, expire_on_commit=False)
        self._sessions.append(session)
        return session

    def _fetch_worker(self) -> FetchWorker:
        options = self.options
        gate = None
        if self.engine.dialect.name == "postgresql":  # other processes may fetch beside us
            hold = max(options.lease_seconds, options.fetch.timeout * (options.fetch.retries + 1))
            gate = DatabaseHostGate(self.engine, self.holder, self.clock, hold_seconds=hold)
        limiter = HostLimiter(
            options.fetch.per_host_delay, max_delay=options.fetch.max_crawl_delay, gate=gate
        )
        self._client = build_client(options.fetch)
        session = self._session()
        cycle = SourceCycle(
            session,
            Crawler(self._client, options.fetch, limiter=limiter),
            max_articles=options.max_articles,
            refetch=options.refetch,
            clock=self.clock,
            on_stored=lambda: self.wakeup.wake(PAGES),
        )
        return FetchWorker(
            session,
            cycle,
            self.holder,
            policy=options.policy,
            lease_seconds=options.lease_seconds,
            at_once=options.sources_at_once,
            clock=self.clock,
        )

    def _extract_worker(self) -> ExtractWorker:
        workers = self.options.workers
        if workers > 1:
            self._pool = ProcessPoolExecutor(max_workers=workers)
        return ExtractWorker(
            self._session(),
            self.holder,
            pool=self._pool,
            rules=self.options.rules,
            lease_seconds=self.options.lease_seconds,
            batch=max(16, 8 * workers),
            clock=self.clock,
            on_article=lambda: self.wakeup.wake(ARTICLES),
        )

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self.stories is not None:
                await self.in_story_thread(self.stories.resign)
                self.stories.close()
            if self.extractor is not None:
                release_pages(self.extractor.session, self.holder)
        finally:
            self.wakeup.close()
            if self.fetcher is not None:
                await self._client.aclose()
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
            self._thread.shutdown(wait=True)
            for session in self._sessions:
                session.close()

    async def in_story_thread(self, call: Callable[[], T]) -> T:
        """Run a story-worker call on its own thread: the stage is CPU-bound and must not
        hold up fetching, and its session is only ever used from that thread."""
        return await asyncio.get_running_loop().run_in_executor(self._thread, call)

    async def fetch_once(self, names: tuple[str, ...] = ()) -> list[CycleReport]:
        """``aggregator fetch``: one cycle over the sources, then every stage this process
        runs drained; the story stage only when no other process holds it."""
        reports: list[CycleReport] = []
        if self.fetcher is not None:
            reports = await self.fetcher.run_named(names)
        if self.extractor is not None:
            await self.extractor.drain()
        if self.stories is not None:
            await self.settle_stories()
        return reports

    async def settle_stories(self) -> bool:
        """Assign every pending article and run the re-check, when the role is free; False
        when another process holds it (it will do the work)."""
        assert self.stories is not None
        stories = self.stories
        if not await self.in_story_thread(stories.lead):
            log.info("stage=stories another process holds the story role; leaving it the work")
            return False
        await self.in_story_thread(stories.drain)
        await self.in_story_thread(stories.recheck)
        await self.in_story_thread(stories.resign)
        return True

    def renew(self) -> None:
        """Extend every lease this process holds (a periodic job while it runs); on its own
        connection, so it never commits a role's half-done work."""
        now = self.clock().replace(tzinfo=None)
        with self.engine.begin() as connection:
            renew_claims(connection, self.holder, now=now, seconds=self.options.lease_seconds)
        if self.stories is not None:
            self.stories.renew()

    async def guarded(
        self, stage: str, work: Awaitable[T], fallback: T, session: Session | None = None
    ) -> T:
        """Run one unit of a role's work; a failure (a lost database connection, a bug) is
        logged, ``session`` rolled back, and the role goes on with its next unit."""
        try:
            return await work
        except Exception:
            log.exception("stage=%s error=unexpected; retrying after a pause", stage)
            if session is not None:
                with contextlib.suppress(Exception):
                    session.rollback()
            if stage == "stories" and self.stories is not None:
                with contextlib.suppress(Exception):
                    await self.in_story_thread(self.stories.forget)
            await asyncio.sleep(min(1.0, self.options.poll_seconds))
            return fallback
