"""The fixture pages cluster exactly by their ``story`` labels, copies marked as duplicates.

Text comes from trafilatura directly (fast, and independent of the cleaning stage); clustering
must get the stories right from what a plain extractor yields.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from aggregator.dedup.cluster import ClusterSettings
from aggregator.dedup.offline import cluster_items
from aggregator.models import ClusterItem

trafilatura = pytest.importorskip("trafilatura")

SITES = Path(__file__).resolve().parents[2] / "fixtures" / "sites"


def _pages() -> list[tuple[dict[str, Any], Path]]:
    pages = []
    for sidecar in sorted(SITES.rglob("*.expected.json")):
        expected = json.loads(sidecar.read_text(encoding="utf-8"))
        html = sidecar.with_name(sidecar.name.removesuffix(".expected.json") + ".html")
        if expected.get("article") and expected.get("story") and html.exists():
            pages.append((expected, html))
    return pages


def _item(expected: dict[str, Any], html: Path) -> ClusterItem:
    text = trafilatura.extract(html.read_bytes(), favor_precision=True) or ""
    published = expected.get("published")
    stamp = (
        datetime.fromisoformat(published).replace(tzinfo=UTC).timestamp() + 12 * 3600
        if published
        else None
    )
    return ClusterItem(id=expected["url"], title=expected["title"], text=text, timestamp=stamp)


def _stream() -> list[tuple[dict[str, Any], ClusterItem]]:
    """Pages in publication order, originals before their copies (the order they appear in)."""
    pages = [(expected, _item(expected, html)) for expected, html in _pages()]
    return sorted(
        pages,
        key=lambda p: (
            p[1].timestamp is None,
            p[1].timestamp or 0.0,
            p[0].get("duplicate_of") is not None,
            p[1].id,
        ),
    )


@pytest.fixture(scope="module")
def clustered() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    stream = _stream()
    if not stream:
        pytest.skip("no fixture pages with story labels under fixtures/sites")
    rows = cluster_items([item for _, item in stream], ClusterSettings())
    return [(expected, row) for (expected, _), row in zip(stream, rows, strict=True)]


def test_fixture_pages_cluster_exactly_by_story_label(
    clustered: list[tuple[dict[str, Any], dict[str, Any]]],
) -> None:
    gold: dict[str, set[str]] = {}
    predicted: dict[str, set[str]] = {}
    for expected, row in clustered:
        gold.setdefault(expected["story"], set()).add(row["id"])
        predicted.setdefault(row["story"], set()).add(row["id"])
    assert sorted(map(sorted, predicted.values())) == sorted(map(sorted, gold.values()))


def test_syndicated_copies_point_to_their_original(
    clustered: list[tuple[dict[str, Any], dict[str, Any]]],
) -> None:
    for expected, row in clustered:
        assert row["duplicate_of"] == expected.get("duplicate_of"), row["id"]


def test_seed_story_holds_five_outlets_and_the_copy(
    clustered: list[tuple[dict[str, Any], dict[str, Any]]],
) -> None:
    seed = [
        row for expected, row in clustered if expected["story"] == "musk-xai-distillation-testimony"
    ]
    if not seed:
        pytest.skip("seed story pages not present")
    assert len({row["story"] for row in seed}) == 1
    assert sum(row["duplicate_of"] is None for row in seed) >= 5
    assert sum(row["duplicate_of"] is not None for row in seed) >= 1
