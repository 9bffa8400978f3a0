"""Which processes are alive, and for which stage: one ``worker:ROLE:HOLDER`` row in ``leases``
per role a running process has, renewed with its other leases.

An idle extractor holds no page claim and an idle fetcher no source lease, so without these
rows ``aggregator status`` could not tell "nothing to do" from "nobody there". A clean stop
deletes them; a dead process's rows expire, and the prune deletes them a day later.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from aggregator.store.leases import Executor, acquire
from aggregator.store.schema import Lease

__all__ = ["announce", "live_workers", "retire"]

PREFIX = "worker:"


def _name(role: str, holder: str) -> str:
    return f"{PREFIX}{role}:{holder}"


def announce(
    db: Executor, holder: str, roles: tuple[str, ...], *, now: datetime, seconds: float
) -> None:
    """Say (again) that ``holder`` runs ``roles`` for the next ``seconds``; the caller commits."""
    for role in roles:
        acquire(db, _name(role, holder), holder, now=now, seconds=seconds)


def retire(db: Executor, holder: str, roles: tuple[str, ...]) -> None:
    """A clean stop: ``holder`` runs nothing any more."""
    db.execute(delete(Lease).where(Lease.name.in_([_name(role, holder) for role in roles])))


def live_workers(db: Executor, *, now: datetime) -> dict[str, list[str]]:
    """Holders per role whose rows have not expired."""
    rows = db.execute(
        select(Lease.name, Lease.holder).where(
            Lease.name.like(f"{PREFIX}%"), Lease.expires_at >= now
        )
    )
    live: dict[str, list[str]] = {}
    for name, holder in rows:
        role = name[len(PREFIX) :].split(":", 1)[0]
        live.setdefault(role, []).append(str(holder))
    return live
