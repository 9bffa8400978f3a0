"""The schema Alembic builds is the schema the models declare, on every backend."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, inspect

from aggregator.store.engine import alembic_config, is_current


def test_upgrade_head_then_check_finds_no_drift(engine: Engine) -> None:
    config = alembic_config(engine)
    command.upgrade(config, "head")
    command.check(config)  # raises when the models and the migrations disagree
    assert is_current(engine)


def test_operator_tables_exist(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert {"sources", "pages", "articles", "stories", "fetches", "validators"} <= tables


def test_downgrade_to_base_and_back(engine: Engine) -> None:
    config = alembic_config(engine)
    command.downgrade(config, "base")
    assert "articles" not in inspect(engine).get_table_names()
    command.upgrade(config, "head")
    assert is_current(engine)
