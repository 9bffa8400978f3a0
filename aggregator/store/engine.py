"""Engine factory and migrations: SQLite (WAL, foreign keys on) by default, or PostgreSQL."""

from __future__ import annotations

import ast
import fcntl
import importlib.util
import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from aggregator.errors import StoreError
from aggregator.store.searchtext import search_text

# Alembic takes longer to import than the rest of a read command, so it is imported only to
# migrate (issue 14); whether the schema is behind is read with plain SQL.
if TYPE_CHECKING:
    from alembic.config import Config

__all__ = [
    "alembic_config",
    "connect",
    "head_revision",
    "is_current",
    "migrate",
    "migrations_dir",
    "normalize_url",
    "open_database",
    "sqlite_writer",
    "stored_revisions",
]

# Alembic's defaults: the table holding the applied revision, and how scripts name theirs.
VERSION_TABLE = "alembic_version"
_REVISION_LINE = re.compile(r"^(revision|down_revision)\b[^=\n]*=(.+)$", re.MULTILINE)


def migrations_dir() -> Path:
    """The Alembic scripts: top-level ``migrations/``, installed as ``aggregator.migrations``."""
    spec = importlib.util.find_spec("aggregator.migrations")
    if spec is None or not spec.submodule_search_locations:
        raise StoreError("the migrations package is missing from this installation")
    return Path(next(iter(spec.submodule_search_locations)))


def normalize_url(url: str) -> str:
    """Pick the psycopg 3 driver for plain ``postgresql://`` URLs (psycopg2 is not a dependency)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def connect(url: str) -> Engine:
    """Create an engine for ``url``; nothing is opened until first use."""
    try:
        parsed = make_url(normalize_url(url))
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed.render_as_string(hide_password=False))
        return create_engine(parsed, pool_pre_ping=True)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise StoreError(f"cannot use database URL {url!r}: {exc}") from exc


#: Seconds a SQLite write waits for another process's write to end before failing with
#: "database is locked"; ``?timeout=N`` in the URL overrides it.
SQLITE_BUSY_TIMEOUT = 30.0


def _sqlite_engine(url: str) -> Engine:
    given = make_url(url).query.get("timeout")
    connect_args = {} if given else {"timeout": SQLITE_BUSY_TIMEOUT}
    engine = create_engine(url, connect_args=connect_args)
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_begin(connection: Any) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT; SQLAlchemy's documented fix is to
    # turn it off (isolation_level=None below) and emit BEGIN ourselves.
    connection.exec_driver_sql("BEGIN")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # So that pruning can give space back (store.retention.reclaim). Only a database without
    # tables takes it (older files are converted by one VACUUM), and setting it asks for the
    # write lock even when nothing changes: on every connection it would make readers wait
    # for the daemon's writes.
    if cursor.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:
        cursor.execute("PRAGMA auto_vacuum=INCREMENTAL")
    # WAL lets operators read while the daemon writes; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # The full-text triggers of migration 0003 call this on every article write (PostgreSQL
    # has the same function in SQL); deterministic lets SQLite use it in indexes and triggers.
    dbapi_connection.create_function("aggregator_search_text", 1, search_text, deterministic=True)


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["engine"] = engine
    return config


def head_revision(versions: Path | None = None) -> str | None:
    """The newest migration's id, read from the scripts' text rather than by loading Alembic.

    None when the scripts name no single head (a branch, or a line this reader cannot parse);
    a test checks that it agrees with Alembic's own answer.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (versions or migrations_dir() / "versions").glob("*.py"):
        try:
            found = _revision_lines(path)
        except (ValueError, SyntaxError):
            return None
        if "revision" in found:
            revisions.add(str(found["revision"]))
            parents.update(_as_ids(found.get("down_revision")))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _revision_lines(path: Path) -> dict[str, Any]:
    source = path.read_text(encoding="utf-8")
    return {name: ast.literal_eval(value.strip()) for name, value in _REVISION_LINE.findall(source)}


def _as_ids(down_revision: Any) -> set[str]:
    """A script's parents: none, one id, or a tuple of ids for a merge."""
    if down_revision is None:
        return set()
    if isinstance(down_revision, tuple | list):
        return {str(parent) for parent in down_revision}
    return {str(down_revision)}


def stored_revisions(engine: Engine) -> set[str]:
    """The revisions recorded in the database; empty for a database Alembic never touched."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return set()
        rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))
        return set(rows.scalars())


def is_current(engine: Engine) -> bool:
    """True when the database is at the newest migration.

    False also when the scripts' head cannot be read cheaply: the caller then migrates, and
    Alembic, which knows, does nothing to a current database.
    """
    head = head_revision()
    return head is not None and stored_revisions(engine) == {head}


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (``aggregator db upgrade``)."""
    from alembic import command

    command.upgrade(alembic_config(engine), "head")


def open_database(url: str) -> Engine:
    """Connect and migrate if needed, turning driver errors into one clear StoreError line."""
    engine = connect(url)
    try:
        if not is_current(engine):
            migrate(engine)
    except DBAPIError as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StoreError(f"cannot open database {_safe(url)}: {reason}") from exc
    except SQLAlchemyError as exc:
        engine.dispose()
        raise StoreError(f"cannot open database {_safe(url)}: {exc}") from exc
    return engine


def _safe(url: str) -> str:
    try:
        return make_url(normalize_url(url)).render_as_string(hide_password=True)
    except ArgumentError:
        return url


@contextmanager
def sqlite_writer(url: str) -> Iterator[None]:
    """Hold this SQLite database's writer lock for a long-running command; nothing for
    PostgreSQL, where processes share the work through leases.

    SQLite serialises writers anyway, but two processes that each keep an in-memory story
    index would decide stories apart from each other; so the second one stops at once with
    a clear message. The lock is an OS file lock beside the database: it is gone the moment
    its process is, however that process ends.
    """
    parsed = make_url(normalize_url(url))
    database = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    lock_path = Path(database).with_name(Path(database).name + ".lock")
    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError(
                f"another aggregator process is writing to {database}; run one daemon "
                "(`aggregator run` does fetching, extraction and stories together), or move "
                "to PostgreSQL to run several processes"
            ) from None
        yield
    finally:
        os.close(descriptor)
