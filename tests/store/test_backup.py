"""Backups: ``aggregator db backup`` on a SQLite database being written to, and the pg_dump /
pg_restore round trip the README gives for PostgreSQL."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from aggregator.cli import cli
from aggregator.errors import StoreError
from aggregator.store.backup import backup_sqlite, sqlite_path
from aggregator.store.engine import normalize_url, open_database
from tests.conftest import POSTGRES_ENV


def _live_database(path: Path) -> None:
    open_database(f"sqlite:///{path}").dispose()
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE probe (n INTEGER PRIMARY KEY, payload TEXT)")


def test_backup_of_a_database_being_written_is_consistent(tmp_path: Path) -> None:
    live, copy = tmp_path / "live.db", tmp_path / "copy.db"
    _live_database(live)
    stop = threading.Event()

    def write() -> None:
        with sqlite3.connect(live, timeout=30) as connection:
            while not stop.is_set():
                connection.execute("INSERT INTO probe (payload) VALUES (?)", ("x" * 4000,))
                connection.commit()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while sqlite3.connect(live).execute("SELECT count(*) FROM probe").fetchone()[0] < 200:
            pass
        result = CliRunner().invoke(
            cli, ["--database", f"sqlite:///{live}", "db", "backup", str(copy)]
        )
    finally:
        stop.set()
        writer.join()
    assert result.exit_code == 0, result.output
    assert "to restore" in result.output and str(copy) in result.output
    with sqlite3.connect(copy) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        rows = connection.execute("SELECT count(*) FROM probe").fetchone()[0]
        assert rows >= 200
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone()
    assert not list(tmp_path.glob(".*.partial"))


def test_backup_refusals(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no SQLite database"):
        backup_sqlite(tmp_path / "missing.db", tmp_path / "copy.db")
    live = tmp_path / "live.db"
    _live_database(live)
    with pytest.raises(StoreError, match="the database itself"):
        backup_sqlite(live, live)
    with pytest.raises(StoreError, match="in-memory"):
        sqlite_path("sqlite://")
    assert sqlite_path("postgresql://u@h/db") is None


def test_backup_points_postgresql_users_at_pg_dump() -> None:
    url = "postgresql://nobody@127.0.0.1:1/none"
    result = CliRunner().invoke(cli, ["--database", url, "db", "backup", "x.dump"])
    assert result.exit_code == 2 and "pg_dump" in result.output


def _postgres_admin_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is not set: no PostgreSQL server to dump")
    for tool in ("pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    return url


@pytest.fixture
def throwaway_databases() -> Iterator[tuple[str, str]]:
    """Two new PostgreSQL databases (the original and the restore target), dropped afterwards."""
    admin_url = _postgres_admin_url()
    admin = create_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT")
    names = [f"aggregator_backup_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    try:
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    except DBAPIError as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL at {POSTGRES_ENV} is not reachable: {exc}")
    base = make_url(admin_url)
    urls = [base.set(database=name).render_as_string(hide_password=False) for name in names]
    try:
        yield urls[0], urls[1]
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_pg_dump_and_pg_restore_round_trip(
    throwaway_databases: tuple[str, str], tmp_path: Path
) -> None:
    original, restored = throwaway_databases
    engine = open_database(original)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE probe (n integer PRIMARY KEY, payload text)"))
        connection.execute(text("INSERT INTO probe VALUES (1, 'kept'), (2, 'also kept')"))
    engine.dispose()
    dump = tmp_path / "aggregator.dump"
    # The commands README.md gives, as an operator would type them.
    subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", original], check=True)
    subprocess.run(
        ["pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={restored}", str(dump)],
        check=True,
    )
    engine = open_database(restored)  # already current: restoring brought alembic_version
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT payload FROM probe ORDER BY n")).scalars().all()
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    engine.dispose()
    assert rows == ["kept", "also kept"] and version
