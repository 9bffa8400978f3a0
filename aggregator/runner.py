"""The fetch runtime: one database session, HTTP client, crawler and extraction pool, shared by
every source's cycle; source health is recorded after each cycle.

Extraction is CPU-bound, so it runs off the event loop in a process pool sized to the CPUs;
storing stays on the loop's thread, one short transaction per page.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType

from sqlalchemy.orm import Session

from aggregator.cycle import CycleReport, SourceCycle
from aggregator.dedup.cluster import ClusterSettings
from aggregator.errors import AggregatorError
from aggregator.fetch.client import build_client
from aggregator.fetch.crawler import Crawler
from aggregator.fetch.options import FetchOptions
from aggregator.models import SiteRules, Source
from aggregator.pipeline import Extraction, Ingestor, PageInput, extract_page
from aggregator.store.sources import (
    find_source,
    list_sources,
    record_failure,
    record_success,
    source_model,
)

__all__ = ["IntervalPolicy", "Runner", "next_interval"]

log = logging.getLogger("aggregator.runner")


@dataclass(frozen=True, slots=True)
class IntervalPolicy:
    """Bounds of the adaptive polling interval."""

    min_seconds: float = 300.0
    max_seconds: float = 21600.0


def next_interval(
    base: float,
    new_articles: int,
    failures: int,
    policy: IntervalPolicy,
    retry_after: float | None = None,
) -> float:
    """Poll busy sources more often and quiet ones less; back off exponentially on failure.

    The configured interval is the centre: up to 4x faster when a cycle brought many new
    articles, up to 4x slower when it brought none, and 2^failures slower (at most 64x) while
    a source keeps failing. A Retry-After longer than that wins. Bounded by the policy.
    """
    if failures:
        seconds = base * 2.0 ** min(failures, 6)
    elif new_articles == 0:
        seconds = base * 1.5
    else:
        seconds = base / min(4.0, 1.0 + new_articles / 10.0)
    seconds = max(seconds, retry_after or 0.0)
    return max(policy.min_seconds, min(policy.max_seconds, seconds))


class Runner:
    """Owns the shared fetch objects; use as ``async with Runner(...) as runner``."""

    def __init__(
        self,
        session: Session,
        *,
        fetch_options: FetchOptions,
        cluster: ClusterSettings,
        rules: dict[str, SiteRules] | None = None,
        workers: int = 1,
        max_articles: int = 200,
        refetch: bool = False,
        policy: IntervalPolicy | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.session = session
        self.options = fetch_options
        self.rules = rules or {}
        self.policy = policy or IntervalPolicy()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.ingestor = Ingestor(session, cluster, clock=self.clock)
        self.workers = workers
        self.max_articles = max_articles
        self.refetch = refetch
        self._pool: Executor | None = None
        self._cycle: SourceCycle | None = None
        self._locks: dict[str, asyncio.Lock] = {}

    async def __aenter__(self) -> Runner:
        self._client = build_client(self.options)
        crawler = Crawler(self._client, self.options)
        if self.workers > 1:
            self._pool = ProcessPoolExecutor(max_workers=self.workers)
        self._cycle = SourceCycle(
            self.session,
            self.ingestor,
            crawler,
            self._extract,
            max_articles=self.max_articles,
            refetch=self.refetch,
            clock=self.clock,
        )
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._client.aclose()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    async def _extract(self, page: PageInput) -> Extraction:
        if self._pool is None:
            return extract_page(page)
        return await asyncio.get_running_loop().run_in_executor(self._pool, extract_page, page)

    def sources(self, names: tuple[str, ...] = ()) -> list[str]:
        rows = list_sources(self.session, enabled_only=not names)
        return [row.name for row in rows if not names or row.name in names]

    async def run_source(self, name: str) -> CycleReport:
        """One cycle for one source; never two at once for the same source."""
        (report,) = await self.run_all((name,), only_enabled=False)
        return report

    async def run_all(
        self, names: tuple[str, ...] = (), *, only_enabled: bool = True
    ) -> list[CycleReport]:
        """One cycle over the sources (all enabled ones when ``names`` is empty).

        Every source is fetched and cleaned concurrently, then their new pages are stored
        together in publication order, then each source's health is recorded.
        """
        chosen = list(names) if names and not only_enabled else self.sources(names)
        started = self.clock()
        collected = await asyncio.gather(*(self._collect(name) for name in chosen))
        assert self._cycle is not None, "use Runner as an async context manager"
        self._cycle.store([report for _source, report in collected])
        for source, report in collected:
            if source is not None:
                self._record_health(source.name, source, report, started)
        return [report for _source, report in collected]

    async def _collect(self, name: str) -> tuple[Source | None, CycleReport]:
        lock = self._locks.setdefault(name, asyncio.Lock())
        if lock.locked():
            return None, CycleReport(source=name, errors=[f"{name} is already running"])
        async with lock:
            row = find_source(self.session, name)
            if row is None:
                return None, CycleReport(source=name, errors=[f"no source named {name}"])
            source: Source = source_model(row)
            assert self._cycle is not None, "use Runner as an async context manager"
            try:
                return source, await self._cycle.collect(source, row.id, self.rules.get(name))
            except AggregatorError as exc:
                self.session.rollback()
                return source, CycleReport(source=name, errors=[str(exc)], requests=1)

    def _record_health(
        self, name: str, source: Source, report: CycleReport, started: datetime
    ) -> None:
        row = find_source(self.session, name)
        if row is None:
            return
        failed = report.discovery_failed
        failures = (row.consecutive_failures or 0) + 1 if failed else 0
        seconds = next_interval(
            source.interval_seconds, report.new_articles, failures, self.policy, report.retry_after
        )
        now = started.replace(tzinfo=None)
        next_run = now + timedelta(seconds=seconds)
        if failed:
            record_failure(row, now, "; ".join(report.errors)[:2000], next_run)
        else:
            record_success(row, now, next_run)
        self.session.commit()
        log.info(
            "stage=cycle source=%s new=%d errors=%d next_in=%.0fs",
            name,
            report.new_articles,
            len(report.errors),
            seconds,
        )

    def next_delay(self, name: str) -> float:
        """Seconds until the source's next run, as recorded after its last cycle."""
        row = find_source(self.session, name)
        if row is None or row.next_run_at is None:
            return 0.0
        return max(0.0, (row.next_run_at - self.clock().replace(tzinfo=None)).total_seconds())

    def recheck(self) -> int:
        """Re-check the last window's assignments; returns the folds applied."""
        since = self.clock() - timedelta(days=self.ingestor.settings.window_days)
        applied = self.ingestor.recheck(since)
        self.ingestor.suggest_moves(since)
        return applied
