"""The fetch stage: lease due sources, run their cycles, record each source's health.

Sources are leased in batches (``store.work.claim_sources``), so any number of fetch processes
share the sources without fetching one twice; a lease is renewed while its cycle runs and
released with the source's next run time. A source's failure is written on its row and the
worker carries on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aggregator.cycle import CycleReport, SourceCycle
from aggregator.errors import AggregatorError
from aggregator.models import Source
from aggregator.store.schema import SourceRow
from aggregator.store.sources import record_failure, record_success, source_model
from aggregator.store.work import claim_sources, release_source
from aggregator.work.interval import IntervalPolicy, next_interval

__all__ = ["FetchWorker"]

log = logging.getLogger("aggregator.work.fetch")


class FetchWorker:
    """Runs source cycles for one process, at most ``at_once`` at a time."""

    def __init__(
        self,
        session: Session,
        cycle: SourceCycle,
        holder: str,
        *,
        policy: IntervalPolicy,
        lease_seconds: float,
        at_once: int,
        clock: Callable[[], datetime],
    ) -> None:
        self.session = session
        self.cycle = cycle
        self.holder = holder
        self.policy = policy
        self.lease_seconds = lease_seconds
        self.at_once = at_once
        self.clock = clock
        # Sources whose cycle failed with the database away, to release at the next claim.
        self.unreleased: set[int] = set()

    def claim(self, limit: int, names: tuple[str, ...] = ()) -> list[tuple[int, str]]:
        """Lease up to ``limit`` due sources (or the named ones, due or not)."""
        if self.unreleased:
            self._release_failed()
        return claim_sources(
            self.session,
            self.holder,
            now=self._now(),
            seconds=self.lease_seconds,
            limit=limit,
            names=names,
        )

    async def run_source(self, source_id: int, name: str) -> CycleReport:
        """One leased source's cycle, its health recorded and its lease released."""
        started = self.clock()
        try:
            row = self.session.get(SourceRow, source_id)
            if row is None:
                return CycleReport(source=name, errors=[f"no source named {name}"])
            source: Source = source_model(row)
            report = await self._cycle(source, source_id)
            self._record_health(source_id, source, report, started)
        except Exception:
            # A database failure mid-cycle: the source goes back as it was (still due), so
            # the next claim runs it again; what was stored stays and is not fetched twice.
            self._give_back(source_id)
            raise
        return report

    async def _cycle(self, source: Source, source_id: int) -> CycleReport:
        try:
            report = await self.cycle.run(source, source_id)
        except AggregatorError as exc:
            self.session.rollback()
            report = CycleReport(source=source.name, errors=[str(exc)], requests=1)
        self.session.commit()
        return report

    def _give_back(self, source_id: int) -> None:
        """Release a source whose cycle failed, now or (database away) at the next claim:
        left leased, the renewal job would keep it ours and never due again."""
        with contextlib.suppress(Exception):
            self.session.rollback()
        self.unreleased.add(source_id)
        with contextlib.suppress(Exception):
            self._release_failed()

    def _release_failed(self) -> None:
        for source_id in sorted(self.unreleased):
            release_source(self.session, source_id, self.holder)
        self.session.commit()
        self.unreleased.clear()

    async def run_named(self, names: tuple[str, ...] = ()) -> list[CycleReport]:
        """One cycle over the named sources (every enabled one when none), for ``fetch``.

        A source another process is fetching right now is reported, not fetched twice.
        """
        wanted = names or self._enabled()
        claimed = self.claim(len(wanted) or 1, names=wanted)
        reports = await asyncio.gather(*(self.run_source(i, n) for i, n in claimed))
        held = {name for _id, name in claimed}
        busy = [
            CycleReport(source=n, errors=[f"{n} is being fetched by another process"])
            for n in wanted
            if n not in held
        ]
        return list(reports) + busy

    def next_due(self) -> float:
        """Seconds until the next source falls due (a day when none is enabled)."""
        soonest = self.session.scalar(
            select(func.min(SourceRow.next_run_at)).where(SourceRow.enabled)
        )
        self.session.commit()
        if soonest is None:
            return 0.0 if self._enabled() else 86400.0
        return max(0.0, (soonest - self._now()).total_seconds())

    def _enabled(self) -> tuple[str, ...]:
        names = self.session.scalars(
            select(SourceRow.name).where(SourceRow.enabled).order_by(SourceRow.name)
        )
        return tuple(names)

    def _record_health(
        self, source_id: int, source: Source, report: CycleReport, started: datetime
    ) -> None:
        row = self.session.get(SourceRow, source_id)
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
        release_source(self.session, source_id, self.holder)
        self.session.commit()
        log.info(
            "stage=fetch source=%s new=%d errors=%d next_in=%.0fs",
            source.name,
            report.new_articles,
            len(report.errors),
            seconds,
        )

    def _now(self) -> datetime:
        return self.clock().replace(tzinfo=None)
