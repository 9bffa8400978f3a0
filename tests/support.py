"""Paths and helpers shared by test modules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
SITES = FIXTURES / "sites"
SHARED = REPO.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or a skip with the reason when this checkout has none."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not present: benchmark data lives beside the repository, in CI")
    return path


def expectations() -> list[tuple[Path, dict[str, Any]]]:
    """Every fixture page with its sidecar expectation, in a stable order."""
    pairs = []
    for sidecar in sorted(SITES.rglob("*.expected.json")):
        page = sidecar.with_name(sidecar.name.removesuffix(".expected.json") + ".html")
        pairs.append((page, json.loads(sidecar.read_text(encoding="utf-8"))))
    return pairs


def article_expectations() -> list[tuple[Path, dict[str, Any]]]:
    return [(page, spec) for page, spec in expectations() if spec.get("article", True)]
