"""The story role: one process at a time holds the ``role:stories`` lease and runs the story
stage; the others wait to take over.

The lease is renewed inside every write transaction of the stage (the fence), so a process that
lost it (stalled past its expiry) writes nothing more; the new holder rebuilds the index from
the database and continues with the first article that has no story.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from aggregator.assign import StoryAssigner
from aggregator.dedup.cluster import ClusterSettings
from aggregator.errors import StoreError
from aggregator.store.leases import acquire, holder_id, lease_holder, release, renew

__all__ = ["ROLE_LEASE", "StoryWorker", "holding_story_role"]

log = logging.getLogger("aggregator.work.stories")

ROLE_LEASE = "role:stories"


class StoryWorker:
    """The story stage for one process, while it holds the role. Synchronous: the caller runs
    it in a thread of its own, one call at a time."""

    def __init__(
        self,
        engine: Engine,
        settings: ClusterSettings,
        holder: str,
        *,
        lease_seconds: float,
        clock: Callable[[], datetime],
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.holder = holder
        self.lease_seconds = lease_seconds
        self.clock = clock
        self.session = Session(engine, expire_on_commit=False)
        self.assigner: StoryAssigner | None = None
        self.unsettled = 0  # articles assigned since the last full re-check

    @property
    def leading(self) -> bool:
        return self.assigner is not None

    def lead(self) -> bool:
        """Take the role when it is free; rebuild the index on taking it."""
        if self.assigner is not None:
            return True
        with self.engine.begin() as connection:
            taken = acquire(
                connection, ROLE_LEASE, self.holder, now=self._now(), seconds=self.lease_seconds
            )
        if taken:
            log.info("stage=stories holder=%s took the story role", self.holder)
            self.unsettled = 1  # the last holder may have stopped before its re-check
            self.assigner = StoryAssigner(
                self.session, self.settings, clock=self.clock, fence=self._fence
            )
        return taken

    def step(self) -> int:
        """Assign one batch of pending articles; returns how many (0 when not leading)."""
        if self.assigner is None:
            return 0
        done = self.assigner.assign_pending()
        if not done and not self._still_leading():
            return 0
        self.unsettled += len(done)
        return len(done)

    def settle(self) -> int:
        """The re-check over every live story, once the stage has caught up after assigning
        articles: what a replay or one-shot fetch does at its end, so a daemon's stories
        converge to theirs whatever order its articles arrived in. Bounded by the index,
        which holds only the window's stories."""
        if self.assigner is None or not self.unsettled:
            return 0
        applied = self.assigner.recheck(None)
        self.unsettled = 0
        return applied

    def drain(self) -> int:
        total = 0
        while handled := self.step():
            total += handled
        return total

    def recheck(self) -> int:
        """The periodic re-check over the last window (wall-clock time)."""
        if self.assigner is None:
            return 0
        since = self.clock() - timedelta(days=self.settings.window_days)
        applied = self.assigner.recheck(since)
        self.assigner.suggest_moves(since)
        return applied

    def renew(self) -> None:
        """Keep the role while idle or rebuilding (each write also renews it, see ``_fence``).
        Safe from another thread: it only touches the lease row and, when the role was lost,
        drops the index."""
        if self.assigner is not None:
            self._still_leading()

    def resign(self) -> None:
        """Give the role up (a clean stop)."""
        if self.assigner is None:
            return
        self.assigner = None
        self.session.rollback()
        with self.engine.begin() as connection:
            release(connection, ROLE_LEASE, self.holder)
        log.info("stage=stories holder=%s gave up the story role", self.holder)

    def forget(self) -> None:
        """After a database failure: drop the index; the next ``lead`` rebuilds it."""
        self.assigner = None
        self.session.rollback()

    def close(self) -> None:
        self.session.close()

    def _fence(self, session: Session) -> bool:
        held = renew(session, ROLE_LEASE, self.holder, now=self._now(), seconds=self.lease_seconds)
        if not held:
            log.warning("stage=stories holder=%s lost the story role", self.holder)
            self.assigner = None
        return held

    def _still_leading(self) -> bool:
        with self.engine.begin() as connection:
            held = renew(
                connection, ROLE_LEASE, self.holder, now=self._now(), seconds=self.lease_seconds
            )
        if not held:
            log.warning("stage=stories holder=%s lost the story role", self.holder)
            self.assigner = None
        return held

    def _now(self) -> datetime:
        return self.clock().replace(tzinfo=None)


@contextmanager
def holding_story_role(engine: Engine, *, seconds: float = 60.0) -> Iterator[None]:
    """Hold the story role for a command that writes stories in its own process (replay,
    reprocess, cluster --store), renewed by a thread; a daemon's story stage waits meanwhile.

    When another process holds the role, the command stops at once with a clear message:
    two story writers would decide stories apart from each other.
    """
    holder = holder_id()
    with engine.begin() as connection:
        if not acquire(connection, ROLE_LEASE, holder, now=_utc(), seconds=seconds):
            other = lease_holder(connection, ROLE_LEASE, now=_utc())
            raise StoreError(
                f"another aggregator process ({other}) is building this database's stories; "
                "stop its stories role (or the daemon) first; `aggregator fetch` can run beside it"
            )
    stop = threading.Event()
    keeper = threading.Thread(
        target=_keep_role, args=(engine, holder, seconds, stop), name="story-role", daemon=True
    )
    keeper.start()
    try:
        yield
    finally:
        stop.set()
        keeper.join()
        with engine.begin() as connection:
            release(connection, ROLE_LEASE, holder)


def _keep_role(engine: Engine, holder: str, seconds: float, stop: threading.Event) -> None:
    while not stop.wait(seconds / 3):
        try:
            with engine.begin() as connection:
                renew(connection, ROLE_LEASE, holder, now=_utc(), seconds=seconds)
        except Exception:  # the database may be away a moment; the next renewal tries again
            log.exception("stage=stories error=renewing the story role")


def _utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
