"""Politeness across processes: one connection per host and its pause, kept in ``leases``.

A host's lease (``host:NAME:PORT``) is held for the length of one request; releasing it
sets ``not_before``, the end of the host's pause, which every fetch process honours. A process
that dies mid-request loses the host when the lease expires.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine, select

from aggregator.store.leases import acquire, release
from aggregator.store.schema import Lease

__all__ = ["DatabaseHostGate"]

#: Longest single wait before asking again for a host another process holds.
POLL_SECONDS = 0.25


class DatabaseHostGate:
    """A ``HostGate`` over the database shared by every fetch process."""

    def __init__(
        self,
        engine: Engine,
        holder: str,
        clock: Callable[[], datetime],
        *,
        hold_seconds: float,
    ) -> None:
        # ``hold_seconds`` bounds one request with its retries: the host passes to another
        # process after it when this one died mid-request.
        self.engine = engine
        self.holder = holder
        self.clock = clock
        self.hold_seconds = hold_seconds

    async def enter(self, host: str) -> None:
        name = f"host:{host}"
        while True:
            now = self._now()
            with self.engine.begin() as connection:
                if acquire(
                    connection,
                    name,
                    self.holder,
                    now=now,
                    seconds=self.hold_seconds,
                    wait_free=True,
                ):
                    return
                not_before = connection.scalar(select(Lease.not_before).where(Lease.name == name))
            wait = (not_before - now).total_seconds() if not_before and not_before > now else 0
            await asyncio.sleep(min(max(wait, 0.02), POLL_SECONDS))

    async def leave(self, host: str, pause: float) -> None:
        until = self._now() + timedelta(seconds=pause)
        with self.engine.begin() as connection:
            release(connection, f"host:{host}", self.holder, not_before=until)

    def _now(self) -> datetime:
        return self.clock().replace(tzinfo=None)
