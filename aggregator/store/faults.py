"""Database faults named for operators: a dropped connection, a locked SQLite file, a full disk.

The drivers report these as ``OperationalError`` with a message of their own; the daemon must
tell the transient ones (retry the work in hand) from the ones a retry cannot cure (a full
disk: stop and say so), and a command must print one line instead of a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import sqlite3
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, PendingRollbackError
from sqlalchemy.orm import Session

from aggregator.errors import ConnectionLost, DatabaseBusy, DiskFull, StoreError

__all__ = ["in_transaction", "store_fault"]

log = logging.getLogger("aggregator.store")

T = TypeVar("T")

#: Tries of one transaction after lost connections. A killed backend is replaced at once (the
#: pool pre-pings); a server that is away for longer fails the unit of work, which its role
#: retries later with backoff.
ATTEMPTS = 3

# SQLite's messages for SQLITE_BUSY / SQLITE_LOCKED and SQLITE_FULL; PostgreSQL's SQLSTATE
# class 53 is "insufficient resources" (53100 disk_full) and class 08 "connection exception";
# 57P01-57P03 are an administrator's or a restart's termination of the backend.
_LOCKED = ("database is locked", "database table is locked")
_FULL_SQLITE = "database or disk is full"
_FULL_STATES = ("53100",)
_LOST_STATES = ("57P01", "57P02", "57P03")


def store_fault(exc: BaseException) -> StoreError | None:
    """The named fault behind a database exception, or None when it is something else.

    The exception's causes count too: SQLite rolls a transaction back by itself when the disk
    is full, and the savepoint rollback that follows fails with "no such savepoint", which
    carries the real fault as its context.
    """
    seen: BaseException | None = exc
    for _depth in range(5):
        if seen is None:
            break
        fault = _named(seen)
        if fault is not None:
            return fault
        seen = seen.__cause__ or seen.__context__
    return None


def _named(exc: BaseException) -> StoreError | None:
    if isinstance(exc, StoreError):
        return exc
    if isinstance(exc, BaseExceptionGroup):  # a task group's failure: its first cause
        return store_fault(exc.exceptions[0])
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return _disk_full(str(exc.strerror))
    if isinstance(exc, PendingRollbackError):
        return ConnectionLost("the connection failed in a transaction that is being retried")
    if not isinstance(exc, DBAPIError):
        return None
    return _from_driver(exc)


def _from_driver(exc: DBAPIError) -> StoreError | None:
    original = exc.orig
    reason = _first_line(str(original) if original is not None else str(exc))
    state = str(getattr(original, "sqlstate", "") or "")
    if isinstance(original, sqlite3.OperationalError):
        if reason.startswith(_LOCKED):
            return DatabaseBusy(
                f"the SQLite database stayed locked by another process ({reason}); "
                "try again when it has finished writing"
            )
        if reason.startswith(_FULL_SQLITE):
            return _disk_full(reason)
    if state in _FULL_STATES:
        return _disk_full(reason)
    if exc.connection_invalidated or state in _LOST_STATES or state.startswith("08"):
        return ConnectionLost(f"lost the database connection ({reason})")
    return None


def _disk_full(reason: str) -> DiskFull:
    return DiskFull(
        f"the disk holding the database is full ({reason}); the last transaction was rolled "
        "back and nothing is half-written: free some space (or run `aggregator prune`) and "
        "start again"
    )


def _first_line(text: str) -> str:
    stripped = text.strip()
    return stripped.splitlines()[0] if stripped else "no reason given"


def in_transaction(session: Session, work: Callable[[], T], *, stage: str = "store") -> T:
    """Run ``work`` in ``session`` and commit; after a lost connection, roll back and run it
    again on a new one. Also after "database is locked": in WAL mode SQLite refuses at once to
    turn a read transaction whose snapshot another connection has written past into a write,
    and a fresh transaction succeeds. ``work`` must only write to the session (it may run more
    than once); any other failure is rolled back and raised."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            result = work()
            session.commit()
            return result
        except Exception as exc:
            with contextlib.suppress(Exception):  # the connection may be gone already
                session.rollback()
            fault = store_fault(exc)
            if attempt == ATTEMPTS or not isinstance(fault, ConnectionLost | DatabaseBusy):
                raise
            log.warning(
                "stage=%s error=%s attempt=%d; retrying the transaction", stage, fault, attempt
            )
    raise AssertionError("unreachable")
