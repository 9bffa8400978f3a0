from __future__ import annotations

import gzip
import json
from pathlib import Path

from aggregator.dedup.cluster import ClusterSettings
from aggregator.dedup.offline import cluster_items, read_jsonl_items

ROWS = [
    {
        "id": 1,
        "title": "Fed holds rates steady",
        "text": "",
        "url": "",
        "source": "a",
        "timestamp": 1_700_000_000_000,
    },
    {
        "id": "2",
        "title": "Fed holds rates steady",
        "text": "",
        "url": "",
        "source": "b",
        "timestamp": None,
    },
    {
        "id": "3",
        "title": "Storm closes ports",
        "text": None,
        "url": "u",
        "source": "c",
        "timestamp": 1_700_000_360_000,
    },
]


def _write(path: Path) -> None:
    lines = "\n".join(json.dumps(row) for row in ROWS) + "\n\n"
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(lines.encode("utf-8")))
    else:
        path.write_text(lines, encoding="utf-8")


def test_read_jsonl_items_converts_ms_to_seconds(tmp_path: Path) -> None:
    for name in ("items.jsonl", "items.jsonl.gz"):
        path = tmp_path / name
        _write(path)
        items = list(read_jsonl_items(path))
        assert [i.id for i in items] == ["1", "2", "3"]
        assert items[0].timestamp == 1_700_000_000.0
        assert items[1].timestamp is None
        assert items[2].text == ""


def test_one_output_row_per_input_line(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    _write(path)
    rows = list(cluster_items(read_jsonl_items(path), ClusterSettings()))
    assert [set(row) for row in rows] == [{"id", "story", "duplicate_of"}] * 3
    assert rows[0] == {"id": "1", "story": "1", "duplicate_of": None}
    assert rows[1] == {"id": "2", "story": "1", "duplicate_of": "1"}
    assert rows[2]["story"] == "3"
