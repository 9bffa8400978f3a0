"""Clustering quality: B-cubed (Bagga & Baldwin 1998) and pairwise precision / recall / F1."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["ClusterScores", "score_clustering"]


@dataclass(frozen=True, slots=True)
class ClusterScores:
    """Agreement of a predicted clustering with gold labels."""

    b3_precision: float
    b3_recall: float
    b3_f1: float
    pair_precision: float
    pair_recall: float
    pair_f1: float


def _f1(precision: float, recall: float) -> float:
    total = precision + recall
    return 2 * precision * recall / total if total else 0.0


def _pairs(count: int) -> float:
    return count * (count - 1) / 2


def score_clustering(gold: Sequence[str], predicted: Sequence[str]) -> ClusterScores:
    """Score ``predicted`` cluster labels against ``gold`` labels, item by item."""
    joint = Counter(zip(gold, predicted, strict=True))
    gold_size, predicted_size = Counter(gold), Counter(predicted)
    n = max(1, len(gold))
    b3p = sum(c * c / predicted_size[p] for (_, p), c in joint.items()) / n
    b3r = sum(c * c / gold_size[g] for (g, _), c in joint.items()) / n
    together = sum(_pairs(c) for c in joint.values())
    predicted_pairs = sum(_pairs(c) for c in predicted_size.values())
    gold_pairs = sum(_pairs(c) for c in gold_size.values())
    pp = together / predicted_pairs if predicted_pairs else 0.0
    pr = together / gold_pairs if gold_pairs else 0.0
    return ClusterScores(b3p, b3r, _f1(b3p, b3r), pp, pr, _f1(pp, pr))
