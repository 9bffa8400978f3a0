"""The fetch stage depends only downwards: never on store, settings, clean or dedup."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import aggregator.fetch

PACKAGE = Path(aggregator.fetch.__file__).parent
FORBIDDEN = ("aggregator.store", "aggregator.settings", "aggregator.clean", "aggregator.dedup")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_no_forbidden_imports(path: Path) -> None:
    bad = {n for n in _imports(path) if n.startswith(FORBIDDEN) or n in ("aggregator", "tests")}
    assert not bad, f"{path.name} imports {sorted(bad)}"


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_public_modules_declare_all(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    targets = [
        t.id
        for n in tree.body
        if isinstance(n, ast.Assign)
        for t in n.targets
        if isinstance(t, ast.Name)
    ]
    assert "__all__" in targets
