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
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from aggregator.cycle import CycleReport, SourceCycle
from aggregator.dedup.cluster import ClusterSettings
from aggregator.errors import DiskFull, StoreError
from aggregator.fetch.client import build_client
from aggregator.fetch.crawler import Crawler
from aggregator.fetch.options import FetchOptions
from aggregator.fetch.politeness import HostLimiter
from aggregator.models import SiteRules
from aggregator.store.faults import store_fault
from aggregator.store.leases import acquire, holder_id, lease_holder
from aggregator.store.retention import PruneCounts, RetentionPolicy, prune, reclaim
from aggregator.store.work import ARTICLES, PAGES, release_pages, renew_claims
from aggregator.store.workers import announce, retire
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

#: Longest pause of a role whose work keeps failing (the database away for a while).
MAX_PAUSE = 30.0
#: The prune runs once per this many hours across every process sharing the database: the
#: first to find the ``job:prune`` lease free takes it and keeps it that long.
PRUNE_EVERY_HOURS = 20.0
PRUNE_LEASE = "job:prune"
#: Pause between two prune batches, so the stages' own writes get in between.
PRUNE_BREATH = 0.05


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
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)


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
        self._failures: dict[str, int] = {}
        # Set when the daemon must stop (a full disk); ``on_fatal`` asks it to (see serve).
        self.fatal: StoreError | None = None
        self.on_fatal: Callable[[], object] = lambda: None

    async def __aenter__(self) -> Runner:
        self._announce()
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
            # Best effort: with the database away, the leases and claims run out by themselves.
            if self.stories is not None:
                await self._quietly("stories", self.stories.resign, story_thread=True)
                self.stories.close()
            if self.extractor is not None:
                session = self.extractor.session
                await self._quietly("extract", lambda: release_pages(session, self.holder))
            await self._quietly("stop", self._retire)
        finally:
            self.wakeup.close()
            if self.fetcher is not None:
                await self._client.aclose()
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
            self._thread.shutdown(wait=True)
            for session in self._sessions:
                session.close()

    def _announce(self) -> None:
        """Renew this process's claims and its ``worker:`` rows (see store.workers)."""
        now = self.clock().replace(tzinfo=None)
        seconds = self.options.lease_seconds
        with self.engine.begin() as connection:
            renew_claims(connection, self.holder, now=now, seconds=seconds)
            announce(connection, self.holder, self.roles, now=now, seconds=seconds)

    def _retire(self) -> None:
        with self.engine.begin() as connection:
            retire(connection, self.holder, self.roles)

    async def _quietly(
        self, stage: str, call: Callable[[], object], *, story_thread: bool = False
    ) -> None:
        try:
            await self.in_story_thread(call) if story_thread else call()
        except Exception as exc:
            log.warning("stage=%s error=%s; stopping without it", stage, store_fault(exc) or exc)

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
        self._announce()
        if self.stories is not None:
            self.stories.renew()

    async def prune(self) -> PruneCounts | None:
        """The daily retention prune, in a thread of its own and in small batches, so neither
        the event loop nor the stages' writes wait on it; None when it was not this
        process's turn."""
        return await asyncio.to_thread(self._prune)

    def _prune(self) -> PruneCounts | None:
        now = self.clock().replace(tzinfo=None)
        with self.engine.begin() as connection:
            if lease_holder(connection, PRUNE_LEASE, now=now) is not None:
                return None
            hold = PRUNE_EVERY_HOURS * 3600
            if not acquire(connection, PRUNE_LEASE, self.holder, now=now, seconds=hold):
                return None
        with Session(self.engine, expire_on_commit=False) as session:
            counts = prune(
                session, self.options.retention, now=now, between=lambda: time.sleep(PRUNE_BREATH)
            )
        space = reclaim(self.engine, convert=False)
        log.info("stage=prune %s space=%r", _key_values(counts), space)
        return counts

    async def guarded(
        self, stage: str, work: Awaitable[T], fallback: T, session: Session | None = None
    ) -> T:
        """Run one unit of a role's work; a failure (a lost database connection, a bug) is
        logged, ``session`` rolled back, and the role goes on with its next unit after a
        pause that doubles while the failures go on. A full disk stops the daemon instead
        (see ``fatal``): retrying cannot cure it."""
        try:
            result = await work
        except Exception as exc:
            await self._recover(stage, exc, session)
            return fallback
        self._failures[stage] = 0
        return result

    def report(self, stage: str, exc: BaseException) -> None:
        """Log a failed unit of work: one line for a database fault (it says what happened),
        a traceback for anything else; a full disk also stops the daemon."""
        fault = store_fault(exc)
        if isinstance(fault, DiskFull):
            log.error("stage=%s error=%s; stopping", stage, fault)
            self.fatal = self.fatal or fault
            self.on_fatal()
        elif fault is not None:
            log.warning("stage=%s error=%s; retrying after a pause", stage, fault)
        else:
            log.error("stage=%s error=unexpected; retrying after a pause", stage, exc_info=exc)

    async def _recover(self, stage: str, exc: Exception, session: Session | None) -> None:
        self.report(stage, exc)
        if session is not None:
            with contextlib.suppress(Exception):
                session.rollback()
        if stage in ("stories", "recheck") and self.stories is not None:
            with contextlib.suppress(Exception):
                await self.in_story_thread(self.stories.forget)
        failures = self._failures[stage] = self._failures.get(stage, 0) + 1
        first = min(1.0, self.options.poll_seconds)
        await asyncio.sleep(min(first * 2 ** (failures - 1), MAX_PAUSE))


def _key_values(counts: PruneCounts) -> str:
    return " ".join(f"{name}={value}" for name, value in asdict(counts).items())
