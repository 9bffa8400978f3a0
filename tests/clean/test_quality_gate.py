"""Extraction quality gate: a fixed fast subset of ../shared/bench/extraction must not regress.

The floors live in ``extraction_baseline.json``; raising them after an improvement, or lowering
them, is a deliberate commit that says why. ``python bench/extraction.py --subset 10`` prints
the same figures next to bare trafilatura.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

from tests.support import REPO, shared_path

BASELINE = Path(__file__).with_name("extraction_baseline.json")


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_extraction", REPO / "bench" / "extraction.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their annotations through it
    spec.loader.exec_module(module)
    return module


def test_extraction_does_not_regress_on_the_fast_subset() -> None:
    data = shared_path("bench", "extraction")
    floors = json.loads(BASELINE.read_text(encoding="utf-8"))
    bench = _bench()
    pages = bench.subset(bench.load_bench(data), floors["subset_step"])
    assert len(pages) == floors["pages"], "the bench set changed: re-measure the baseline"
    result = bench.run(pages, {"ours": bench.ours})["ours"]
    counts = result.counts
    measured = {"f1": counts.f1, "precision": counts.precision, "recall": counts.recall}
    for metric, value in measured.items():
        assert value >= floors[metric], f"{metric} fell to {value:.4f} (floor {floors[metric]})"
