"""The adaptive polling interval: faster for busy sources, slower for quiet or failing ones."""

from __future__ import annotations

from aggregator.runner import IntervalPolicy, next_interval

POLICY = IntervalPolicy(min_seconds=60, max_seconds=6 * 3600)


def test_busy_source_is_polled_more_often_within_bounds() -> None:
    assert next_interval(1800, 10, 0, POLICY) < 1800
    assert next_interval(1800, 1000, 0, POLICY) == 1800 / 4
    assert next_interval(120, 1000, 0, POLICY) == 60  # never below the floor


def test_quiet_source_is_polled_less_often() -> None:
    assert next_interval(1800, 0, 0, POLICY) > 1800


def test_failures_back_off_exponentially_and_are_capped() -> None:
    delays = [next_interval(600, 0, failures, POLICY) for failures in range(1, 10)]
    assert delays == sorted(delays)
    assert delays[0] == 1200 and delays[-1] == 6 * 3600


def test_retry_after_is_honoured() -> None:
    assert next_interval(600, 5, 0, POLICY, retry_after=3000) == 3000
