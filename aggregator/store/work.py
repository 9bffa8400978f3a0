"""Work claimed from the database: due sources for the fetch stage, pending pages for the
extraction stage, and the pending work of every stage.

A claim is a lease on a row (``sources.leased_by`` / ``pages.claimed_by`` with an expiry). On
PostgreSQL the rows are picked with ``SELECT ... FOR UPDATE SKIP LOCKED``, so concurrent
claimers split the work instead of queueing behind each other; the UPDATE that follows
re-checks that each row is still free, which is what makes the claim atomic on SQLite too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, func, or_, select, text, update
from sqlalchemy.orm import Session

from aggregator.store.schema import Article, Page, SourceRow

__all__ = [
    "ARTICLES",
    "CHANNELS",
    "PAGES",
    "PendingWork",
    "claim_pages",
    "claim_sources",
    "keep_page_claim",
    "notify",
    "pending_work",
    "release_pages",
    "release_source",
    "renew_claims",
]

PENDING = "pending"

#: Notification channels: new pending pages (for extractors), new articles (for the story
#: stage). See aggregator.work.wake.
PAGES = "aggregator_pages"
ARTICLES = "aggregator_articles"
CHANNELS = (PAGES, ARTICLES)


def notify(session: Session, channel: str) -> None:
    """Tell other processes, when this transaction commits, that ``channel`` has new work
    (PostgreSQL NOTIFY; SQLite has one process, which wakes its own workers)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": channel})


@dataclass(frozen=True, slots=True)
class PendingWork:
    """What each stage has left: sources due, pages not cleaned, articles without a story."""

    fetch: int
    extract: int
    stories: int


def _source_free(now: datetime) -> ColumnElement[bool]:
    # Not "or already ours": a source this process is still fetching is not due again.
    return or_(SourceRow.lease_until.is_(None), SourceRow.lease_until < now)


def claim_sources(
    session: Session,
    holder: str,
    *,
    now: datetime,
    seconds: float,
    limit: int,
    names: tuple[str, ...] = (),
) -> list[tuple[int, str]]:
    """Lease up to ``limit`` sources for ``seconds``: the due enabled ones, most overdue first,
    or with ``names`` those sources whether due or not. Returns ``(id, name)`` of each leased.
    Commits."""
    pick = select(SourceRow.id).where(_source_free(now))
    if names:
        pick = pick.where(SourceRow.name.in_(names))
    else:
        due = or_(SourceRow.next_run_at.is_(None), SourceRow.next_run_at <= now)
        pick = pick.where(SourceRow.enabled, due)
    pick = pick.order_by(SourceRow.next_run_at.asc().nulls_first(), SourceRow.id).limit(limit)
    ids = list(session.scalars(pick.with_for_update(skip_locked=True)))
    if ids:
        session.execute(
            update(SourceRow)
            .where(SourceRow.id.in_(ids), _source_free(now))
            .values(leased_by=holder, lease_until=now + timedelta(seconds=seconds))
        )
    held = session.execute(
        select(SourceRow.id, SourceRow.name).where(
            SourceRow.id.in_(ids), SourceRow.leased_by == holder
        )
    ).all()
    session.commit()
    return [(row.id, row.name) for row in held]


def release_source(session: Session, source_id: int, holder: str) -> None:
    """Give the source back (its ``next_run_at`` says when it is due again)."""
    session.execute(
        update(SourceRow)
        .where(SourceRow.id == source_id, SourceRow.leased_by == holder)
        .values(leased_by=None, lease_until=None)
    )


def claim_pages(
    session: Session, holder: str, *, now: datetime, seconds: float, limit: int
) -> list[int]:
    """Claim up to ``limit`` pending pages, oldest first; returns their ids. Commits."""
    free = or_(Page.claimed_until.is_(None), Page.claimed_until < now, Page.claimed_by == holder)
    pick = (
        select(Page.id)
        .where(Page.outcome == PENDING, free)
        .order_by(Page.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(session.scalars(pick))
    if ids:
        session.execute(
            update(Page)
            .where(Page.id.in_(ids), Page.outcome == PENDING, free)
            .values(claimed_by=holder, claimed_until=now + timedelta(seconds=seconds))
        )
    held = list(
        session.scalars(
            select(Page.id).where(Page.id.in_(ids), Page.claimed_by == holder).order_by(Page.id)
        )
    )
    session.commit()
    return held


def keep_page_claim(session: Session, page_id: int, holder: str) -> bool:
    """Inside the transaction that stores a page's verdict: end the claim, and say whether it
    was still ours (False: it expired and another process took the page)."""
    result = session.execute(
        update(Page)
        .where(Page.id == page_id, Page.claimed_by == holder, Page.outcome == PENDING)
        .values(claimed_by=None, claimed_until=None)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def release_pages(session: Session, holder: str) -> None:
    """Hand back every page ``holder`` still has claimed (a clean stop). Commits."""
    session.execute(
        update(Page)
        .where(Page.claimed_by == holder, Page.outcome == PENDING)
        .values(claimed_by=None, claimed_until=None)
    )
    session.commit()


def renew_claims(db: Session | Connection, holder: str, *, now: datetime, seconds: float) -> None:
    """Extend every source lease and page claim ``holder`` holds (work still in progress);
    the caller commits."""
    until = now + timedelta(seconds=seconds)
    db.execute(update(SourceRow).where(SourceRow.leased_by == holder).values(lease_until=until))
    db.execute(
        update(Page)
        .where(Page.claimed_by == holder, Page.outcome == PENDING)
        .values(claimed_until=until)
    )


def pending_work(session: Session, *, now: datetime) -> PendingWork:
    """Sources due now, pages waiting to be cleaned, articles waiting for a story."""
    due = or_(SourceRow.next_run_at.is_(None), SourceRow.next_run_at <= now)
    count = func.count()
    return PendingWork(
        fetch=session.scalar(select(count).where(SourceRow.enabled, due)) or 0,
        extract=session.scalar(select(count).where(Page.outcome == PENDING)) or 0,
        stories=session.scalar(select(count).where(Article.story_id.is_(None))) or 0,
    )
