"""What the web application needs to know, as plain values (built once by the CLI)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

__all__ = ["WebOptions", "utc_now"]


def utc_now() -> datetime:
    """Now, naive UTC, as the database stores times."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class WebOptions:
    time_limit: float = 2.0
    page_size: int = 30
    front_page_days: float = 3.0
    ranking_seconds: float = 10.0
    story_page_size: int = 50
    clock: Callable[[], datetime] = field(default=utc_now)
