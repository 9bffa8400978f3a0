"""The schema Alembic builds is the schema the models declare, on every backend."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from aggregator.store.engine import alembic_config, head_revision, is_current, stored_revisions


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
    assert not is_current(engine)
    command.upgrade(config, "head")
    assert is_current(engine)


def test_head_revision_is_alembics_head(engine: Engine) -> None:
    # open_database trusts this reading of the scripts to skip importing Alembic (issue 14).
    scripts = ScriptDirectory.from_config(alembic_config(engine))
    assert head_revision() == scripts.get_current_head()
    assert stored_revisions(engine) == {scripts.get_current_head()}


def test_a_database_at_another_revision_is_not_current(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'elsewhere'"))
    assert not is_current(engine)


def _script(folder: Path, name: str, revision: str, down_revision: object) -> None:
    (folder / f"{name}.py").write_text(
        f'"""Revision ID: {revision}"""\n\n'
        f"revision: str = {revision!r}\n"
        f"down_revision: str | None = {down_revision!r}\n",
        encoding="utf-8",
    )


@pytest.mark.parametrize(
    ("scripts", "head"),
    [
        ([("a", None), ("b", "a"), ("c", "b")], "c"),
        ([("a", None), ("b", "a"), ("c", "a"), ("d", ("b", "c"))], "d"),  # a merge
        ([("a", None), ("b", "a"), ("c", "a")], None),  # two heads: Alembic must decide
        ([], None),
    ],
)
def test_head_revision_reads_the_chain(
    tmp_path: Path, scripts: list[tuple[str, object]], head: str | None
) -> None:
    (tmp_path / "__init__.py").write_text("", encoding="utf-8")
    for number, (revision, down_revision) in enumerate(scripts):
        _script(tmp_path, f"{number:04d}_{revision}", revision, down_revision)
    assert head_revision(tmp_path) == head


def test_head_revision_gives_up_on_lines_it_cannot_read(tmp_path: Path) -> None:
    (tmp_path / "0001_a.py").write_text('revision = make_id("a")\n', encoding="utf-8")
    assert head_revision(tmp_path) is None
