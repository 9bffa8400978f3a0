"""Operator figures read from the database: what /metrics and /healthz report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from aggregator.store.queries import pending_work
from aggregator.store.schema import Article, Fetch, Page, SourceRow, Story

__all__ = ["Figures", "SourceFreshness", "figures", "ping"]


@dataclass(frozen=True, slots=True)
class SourceFreshness:
    name: str
    last_success: datetime | None


@dataclass(frozen=True, slots=True)
class Figures:
    articles: int
    stories: int
    pages_by_outcome: dict[str, int]
    fetch_errors_last_hour: dict[str, int]
    sources: tuple[SourceFreshness, ...]
    pending: dict[str, int]


def ping(session: Session) -> None:
    """Raise when the database does not answer."""
    session.execute(text("SELECT 1"))


def figures(session: Session, now: datetime) -> Figures:
    """Counts for the metrics endpoint, each one query."""
    outcomes = session.execute(select(Page.outcome, func.count()).group_by(Page.outcome))
    errors = session.execute(
        select(Fetch.error_kind, func.count())
        .where(Fetch.error_kind.is_not(None), Fetch.started_at >= now - timedelta(hours=1))
        .group_by(Fetch.error_kind)
    )
    sources = session.execute(
        select(SourceRow.name, SourceRow.last_success_at).order_by(SourceRow.name)
    )
    return Figures(
        articles=session.scalar(select(func.count(Article.id))) or 0,
        stories=session.scalar(select(func.count(Story.id))) or 0,
        pages_by_outcome={outcome: count for outcome, count in outcomes},
        fetch_errors_last_hour={str(kind): count for kind, count in errors},
        sources=tuple(SourceFreshness(name, success) for name, success in sources),
        pending=pending_work(session),
    )
