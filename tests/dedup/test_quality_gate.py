"""Clustering quality gate: floors on small fixed subsets of the benchmark sets.

The floors live in ``clustering_baseline.json``; lowering one is a deliberate, explained commit.
The data sits outside the repository (``../shared/bench/clustering``); without it the gate skips.
The full benchmark is ``bench/clustering.py``.
"""

from __future__ import annotations

import gzip
import json
from itertools import islice
from pathlib import Path
from typing import Any

import pytest

from aggregator.dedup.cluster import ClusterSettings
from aggregator.dedup.metrics import score_clustering
from aggregator.dedup.offline import cluster_items, item_from_row

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "bench" / "clustering"
BASELINE = json.loads((Path(__file__).with_name("clustering_baseline.json")).read_text("utf-8"))


def _rows(name: str, subset: dict[str, Any]) -> list[dict[str, Any]]:
    path = DATA / subset["file"]
    if not path.exists():
        pytest.skip(f"benchmark data not found at {path} (../shared/bench/clustering)")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        rows = (json.loads(line) for line in handle if line.strip())
        if "topics" in subset:
            return [r for r in rows if r["topic"] in set(subset["topics"])]
        return list(islice(rows, subset["first"]))


@pytest.mark.parametrize("name", sorted(BASELINE))
def test_clustering_meets_its_floors(name: str) -> None:
    entry = BASELINE[name]
    rows = _rows(name, entry["subset"])
    out = cluster_items((item_from_row(r) for r in rows), ClusterSettings())
    scores = score_clustering([str(r["label"]) for r in rows], [row["story"] for row in out])
    assert scores.b3_f1 >= entry["b3_f1"], scores
    assert scores.pair_f1 >= entry["pair_f1"], scores
