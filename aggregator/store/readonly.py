"""Read-only sessions with a time limit, for the web page and other operator reads.

A query from a browser must never write and never hold the database for long: SQLite gets
``PRAGMA query_only`` and a progress handler that aborts past the deadline; PostgreSQL gets a
read-only transaction with a local ``statement_timeout``.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

__all__ = ["read_only_session"]

# SQLite calls the progress handler every N virtual-machine instructions.
_PROGRESS_STEPS = 10_000


@contextmanager
def read_only_session(engine: Engine, time_limit: float = 2.0) -> Iterator[Session]:
    """A session that cannot write and whose statements stop after ``time_limit`` seconds."""
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            raw = connection.connection.dbapi_connection
            assert isinstance(raw, sqlite3.Connection)
            deadline = time.monotonic() + time_limit
            raw.set_progress_handler(lambda: int(time.monotonic() > deadline), _PROGRESS_STEPS)
            connection.exec_driver_sql("PRAGMA query_only = ON")
            try:
                with Session(bind=connection) as session:
                    yield session
            finally:
                connection.rollback()
                connection.exec_driver_sql("PRAGMA query_only = OFF")
                raw.set_progress_handler(None, 0)
            return
        connection.execute(text("SET TRANSACTION READ ONLY"))
        connection.execute(text(f"SET LOCAL statement_timeout = {int(time_limit * 1000)}"))
        try:
            with Session(bind=connection) as session:
                yield session
        finally:
            connection.rollback()
