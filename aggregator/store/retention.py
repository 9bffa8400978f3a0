"""Retention: what a year of running leaves behind, dropped in small batches.

Raw page bodies go after ``retention.raw_days`` (the page row and its article stay; only
``reprocess`` needed the body), failed and skipped pages and the fetch log after
``retention.log_days``, and, when ``retention.article_days`` is set, stories last updated
before it with their articles and pages. Pending pages are never touched: they are work.

Each batch is one short transaction, so a prune running beside the daemon's stages holds
no lock for long. On SQLite the freed pages go back to the filesystem through incremental
vacuum (see :func:`reclaim`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Engine, delete, func, select, update
from sqlalchemy.orm import Session

from aggregator.store.schema import Article, Fetch, Lease, Page, Story, StoryRedirect

__all__ = ["PruneCounts", "RetentionPolicy", "prune", "prune_counts", "reclaim"]

log = logging.getLogger("aggregator.store.retention")

#: Rows per transaction: small enough that a writer beside the prune waits milliseconds.
BATCH = 500
PENDING = "pending"
LOG_OUTCOMES = ("failed", "skipped")
#: A process's ``worker:ROLE:HOLDER`` rows in ``leases`` (see aggregator.store.workers) outlive
#: it by this long before they are deleted, so ``status`` can still name a process that died.
PROCESS_ROWS_DAYS = 1.0


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """Days each kind of row is kept; ``article_days`` 0 keeps articles and stories."""

    raw_days: float = 90.0
    log_days: float = 30.0
    article_days: float = 0.0


@dataclass(frozen=True, slots=True)
class PruneCounts:
    """Rows a prune drops (or, for a dry run, would drop)."""

    bodies: int = 0
    pages: int = 0
    fetches: int = 0
    stories: int = 0
    articles: int = 0
    leases: int = 0

    def __add__(self, other: PruneCounts) -> PruneCounts:
        return PruneCounts(
            *(getattr(self, f.name) + getattr(other, f.name) for f in fields(PruneCounts))
        )

    @property
    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(PruneCounts))


@dataclass(frozen=True, slots=True)
class _Cutoffs:
    raw: datetime
    log: datetime
    articles: datetime | None
    leases: datetime


def _cutoffs(policy: RetentionPolicy, now: datetime) -> _Cutoffs:
    def before(days: float) -> datetime:
        return now - timedelta(days=days)

    articles = before(policy.article_days) if policy.article_days > 0 else None
    return _Cutoffs(
        before(policy.raw_days), before(policy.log_days), articles, before(PROCESS_ROWS_DAYS)
    )


def _old_bodies(cut: _Cutoffs) -> list[ColumnElement[bool]]:
    return [Page.body.is_not(None), Page.outcome != PENDING, Page.fetched_at < cut.raw]


def _old_log_pages(cut: _Cutoffs) -> list[ColumnElement[bool]]:
    return [Page.outcome.in_(LOG_OUTCOMES), Page.fetched_at < cut.log]


def _old_processes(cut: _Cutoffs) -> list[ColumnElement[bool]]:
    return [Lease.name.like("worker:%"), Lease.expires_at < cut.leases]


def prune_counts(session: Session, policy: RetentionPolicy, *, now: datetime) -> PruneCounts:
    """What :func:`prune` would drop now (``aggregator prune --dry-run``)."""
    cut = _cutoffs(policy, now)
    count = func.count()
    stories, articles = 0, 0
    if cut.articles is not None:
        old = select(Story.id).where(Story.last_updated < cut.articles)
        stories = session.scalar(select(count).select_from(old.subquery())) or 0
        articles = session.scalar(select(count).where(Article.story_id.in_(old))) or 0
    counts = PruneCounts(
        bodies=session.scalar(select(count).where(*_old_bodies(cut))) or 0,
        pages=session.scalar(select(count).where(*_old_log_pages(cut))) or 0,
        fetches=session.scalar(select(count).where(Fetch.started_at < cut.log)) or 0,
        stories=stories,
        articles=articles,
        leases=session.scalar(select(count).where(*_old_processes(cut))) or 0,
    )
    session.commit()
    return counts


def prune(
    session: Session,
    policy: RetentionPolicy,
    *,
    now: datetime,
    between: Callable[[], None] | None = None,
) -> PruneCounts:
    """Drop what the policy no longer keeps, a batch per transaction; ``between`` runs after
    each batch (the daemon's chance to let other work in)."""
    cut = _cutoffs(policy, now)
    steps: list[Callable[[], PruneCounts]] = [
        lambda: PruneCounts(bodies=_drop_bodies(session, cut)),
        lambda: PruneCounts(pages=_delete_ids(session, Page, _old_log_pages(cut))),
        lambda: PruneCounts(fetches=_delete_ids(session, Fetch, [Fetch.started_at < cut.log])),
        lambda: _drop_stories(session, cut),
        lambda: PruneCounts(leases=_drop_processes(session, cut)),
    ]
    total = PruneCounts()
    for step in steps:
        while (done := step()).total:
            session.commit()
            total += done
            if between is not None:
                between()
        session.commit()
    return total


def _drop_bodies(session: Session, cut: _Cutoffs) -> int:
    ids = list(session.scalars(select(Page.id).where(*_old_bodies(cut)).limit(BATCH)))
    if ids:
        # body_size and body_sha256 stay: they still say what was served.
        session.execute(update(Page).where(Page.id.in_(ids)).values(body=None))
    return len(ids)


def _delete_ids(
    session: Session, table: type[Page] | type[Fetch], where: list[ColumnElement[bool]]
) -> int:
    ids = list(session.scalars(select(table.id).where(*where).limit(BATCH)))
    if ids:
        session.execute(delete(table).where(table.id.in_(ids)))
    return len(ids)


def _drop_stories(session: Session, cut: _Cutoffs) -> PruneCounts:
    """Old stories with their articles and the articles' pages, a batch of stories at a time."""
    if cut.articles is None:
        return PruneCounts()
    story_ids = list(
        session.scalars(select(Story.id).where(Story.last_updated < cut.articles).limit(BATCH))
    )
    if not story_ids:
        return PruneCounts()
    page_ids = list(session.scalars(select(Article.page_id).where(Article.story_id.in_(story_ids))))
    # Articles first (the search index's triggers see each one go), then their pages.
    articles = session.execute(delete(Article).where(Article.story_id.in_(story_ids)))
    session.execute(delete(Page).where(Page.id.in_(page_ids), Page.outcome != PENDING))
    session.execute(delete(StoryRedirect).where(StoryRedirect.new_id.in_(story_ids)))
    session.execute(delete(Story).where(Story.id.in_(story_ids)))
    removed = int(articles.rowcount)  # type: ignore[attr-defined]
    return PruneCounts(stories=len(story_ids), articles=removed)


def _drop_processes(session: Session, cut: _Cutoffs) -> int:
    result = session.execute(delete(Lease).where(*_old_processes(cut)))
    return int(result.rowcount)  # type: ignore[attr-defined]


def reclaim(engine: Engine, *, convert: bool) -> str:
    """Give SQLite's freed pages back to the filesystem; returns what was done.

    A database made by this version uses ``auto_vacuum=INCREMENTAL`` (set before its tables
    existed), so an incremental vacuum returns the free pages. An older one has auto_vacuum
    off, which only a full VACUUM changes: with ``convert`` (``aggregator prune``) it runs one,
    rewriting the file once, else (the daemon) it says so. Nothing on PostgreSQL, whose
    autovacuum reuses the space.
    """
    if engine.dialect.name != "sqlite":
        return "nothing to reclaim on PostgreSQL (autovacuum reuses freed space)"
    # The driver's own connection, in autocommit: VACUUM cannot run inside a transaction.
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        mode = cursor.execute("PRAGMA auto_vacuum").fetchone()[0]
        if mode == 2:
            done = "incremental vacuum: free pages returned to the filesystem"
            cursor.execute("PRAGMA incremental_vacuum").fetchall()
        elif convert:
            done = "VACUUM: the file was rewritten with incremental auto_vacuum turned on"
            cursor.execute("PRAGMA auto_vacuum = INCREMENTAL")
            cursor.execute("VACUUM")
        else:
            return "auto_vacuum is off: run `aggregator prune` once to turn it on (a full VACUUM)"
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        cursor.close()
    finally:
        raw.close()
    return done
