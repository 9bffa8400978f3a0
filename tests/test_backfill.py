"""``cluster --store``: article records go into the database, clustered like fetched pages."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aggregator.backfill import backfill
from aggregator.cli import cli
from aggregator.dedup.cluster import ClusterSettings
from aggregator.dedup.offline import read_jsonl_lines
from aggregator.pipeline import Ingestor, PageInput
from aggregator.reprocess import reprocess
from aggregator.store.pages import page_body
from aggregator.store.schema import Article, Page, Story

CUT = (
    "The Bank of Canada cut its key interest rate by a quarter point to 2.5 per cent on "
    "Wednesday, citing a weaker job market and easing inflation. Governor Tiff Macklem said the "
    "bank was ready to do more if the economy slowed further."
)
LOWERED = (
    "The Bank of Canada lowered its benchmark interest rate by 25 basis points to 2.5 per cent "
    "on Wednesday as the job market weakened and inflation eased. Tiff Macklem said more cuts "
    "were possible if the economy slowed further."
)
QUAKE = (
    "A magnitude 6.1 earthquake struck off the coast of Chile on Thursday, shaking buildings in "
    "Valparaiso. There were no immediate reports of damage or casualties, officials said."
)
HOUR_MS = 3_600_000
START_MS = 1_758_110_400_000


def record(item_id: str, title: str, text: str, url: str, hours: int = 0) -> dict[str, Any]:
    return {
        "id": item_id,
        "title": title,
        "text": text,
        "url": url,
        "source": url.split("/")[2] if url else "wire",
        "timestamp": START_MS + hours * HOUR_MS,
    }


RECORDS = [
    record("a1", "Bank of Canada cuts its key rate to 2.5%", CUT, "https://one.example/boc"),
    record("a2", "Bank of Canada lowers rate to 2.5 per cent", LOWERED, "https://two.example/r", 1),
    record("a3", "Bank of Canada cuts its key rate to 2.5%", CUT, "", 2),
    record("q1", "Earthquake strikes off Chile", QUAKE, "https://three.example/quake", 3),
]


def lines(rows: list[dict[str, Any]]) -> list[bytes]:
    return [json.dumps(row).encode() for row in rows]


def store(session: Session, raw: list[bytes]) -> list[dict[str, Any]]:
    return list(backfill(Ingestor(session, ClusterSettings()), raw))


def test_records_are_stored_and_clustered_with_one_row_per_line(session: Session) -> None:
    rows = store(session, lines(RECORDS))
    assert [row["id"] for row in rows] == ["a1", "a2", "a3", "q1"]
    by_id = {row["id"]: row for row in rows}
    assert by_id["a1"]["story"] == by_id["a2"]["story"] == by_id["a3"]["story"]
    assert by_id["q1"]["story"] != by_id["a1"]["story"]
    assert by_id["a3"]["duplicate_of"] == "a1"
    stories = {int(row["story"]) for row in rows}
    assert session.scalar(select(func.count(Story.id))) == len(stories)
    origins = set(session.scalars(select(Page.origin)))
    assert origins == {"import"}
    urls = set(session.scalars(select(Page.url)))
    assert "urn:aggregator:import:a3" in urls


def test_storing_the_same_file_twice_changes_nothing(session: Session) -> None:
    first = store(session, lines(RECORDS))
    pages = session.scalar(select(func.count(Page.id)))
    assert store(session, lines(RECORDS)) == first
    assert session.scalar(select(func.count(Page.id))) == pages


def test_bad_lines_are_recorded_failures_and_the_rest_is_stored(session: Session) -> None:
    raw = [b"not json", b"[1, 2]", json.dumps({"id": "e", "title": "", "text": ""}).encode()]
    raw.append(lines(RECORDS[:1])[0])
    rows = store(session, raw)
    assert [row.get("error", "").split(":")[0] for row in rows] == ["parse", "parse", "extract", ""]
    assert rows[3]["story"] is not None
    failed = session.execute(select(Page.error_kind).where(Page.outcome == "failed")).all()
    assert sorted(kind for (kind,) in failed) == ["extract", "parse", "parse"]


def test_a_fetched_page_under_the_same_url_keeps_its_body(session: Session) -> None:
    ingestor = Ingestor(session, ClusterSettings())
    html = f"<html><head><title>Rates</title></head><body><article><p>{CUT}</p></article></body>"
    fetched = PageInput(
        url="https://one.example/boc", body=html.encode(), fetched_at=datetime.now(UTC)
    )
    ingestor.process(fetched)
    rows = list(backfill(ingestor, lines(RECORDS[:1])))
    page = session.scalars(select(Page).where(Page.url == fetched.url)).one()
    assert page.origin == "fetch" and page_body(page) == fetched.body
    assert rows[0]["story"] is not None


def test_reprocess_rebuilds_imported_articles_from_their_records(session: Session) -> None:
    store(session, lines(RECORDS))
    before = {a.url: a.text for a in session.scalars(select(Article))}
    summary = reprocess(session, ClusterSettings())
    assert summary.failed == 0
    assert {a.url: a.text for a in session.scalars(select(Article))} == before


def test_cluster_command_stores_only_when_asked(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join(lines(RECORDS)) + b"\n")
    database = tmp_path / "backfill.db"
    url = f"sqlite:///{database}"
    runner = CliRunner()
    out = tmp_path / "out.jsonl"
    args = ["--database", url, "cluster", "--input", str(source), "--output", str(out)]
    assert runner.invoke(cli, args, catch_exceptions=False).exit_code == 0
    assert not database.exists()
    assert runner.invoke(cli, [*args, "--store"], catch_exceptions=False).exit_code == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in rows] == ["a1", "a2", "a3", "q1"]
    assert database.exists()
    assert list(read_jsonl_lines(source)) == lines(RECORDS)
