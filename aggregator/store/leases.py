"""Leases: named work that one process holds until it expires, unless the holder renews it.

Every change is one conditional UPDATE, which both backends apply atomically: a lease passes
to a new holder only when it is free or expired, so two processes never hold it at once, and
a process that dies (SIGKILL, lost machine) loses its leases when they run out. On PostgreSQL
the UPDATE's row lock also orders a renewal against a takeover: the taker re-reads the row
after the renewal commits and finds it held.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from aggregator.store.schema import Lease

__all__ = [
    "acquire",
    "holder_id",
    "lease_holder",
    "release",
    "renew",
]

Executor = Session | Connection


def holder_id() -> str:
    """This process's name in lease rows: host, pid and a random tag (pids are reused)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _ensure_row(db: Executor, name: str) -> None:
    dialect = db.get_bind().dialect.name if isinstance(db, Session) else db.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.execute(insert(Lease).values(name=name).on_conflict_do_nothing(index_elements=["name"]))


def acquire(
    db: Executor, name: str, holder: str, *, now: datetime, seconds: float, wait_free: bool = False
) -> bool:
    """Take ``name`` for ``seconds`` when it is free, expired or already ours.

    With ``wait_free`` the lease is also refused while its ``not_before`` lies ahead (a
    host's politeness pause). Returns whether ``holder`` holds it now.
    """
    _ensure_row(db, name)
    free = or_(Lease.holder.is_(None), Lease.expires_at < now, Lease.holder == holder)
    condition = and_(Lease.name == name, free)
    if wait_free:
        condition = and_(condition, or_(Lease.not_before.is_(None), Lease.not_before <= now))
    result = db.execute(
        update(Lease)
        .where(condition)
        .values(holder=holder, expires_at=now + timedelta(seconds=seconds))
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def renew(db: Executor, name: str, holder: str, *, now: datetime, seconds: float) -> bool:
    """Extend ``holder``'s lease; False when it was lost (expired and taken, or released)."""
    result = db.execute(
        update(Lease)
        .where(Lease.name == name, Lease.holder == holder)
        .values(expires_at=now + timedelta(seconds=seconds))
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def release(db: Executor, name: str, holder: str, *, not_before: datetime | None = None) -> None:
    """Give ``name`` up; ``not_before`` keeps it closed to everyone until then."""
    values: dict[str, object] = {"holder": None, "expires_at": None}
    if not_before is not None:
        values["not_before"] = not_before
    db.execute(update(Lease).where(Lease.name == name, Lease.holder == holder).values(**values))


def lease_holder(db: Executor, name: str, *, now: datetime) -> str | None:
    """Who holds ``name`` now (None when free or expired)."""
    row = db.execute(select(Lease.holder, Lease.expires_at).where(Lease.name == name)).first()
    if row is None or row.holder is None or row.expires_at is None or row.expires_at < now:
        return None
    return str(row.holder)
