"""Engine factory: SQLite pragmas, URL handling, one clear line for an unreachable database."""

from __future__ import annotations

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
