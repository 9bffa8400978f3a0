"""``aggregator status``: one look that tells an operator whether all is well, and what is not.

Counts come from :mod:`aggregator.store.health` (what /metrics serves), pending work from
:func:`aggregator.store.work.pending_work`, liveness from the ``leases`` table. ``problems``
lists what needs attention; the command exits non-zero when it is not empty.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from aggregator.store.health import Figures, figures
from aggregator.store.schema import Article, Base, Fetch, Lease, Page, SourceRow
from aggregator.store.work import PendingWork, pending_work
from aggregator.store.workers import live_workers

__all__ = ["FailingSource", "HeldLease", "Status", "Thresholds", "status"]


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When waiting work or a failing source becomes a problem."""

    pending_minutes: float = 15.0
    failing_hours: float = 24.0


@dataclass(frozen=True, slots=True)
class FailingSource:
    name: str
    failures: int
    since: datetime | None  # the last success (or when the source was added): failing since
    last_error: str


@dataclass(frozen=True, slots=True)
class HeldLease:
    name: str  # role:stories, host:..., worker:ROLE:HOLDER, source:NAME, pages
    holder: str
    until: datetime | None
    live: bool


@dataclass(frozen=True, slots=True)
class Status:
    backend: str
    size_bytes: int
    rows: dict[str, int]
    figures: Figures
    pending: PendingWork
    oldest_pending: dict[str, datetime | None]
    failing: tuple[FailingSource, ...]
    last_fetch: datetime | None
    fetches_last_hour: int
    next_runs: tuple[tuple[str, datetime | None], ...]
    workers: dict[str, list[str]]
    leases: tuple[HeldLease, ...]
    problems: tuple[str, ...]


def status(session: Session, *, now: datetime, thresholds: Thresholds) -> Status:
    """Everything ``aggregator status`` shows, read in one short read transaction."""
    oldest = _oldest_pending(session, now)
    workers = live_workers(session, now=now)
    leases = _leases(session, now)
    failing = _failing(session)
    report = Status(
        backend=session.get_bind().dialect.name,
        size_bytes=_size(session),
        rows={
            t.name: session.scalar(select(func.count()).select_from(t)) or 0
            for t in Base.metadata.sorted_tables
        },
        figures=figures(session, now),
        pending=pending_work(session, now=now),
        oldest_pending=oldest,
        failing=failing,
        last_fetch=session.scalar(select(func.max(Fetch.started_at))),
        fetches_last_hour=session.scalar(
            select(func.count(Fetch.id)).where(Fetch.started_at >= now - timedelta(hours=1))
        )
        or 0,
        next_runs=_next_runs(session),
        workers=workers,
        leases=leases,
        problems=(),
    )
    session.commit()
    problems = _stale_work(report, now, thresholds) + _long_failures(failing, now, thresholds)
    return replace(report, problems=tuple(problems))


def _size(session: Session) -> int:
    if session.get_bind().dialect.name == "sqlite":
        pages = session.execute(text("PRAGMA page_count")).scalar() or 0
        size = session.execute(text("PRAGMA page_size")).scalar() or 0
        return int(pages) * int(size)
    # Our tables only: the server may hold other databases and schemas.
    total = session.execute(
        text(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = current_schema() AND c.relkind = 'r'"
        )
    ).scalar()
    return int(total or 0)


def _oldest_pending(session: Session, now: datetime) -> dict[str, datetime | None]:
    """When the longest-waiting unit of each stage became due."""
    due = (SourceRow.next_run_at.is_(None)) | (SourceRow.next_run_at <= now)
    return {
        "fetch": session.scalar(
            select(func.min(func.coalesce(SourceRow.next_run_at, SourceRow.created_at))).where(
                SourceRow.enabled, due
            )
        ),
        "extract": session.scalar(
            select(func.min(Page.fetched_at)).where(Page.outcome == "pending")
        ),
        "stories": session.scalar(
            select(func.min(Article.first_seen)).where(Article.story_id.is_(None))
        ),
    }


def _failing(session: Session) -> tuple[FailingSource, ...]:
    rows = session.scalars(
        select(SourceRow).where(SourceRow.consecutive_failures > 0).order_by(SourceRow.name)
    )
    return tuple(
        FailingSource(
            name=row.name,
            failures=row.consecutive_failures,
            since=row.last_success_at or row.created_at,
            last_error=(row.last_error or "")[:300],
        )
        for row in rows
    )


def _next_runs(session: Session, limit: int = 5) -> tuple[tuple[str, datetime | None], ...]:
    rows = session.execute(
        select(SourceRow.name, SourceRow.next_run_at)
        .where(SourceRow.enabled)
        .order_by(SourceRow.next_run_at.asc().nulls_first(), SourceRow.name)
        .limit(limit)
    )
    return tuple((name, when) for name, when in rows)


def _leases(session: Session, now: datetime) -> tuple[HeldLease, ...]:
    """Held rows of ``leases``, sources leased, and page claims per holder."""
    held = [
        HeldLease(row.name, str(row.holder), row.expires_at, _live(row.expires_at, now))
        for row in session.scalars(
            select(Lease).where(Lease.holder.is_not(None)).order_by(Lease.name)
        )
    ]
    sources = session.execute(
        select(SourceRow.name, SourceRow.leased_by, SourceRow.lease_until)
        .where(SourceRow.leased_by.is_not(None))
        .order_by(SourceRow.name)
    )
    held += [HeldLease(f"source:{n}", str(h), u, _live(u, now)) for n, h, u in sources]
    claims = session.execute(
        select(Page.claimed_by, func.count(), func.max(Page.claimed_until))
        .where(Page.claimed_by.is_not(None), Page.outcome == "pending")
        .group_by(Page.claimed_by)
    )
    held += [HeldLease(f"pages:{n}", str(h), u, _live(u, now)) for h, n, u in claims]
    return tuple(held)


def _live(until: datetime | None, now: datetime) -> bool:
    return until is not None and until >= now


def _stale_work(report: Status, now: datetime, thresholds: Thresholds) -> list[str]:
    """Work waiting past the threshold while no live process runs its stage."""
    limit = now - timedelta(minutes=thresholds.pending_minutes)
    counts = {
        "fetch": report.pending.fetch,
        "extract": report.pending.extract,
        "stories": report.pending.stories,
    }
    problems = []
    for stage, since in report.oldest_pending.items():
        if since is None or since > limit or report.workers.get(stage):
            continue
        problems.append(
            f"{stage}: {counts[stage]} waiting since {since:%Y-%m-%d %H:%M} UTC and no live "
            f"process runs the {stage} stage (start `aggregator run`)"
        )
    return problems


def _long_failures(
    failing: tuple[FailingSource, ...], now: datetime, thresholds: Thresholds
) -> list[str]:
    limit = now - timedelta(hours=thresholds.failing_hours)
    return [
        f"source {source.name} failing since {source.since:%Y-%m-%d %H:%M} UTC "
        f"({source.failures} failures): {source.last_error[:120]}"
        for source in failing
        if source.since is not None and source.since < limit
    ]
