"""Per-request plumbing: the read-only session, the clock and the reader's filters."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from aggregator.errors import AggregatorError
from aggregator.store.filters import Filters
from aggregator.store.frontpage import Ranked, front_page
from aggregator.store.readonly import read_only_session
from aggregator.web.cache import TimedCache
from aggregator.web.options import WebOptions

__all__ = [
    "PRINTABLE",
    "BadRequest",
    "Reader",
    "ReaderFilters",
    "Site",
    "filters",
    "ranked_stories",
    "reader",
    "site",
]


class BadRequest(AggregatorError):
    """A request whose parameters cannot be answered; the message tells the reader why."""

    stage = "web"


@dataclass(frozen=True, slots=True)
class RankingKey:
    """What one front-page ranking depends on, besides the database and the moment."""

    filters: Filters
    limit: int
    offset: int
    after: tuple[float, int] | None
    reference: datetime | None


@dataclass(frozen=True, slots=True)
class Site:
    """What the application holds: the engine, its options and its caches (on ``app.state``)."""

    engine: Engine
    options: WebOptions
    rankings: TimedCache[RankingKey, Ranked] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rankings", TimedCache(self.options.ranking_seconds))


def site(request: Request) -> Site:
    held = request.app.state.site
    assert isinstance(held, Site)
    return held


def reader(request: Request) -> Iterator[Session]:
    """A read-only session with the configured time limit, for one request."""
    held = site(request)
    with read_only_session(held.engine, held.options.time_limit) as session:
        yield session


Reader = Annotated[Session, Depends(reader)]


def ranked_stories(
    held: Site,
    session: Session,
    filters: Filters,
    *,
    limit: int,
    offset: int = 0,
    after: tuple[float, int] | None = None,
    reference: datetime | None = None,
) -> Ranked:
    """The front page's ranking, as computed at most ``web.ranking_seconds`` ago."""
    options = held.options
    return held.rankings.get(
        RankingKey(filters, limit, offset, after, reference),
        lambda: front_page(
            session,
            now=options.clock(),
            filters=filters,
            window_days=options.front_page_days,
            limit=limit,
            offset=offset,
            after=after,
            reference=reference,
        ),
    )


_DAY = r"^(\d{4}-\d{2}-\d{2})?$"
# No control characters: PostgreSQL refuses NUL in any string, and no name holds one.
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"


def filters(
    language: Annotated[
        str, Query(max_length=16, pattern=PRINTABLE, description="ISO 639-1 code")
    ] = "",
    source: Annotated[
        str, Query(max_length=200, pattern=PRINTABLE, description="source name")
    ] = "",
    since: Annotated[
        str, Query(alias="from", pattern=_DAY, description="first day, YYYY-MM-DD")
    ] = "",
    until: Annotated[str, Query(alias="to", pattern=_DAY, description="last day, YYYY-MM-DD")] = "",
) -> Filters:
    """The language, source and date-range filters (empty form fields mean no filter)."""
    first, last = _day(since, "from"), _day(until, "to")
    if first and last and first > last:
        raise BadRequest(f"the range starts ({first}) after it ends ({last})")
    return Filters(
        language=language.strip() or None,
        source=source.strip() or None,
        since=datetime.combine(first, time.min) if first else None,
        until=datetime.combine(last, time.max) if last else None,
    )


def _day(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise BadRequest(f"{name}: {value!r} is not a day (YYYY-MM-DD)") from exc


ReaderFilters = Annotated[Filters, Depends(filters)]
