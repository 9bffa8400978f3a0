"""Writes and reads of ``sources``: the configuration mirror, operator edits and health."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.models import Source
from aggregator.store.schema import SourceRow

__all__ = [
    "add_source",
    "find_source",
    "list_sources",
    "mirror_sources",
    "record_failure",
    "record_success",
    "remove_source",
    "source_model",
]


def source_model(row: SourceRow) -> Source:
    return Source(
        name=row.name,
        homepage=row.homepage,
        feeds=tuple(json.loads(row.feeds or "[]")),
        sitemaps=tuple(json.loads(row.sitemaps or "[]")),
        interval_seconds=row.interval_seconds,
        language=row.language,
    )


def find_source(session: Session, name: str) -> SourceRow | None:
    return session.scalars(select(SourceRow).where(SourceRow.name == name)).one_or_none()


def list_sources(session: Session, *, enabled_only: bool = False) -> list[SourceRow]:
    query = select(SourceRow).order_by(SourceRow.name)
    if enabled_only:
        query = query.where(SourceRow.enabled.is_(True))
    return list(session.scalars(query))


def _fill(row: SourceRow, source: Source, *, enabled: bool) -> None:
    row.homepage = source.homepage
    row.feeds = json.dumps(list(source.feeds))
    row.sitemaps = json.dumps(list(source.sitemaps))
    row.interval_seconds = source.interval_seconds
    row.language = source.language
    row.enabled = enabled


def add_source(
    session: Session,
    source: Source,
    now: datetime,
    *,
    enabled: bool = True,
    from_config: bool = False,
) -> SourceRow:
    """Insert a source, or update the one with the same name."""
    row = find_source(session, source.name)
    if row is None:
        row = SourceRow(name=source.name, created_at=now, consecutive_failures=0)
        session.add(row)
    _fill(row, source, enabled=enabled)
    row.from_config = from_config or row.from_config
    session.flush()
    return row


def remove_source(session: Session, name: str) -> bool:
    """Delete a source; its pages and articles stay, detached from it."""
    row = find_source(session, name)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def mirror_sources(
    session: Session, configured: Iterable[tuple[Source, bool]], now: datetime
) -> list[SourceRow]:
    """Make the table reflect the configuration file: add and update its sources and drop
    those it no longer names (sources added by command are left alone)."""
    names = set()
    rows = []
    for source, enabled in configured:
        names.add(source.name)
        rows.append(add_source(session, source, now, enabled=enabled, from_config=True))
    for row in list_sources(session):
        if row.from_config and row.name not in names:
            session.delete(row)
    session.flush()
    return rows


def record_success(row: SourceRow, now: datetime, next_run: datetime) -> None:
    row.last_run_at = now
    row.last_success_at = now
    row.consecutive_failures = 0
    row.next_run_at = next_run


def record_failure(row: SourceRow, now: datetime, message: str, next_run: datetime) -> None:
    row.last_run_at = now
    row.last_error_at = now
    row.last_error = message
    row.consecutive_failures = (row.consecutive_failures or 0) + 1
    row.next_run_at = next_run
