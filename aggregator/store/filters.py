"""Reader filters shared by the front page, search, feeds and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement

from aggregator.store.schema import Article

__all__ = ["Filters"]


@dataclass(frozen=True, slots=True)
class Filters:
    """Which articles count: by language, source and publication time (naive UTC, inclusive)."""

    language: str | None = None
    source: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def clauses(self) -> list[ColumnElement[bool]]:
        """WHERE clauses over ``articles``; dates filter on when the news was published."""
        clauses: list[ColumnElement[bool]] = []
        if self.language:
            clauses.append(Article.language == self.language)
        if self.source:
            clauses.append(Article.source_name == self.source)
        if self.since is not None:
            clauses.append(Article.published_at >= self.since)
        if self.until is not None:
            clauses.append(Article.published_at <= self.until)
        return clauses

    @property
    def active(self) -> bool:
        return any(
            v is not None and v != "" for v in (self.language, self.source, self.since, self.until)
        )
