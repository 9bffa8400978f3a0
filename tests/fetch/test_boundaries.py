"""Every fetch module declares its public names (import boundaries: tests/test_layout.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import aggregator.fetch

PACKAGE = Path(aggregator.fetch.__file__).parent


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
