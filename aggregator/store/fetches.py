"""Writes of ``fetches`` (the fetch log) and ``validators`` (conditional-GET state)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from aggregator.store.schema import Article, Fetch, Page, Validator

__all__ = ["FetchRecord", "known_urls", "load_validators", "record_fetch", "save_validators"]


@dataclass(frozen=True, slots=True)
class FetchRecord:
    url: str
    kind: str
    started_at: datetime
    source_id: int | None = None
    status: int | None = None
    bytes: int = 0
    elapsed_ms: float = 0.0
    not_modified: bool = False
    error_kind: str | None = None
    error_message: str | None = None


def record_fetch(session: Session, record: FetchRecord) -> None:
    session.add(
        Fetch(
            url=record.url,
            kind=record.kind,
            started_at=record.started_at,
            source_id=record.source_id,
            status=record.status,
            bytes=record.bytes,
            elapsed_ms=record.elapsed_ms,
            not_modified=record.not_modified,
            error_kind=record.error_kind,
            error_message=record.error_message,
        )
    )


def load_validators(session: Session, url: str) -> tuple[str | None, str | None]:
    row = session.get(Validator, url)
    return (row.etag, row.last_modified) if row else (None, None)


def save_validators(
    session: Session, url: str, etag: str | None, last_modified: str | None, now: datetime
) -> None:
    if not etag and not last_modified:
        return
    # An upsert: two processes that poll one feed must not collide on its primary key.
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {"etag": etag, "last_modified": last_modified, "updated_at": now}
    statement = insert(Validator).values(url=url, **values)
    session.execute(statement.on_conflict_do_update(index_elements=["url"], set_=values))


def known_urls(session: Session, urls: list[str]) -> set[str]:
    """Which of ``urls`` are stored already, as a page or as an article's canonical URL."""
    known: set[str] = set()
    for start in range(0, len(urls), 500):
        chunk = urls[start : start + 500]
        known.update(session.scalars(select(Page.url).where(Page.url.in_(chunk))))
        known.update(session.scalars(select(Article.url).where(Article.url.in_(chunk))))
    return known
