"""Dependencies point down only: the stages never import storage, settings or each other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support import REPO

PACKAGE = REPO / "aggregator"
STAGES = ("fetch", "clean", "dedup")
FORBIDDEN_FOR_STAGES = (
    "aggregator.store",
    "aggregator.settings",
    "aggregator.pipeline",
    "aggregator.cli",
    "aggregator.scheduler",
    "aggregator.web",
)


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            # `from aggregator import store` imports aggregator.store
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("stage", STAGES)
def test_stage_imports_point_down(stage: str) -> None:
    others = tuple(f"aggregator.{other}" for other in STAGES if other != stage)
    for path in sorted((PACKAGE / stage).rglob("*.py")):
        for name in imported_modules(path):
            assert not name.startswith(FORBIDDEN_FOR_STAGES + others), f"{path}: imports {name}"


def test_only_the_adapter_imports_trafilatura() -> None:
    importers = {
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if any(n.split(".")[0] == "trafilatura" for n in imported_modules(path))
    }
    assert importers <= {"clean/extract.py"}


def test_only_the_scheduler_imports_apscheduler() -> None:
    for path in PACKAGE.rglob("*.py"):
        if path.name != "scheduler.py":
            assert not any(n.startswith("apscheduler") for n in imported_modules(path)), path


def test_migrations_never_import_models() -> None:
    for path in (REPO / "migrations" / "versions").glob("*.py"):
        assert not any(n.startswith("aggregator") for n in imported_modules(path)), path


def test_models_and_errors_import_no_other_aggregator_module() -> None:
    for name in ("models.py", "errors.py"):
        imports = imported_modules(PACKAGE / name)
        assert not any(n.startswith("aggregator") for n in imports), name
