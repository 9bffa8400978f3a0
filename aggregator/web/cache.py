"""A short-lived cache of computed answers, owned by the application object.

The front page is the same for every reader of the same filters, and ranking it reads every
article of the window; under many readers the ranking was most of what the site did (issue
11). So each ranking is kept for ``web.ranking_seconds`` and computed by one request at a
time: readers who ask while it is being computed wait for that answer instead of each
computing their own.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["TimedCache"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class _Entry(Generic[V]):
    value: V
    expires: float


class TimedCache(Generic[K, V]):
    """Values kept ``seconds`` after they were computed; at most ``size`` of them.

    ``seconds`` of 0 or less keeps nothing: every call computes.
    """

    def __init__(
        self, seconds: float, size: int = 256, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds, self.size, self.clock = seconds, size, clock
        self._entries: OrderedDict[K, _Entry[V]] = OrderedDict()
        self._computing: dict[K, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: K, compute: Callable[[], V]) -> V:
        """The kept value of ``key``, else ``compute()``'s, which is then kept."""
        if self.seconds <= 0:
            return compute()
        with self._lock:
            found = self._fresh(key)
            if found is not None:
                return found.value
            key_lock = self._computing.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                found = self._fresh(key)  # computed while this caller waited
            if found is not None:
                return found.value
            value = compute()
            self._keep(key, value)
        return value

    def _fresh(self, key: K) -> _Entry[V] | None:
        entry = self._entries.get(key)
        return entry if entry is not None and entry.expires > self.clock() else None

    def _keep(self, key: K, value: V) -> None:
        with self._lock:
            self._entries[key] = _Entry(value, self.clock() + self.seconds)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                oldest, _ = self._entries.popitem(last=False)
                self._computing.pop(oldest, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
