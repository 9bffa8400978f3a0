"""SQLite faults as an operator meets them: a database locked by another writer and a full
disk give one clear line, and the file is intact afterwards.

The full disk is real as far as SQLite can tell: ``PRAGMA max_page_count`` caps the file, and
SQLite answers a write past it with SQLITE_FULL, "database or disk is full", exactly as when
the filesystem has no room left.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy.exc import OperationalError

from aggregator.cli import cli
from aggregator.errors import ConnectionLost, DatabaseBusy, DiskFull
from aggregator.store import engine as engine_module
from aggregator.store.engine import open_database
from aggregator.store.faults import store_fault
from tests.support import FIXTURES


def _driver_error(message: str) -> OperationalError:
    return OperationalError("INSERT INTO pages ...", {}, sqlite3.OperationalError(message))


def test_driver_messages_are_named() -> None:
    assert isinstance(store_fault(_driver_error("database is locked")), DatabaseBusy)
    assert isinstance(store_fault(_driver_error("database or disk is full")), DiskFull)
    assert isinstance(store_fault(OSError(errno.ENOSPC, "No space left on device")), DiskFull)
    assert isinstance(
        store_fault(ExceptionGroup("cycle", [_driver_error("database or disk is full")])), DiskFull
    )
    lost = OperationalError("SELECT 1", {}, Exception("server closed"), connection_invalidated=True)
    assert isinstance(store_fault(lost), ConnectionLost)
    assert store_fault(_driver_error("no such table: pages")) is None
    assert store_fault(ValueError("a bug")) is None


def test_a_locked_database_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    open_database(f"sqlite:///{path}").dispose()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process in the middle of a long write
    try:
        result = CliRunner().invoke(
            cli,
            [
                "--database",
                f"sqlite:///{path}?timeout=0.5",
                "sources",
                "add",
                "x",
                "https://x.example/",
            ],
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 2
    assert result.stderr.startswith("error: store: the SQLite database stayed locked")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def capped_database(monkeypatch: pytest.MonkeyPatch, path: Path) -> Path:
    """A migrated database that can grow by ~200 KB more, on every aggregator connection."""
    open_database(f"sqlite:///{path}").dispose()
    with sqlite3.connect(path) as connection:
        limit = connection.execute("PRAGMA page_count").fetchone()[0] + 50
    original = engine_module._sqlite_pragmas

    def capped(dbapi_connection: Any, record: Any) -> None:
        original(dbapi_connection, record)
        dbapi_connection.execute(f"PRAGMA max_page_count = {limit}")

    monkeypatch.setattr(engine_module, "_sqlite_pragmas", capped)
    return path


def integrity(path: Path) -> tuple[str, int]:
    """SQLite's own check, and articles whose page is missing."""
    with sqlite3.connect(path) as connection:
        check = connection.execute("PRAGMA integrity_check").fetchone()[0]
        orphans = connection.execute(
            "SELECT count(*) FROM articles WHERE page_id NOT IN (SELECT id FROM pages)"
        ).fetchone()[0]
    return check, orphans


@pytest.fixture
def tiny_disk(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    return capped_database(monkeypatch, tmp_path / "full.db")


def test_a_full_disk_stops_replay_with_one_line_and_an_intact_database(tiny_disk: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--database", f"sqlite:///{tiny_disk}", "replay", "--workers", "1", str(FIXTURES)]
    )
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: store: the disk holding the database is full")
    assert result.stderr.count("\n") == 1
    assert integrity(tiny_disk) == ("ok", 0)


def test_readers_do_not_wait_for_a_writer(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    open_database(f"sqlite:///{path}").dispose()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = CliRunner().invoke(cli, ["--database", f"sqlite:///{path}?timeout=0.5", "status"])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 0, result.output
    with sqlite3.connect(path) as connection:  # a new database reclaims space as it prunes
        assert connection.execute("PRAGMA auto_vacuum").fetchone()[0] == 2
