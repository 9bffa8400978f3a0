"""Engine factory: SQLite pragmas, URL handling, one clear line for an unreachable database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from aggregator.errors import StoreError
from aggregator.store.engine import connect, normalize_url, open_database


def test_sqlite_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'a.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_plain_postgresql_url_gets_psycopg_driver() -> None:
    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"


def test_unreachable_postgres_is_one_clear_error() -> None:
    with pytest.raises(StoreError) as caught:
        open_database("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
    message = str(caught.value)
    assert message.startswith("store: cannot open database")
    assert "\n" not in message


def test_nonsense_url_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="cannot use database URL"):
        connect("not a url")


def test_sqlite_in_missing_folder_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open database"):
        open_database(f"sqlite:///{tmp_path / 'missing' / 'a.db'}")


def test_a_current_database_opens_without_importing_alembic(database_url: str) -> None:
    open_database(database_url).dispose()  # creates the schema: Alembic runs here
    probe = (
        "import sys\n"
        "from aggregator.store.engine import open_database\n"
        f"open_database({database_url!r}).dispose()\n"
        "print('alembic' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_a_new_database_is_migrated_on_open(database_url: str) -> None:
    engine = open_database(database_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM stories")).scalar() == 0
    engine.dispose()
