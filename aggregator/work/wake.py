"""Waking workers when there is new work, without hammering the database.

Writers call ``store.work.notify`` inside the transaction that creates work; PostgreSQL delivers the
notification at commit to every process that LISTENs (any machine). A worker then waits on
:meth:`Wakeup.wait` with a timeout that grows while it finds nothing (polling with backoff),
which is all SQLite gets, and what covers a missed notification on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from typing import Any

from sqlalchemy import Engine

from aggregator.store.work import CHANNELS

__all__ = ["Backoff", "Wakeup"]

log = logging.getLogger("aggregator.work")


class Backoff:
    """The pause before looking again: short after work was found, doubling while idle."""

    def __init__(self, longest: float, shortest: float = 0.1) -> None:
        self.longest = longest
        self.shortest = min(shortest, longest)
        self.current = self.shortest

    def found(self, anything: bool) -> float:
        """The next pause, given whether the last look found work."""
        if anything:
            self.current = self.shortest
            return 0.0
        pause, self.current = self.current, min(self.current * 2, self.longest)
        return pause


class Wakeup:
    """One event per channel for this process's workers, set by LISTEN (PostgreSQL) or by a
    local worker that made work for another."""

    def __init__(self) -> None:
        self._events = {channel: asyncio.Event() for channel in CHANNELS}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self, channel: str) -> None:
        self._events[channel].set()

    async def wait(self, channel: str, timeout: float) -> None:
        """Until ``channel`` is woken or ``timeout`` seconds pass."""
        event = self._events[channel]
        if timeout > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout)
        event.clear()

    def listen(self, engine: Engine) -> None:
        """On PostgreSQL, LISTEN on every channel in a thread of its own; else nothing."""
        if engine.dialect.name != "postgresql":
            return
        self._loop = asyncio.get_running_loop()
        conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._thread = threading.Thread(
            target=self._listen, args=(conninfo,), name="listen", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _listen(self, conninfo: str) -> None:
        pause = 0.5
        while not self._stop.is_set():
            try:
                self._listen_once(conninfo)
                pause = 0.5
            except Exception as exc:  # a lost connection: reconnect, the pollers go on meanwhile
                log.warning("stage=listen error=%s retry_in=%.1fs", str(exc).strip(), pause)
                self._stop.wait(pause)
                pause = min(pause * 2, 30.0)

    def _listen_once(self, conninfo: str) -> None:
        import psycopg  # only PostgreSQL deployments need the driver loaded here

        with psycopg.connect(conninfo, autocommit=True) as connection:
            for channel in CHANNELS:
                connection.execute(f"LISTEN {channel}")
            while not self._stop.is_set():
                for note in connection.notifies(timeout=1.0):
                    self._deliver(note)

    def _deliver(self, note: Any) -> None:
        if self._loop is not None and note.channel in self._events:
            self._loop.call_soon_threadsafe(self._events[note.channel].set)
