"""Offline clustering of a JSON-lines file: the same decisions the daemon makes, no database."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from aggregator.dedup.cluster import ClusterSettings, RecheckClock, StoryIndex
from aggregator.models import ClusterItem

__all__ = ["cluster_items", "item_from_row", "read_jsonl_items", "read_jsonl_lines"]


def item_from_row(row: dict[str, Any]) -> ClusterItem:
    """Build a :class:`ClusterItem` from one input line (``timestamp`` in ms, or null)."""
    stamp = row.get("timestamp")
    return ClusterItem(
        id=str(row["id"]),
        title=str(row.get("title") or ""),
        text=str(row.get("text") or ""),
        source=str(row.get("source") or ""),
        url=str(row.get("url") or ""),
        timestamp=float(stamp) / 1000.0 if stamp is not None else None,
    )


def read_jsonl_lines(path: str | Path) -> Iterator[bytes]:
    """The non-blank lines of a JSON-lines file (gzip when it ends in ``.gz``), as bytes."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as handle:
        yield from (line.strip() for line in handle if line.strip())


def read_jsonl_items(path: str | Path) -> Iterator[ClusterItem]:
    """Yield one item per non-blank line of a JSON-lines file (gzip when it ends in ``.gz``)."""
    for line in read_jsonl_lines(path):
        yield item_from_row(json.loads(line))


def _find(parent: dict[str, str], key: str) -> str:
    root = key
    while parent.get(root, root) != root:
        root = parent[root]
    while key != root:
        parent[key], key = root, parent[key]
    return root


def cluster_items(
    items: Iterable[ClusterItem], settings: ClusterSettings
) -> Iterator[dict[str, Any]]:
    """Cluster ``items`` in the given order; yield ``{"id", "story", "duplicate_of"}`` per item.

    The re-check runs as it does when the pipeline stores articles: whenever the items' own
    time has moved ``recheck_minutes`` on (see :class:`RecheckClock`), and after the last one.
    A new story's key is its founding item's id. Rows are yielded after the last item, once
    story merges are known, so every row names the story's final key.
    """
    index = StoryIndex(settings)
    clock = RecheckClock(settings)
    parent: dict[str, str] = {}
    rows: list[tuple[str, str, str | None]] = []
    for item in items:
        decision = index.decide(item)
        story = decision.story if decision.story is not None else item.id
        index.insert(item, story, decision.duplicate_of)
        for other in decision.merge:
            _fold(index, parent, other, story)
        rows.append((item.id, story, decision.duplicate_of))
        if (since := clock.tick(item.timestamp)) is not None:
            _recheck(index, parent, since)
    _recheck(index, parent, None)
    for item_id, story, duplicate_of in rows:
        yield {"id": item_id, "story": _find(parent, story), "duplicate_of": duplicate_of}


def _fold(index: StoryIndex, parent: dict[str, str], source: str, target: str) -> None:
    index.merge(target, source)
    parent[_find(parent, source)] = _find(parent, target)


def _recheck(index: StoryIndex, parent: dict[str, str], since: float | None) -> None:
    for fold in index.settle(since):
        parent[_find(parent, fold.source)] = _find(parent, fold.target)
