"""``aggregator db backup``: a consistent copy of a live SQLite database.

sqlite3's online backup API (https://www.sqlite.org/backup.html) copies the database page by
page while the daemon keeps writing; a plain ``cp`` of a WAL database can miss the ``-wal``
file or catch it mid-checkpoint. The copy is made in a temporary file beside the target and
renamed into place, so a failed or interrupted backup never leaves a half-written file where a
good one is expected. PostgreSQL has its own tools (``pg_dump``), and ``backup`` says so.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from aggregator.errors import StoreError

from .engine import normalize_url

__all__ = ["POSTGRES_BACKUP", "Backup", "backup_sqlite", "sqlite_path"]

POSTGRES_BACKUP = """\
aggregator db backup copies SQLite databases; for PostgreSQL use its own tools:
  pg_dump --format=custom --file=aggregator.dump "$DATABASE_URL"
  pg_restore --clean --if-exists --no-owner --dbname="$DATABASE_URL" aggregator.dump"""

# Pages copied per step; between steps the source is free for the daemon's writes.
_PAGES_PER_STEP = 1024


@dataclass(frozen=True, slots=True)
class Backup:
    """Where the copy went and how large it is."""

    source: Path
    target: Path
    bytes: int

    def instructions(self) -> str:
        """What was copied, and how to put it back."""
        return (
            f"backed up {self.source} to {self.target} ({self.bytes} bytes)\n"
            "to restore: stop aggregator, then\n"
            f"  rm -f {self.source}-wal {self.source}-shm && cp {self.target} {self.source}"
        )


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL; None for other databases. StoreError for ``:memory:``."""
    try:
        parsed = make_url(normalize_url(url))
    except ArgumentError as exc:
        raise StoreError(f"cannot use database URL {url!r}: {exc}") from exc
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise StoreError("an in-memory SQLite database has nothing to back up")
    return Path(parsed.database)


def backup_sqlite(source: Path, target: Path) -> Backup:
    """Copy ``source`` to ``target`` consistently, even while another process writes to it."""
    if not source.is_file():
        raise StoreError(f"no SQLite database at {source}")
    if target.exists() and target.resolve() == source.resolve():
        raise StoreError(f"backup target {target} is the database itself")
    partial = target.with_name(f".{target.name}.partial")
    try:
        _copy(source, partial)
        os.replace(partial, target)
    except (sqlite3.Error, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise StoreError(f"backup of {source} to {target} failed: {exc}") from exc
    return Backup(source, target, target.stat().st_size)


def _copy(source: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    # Read-only URI: a backup must never create, migrate or otherwise touch the live database.
    reader = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    writer = sqlite3.connect(target)
    try:
        reader.backup(writer, pages=_PAGES_PER_STEP)
        # A self-contained file: no -wal beside it to lose when it is copied off the machine.
        writer.execute("PRAGMA journal_mode=DELETE")
    finally:
        writer.close()
        reader.close()
