"""The application's short-lived cache: kept for its time, bounded, computed once at a time."""

from __future__ import annotations

import threading
import time

from aggregator.web.cache import TimedCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_values_are_kept_for_their_time() -> None:
    clock = Clock()
    cache: TimedCache[str, int] = TimedCache(10.0, clock=clock)
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert cache.get("front", compute) == 1
    clock.now = 9.9
    assert cache.get("front", compute) == 1
    clock.now = 10.0
    assert cache.get("front", compute) == 2
    assert cache.get("other", compute) == 3


def test_zero_seconds_keeps_nothing() -> None:
    cache: TimedCache[str, int] = TimedCache(0.0)
    counter = iter(range(10))
    assert [cache.get("k", lambda: next(counter)) for _ in range(3)] == [0, 1, 2]


def test_at_most_size_entries_oldest_first_out() -> None:
    cache: TimedCache[int, int] = TimedCache(60.0, size=2, clock=Clock())
    for key in (1, 2, 3):
        cache.get(key, lambda key=key: key * 10)  # type: ignore[misc]
    assert cache.get(1, lambda: -1) == -1  # evicted, computed again
    assert cache.get(3, lambda: -1) == 30


def test_concurrent_callers_share_one_computation() -> None:
    cache: TimedCache[str, int] = TimedCache(60.0)
    calls: list[int] = []

    def slow() -> int:
        calls.append(1)
        time.sleep(0.1)
        return 7

    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get("k", slow))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [7] * 8 and len(calls) == 1
