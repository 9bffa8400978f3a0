"""Clustering is a pure stage: it never reaches storage, settings, fetching or cleaning."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DEDUP = Path(__file__).resolve().parents[2] / "aggregator" / "dedup"
FORBIDDEN = ("aggregator.store", "aggregator.settings", "aggregator.fetch", "aggregator.clean")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("path", sorted(DEDUP.glob("*.py")), ids=lambda p: p.name)
def test_dedup_imports_no_other_stage(path: Path) -> None:
    bad = {n for n in _imports(path) if n.startswith(FORBIDDEN)}
    assert not bad, f"{path.name} imports {sorted(bad)}"
