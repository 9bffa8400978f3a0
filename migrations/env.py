"""Alembic environment: uses the engine ``aggregator`` hands over, or the configured URL."""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, Engine

from aggregator.store.engine import connect
from aggregator.store.schema import Base

config = context.config
if config.config_file_name and not config.attributes.get("engine"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _engine() -> Engine:
    given = config.attributes.get("engine")
    if isinstance(given, Engine):
        return given
    url = os.environ.get("AGGREGATOR_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    return connect(url or "sqlite:///aggregator.db")


# Search structures that migration 0003 creates by hand and the models do not declare: the
# FTS5 table (and its shadow tables) on SQLite, the tsvector column and its index on PostgreSQL.
_UNMODELLED = {"search_vector", "ix_articles_search_vector"}


def _include(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    if name is None:
        return True
    if type_ == "table" and name.startswith("articles_fts"):
        return False
    return not (reflected and compare_to is None and name in _UNMODELLED)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        compare_type=True,
        include_object=_include,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        _run(connection)
        connection.commit()


run_migrations_online()
