"""How often a source is polled: the adaptive interval and its bounds."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["IntervalPolicy", "next_interval"]


@dataclass(frozen=True, slots=True)
class IntervalPolicy:
    """Bounds of the adaptive polling interval."""

    min_seconds: float = 300.0
    max_seconds: float = 21600.0


def next_interval(
    base: float,
    new_articles: int,
    failures: int,
    policy: IntervalPolicy,
    retry_after: float | None = None,
) -> float:
    """Poll busy sources more often and quiet ones less; back off exponentially on failure.

    The configured interval is the centre: up to 4x faster when a cycle brought many new
    articles, up to 4x slower when it brought none, and 2^failures slower (at most 64x) while
    a source keeps failing. A Retry-After longer than that wins. Bounded by the policy.
    """
    if failures:
        seconds = base * 2.0 ** min(failures, 6)
    elif new_articles == 0:
        seconds = base * 1.5
    else:
        seconds = base / min(4.0, 1.0 + new_articles / 10.0)
    seconds = max(seconds, retry_after or 0.0)
    return max(policy.min_seconds, min(policy.max_seconds, seconds))
