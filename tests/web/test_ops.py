"""/healthz and /metrics: figures read from the database."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

from aggregator.store.queries import pending_work
from aggregator.store.schema import Fetch, Page, SourceRow
from aggregator.web.app import make_app
from tests.support import NOW, add_article
from tests.web.conftest import options


def samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_metrics_come_from_the_database(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(
            SourceRow(
                name="wire",
                homepage="https://wire.example/",
                created_at=NOW,
                last_success_at=NOW - timedelta(minutes=5),
            )
        )
        session.add(
            Fetch(url="https://wire.example/x", kind="page", started_at=NOW, error_kind="timeout")
        )
        session.add(
            Fetch(
                url="https://wire.example/y",
                kind="page",
                started_at=NOW - timedelta(hours=3),
                error_kind="timeout",
            )
        )
        session.add(Page(url="https://wire.example/p", fetched_at=NOW, outcome="pending"))
        add_article(session)
        session.commit()
    found = samples(TestClient(make_app(engine, options())))
    assert found[("aggregator_articles", ())] == 1
    assert found[("aggregator_stories", ())] == 0
    assert found[("aggregator_pages", (("outcome", "article"),))] == 1
    assert found[("aggregator_fetch_errors_last_hour", (("kind", "timeout"),))] == 1
    assert found[("aggregator_source_seconds_since_success", (("source", "wire"),))] == 300
    assert found[("aggregator_pending_work", (("stage", "extract"),))] == 1
    assert found[("aggregator_pending_work", (("stage", "stories"),))] == 1


def test_pending_work(session: Session) -> None:
    assert pending_work(session) == {"fetch": 0, "extract": 0, "stories": 0}
    add_article(session)
    assert pending_work(session) == {"fetch": 0, "extract": 0, "stories": 1}


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_healthz_reports_an_unreachable_database() -> None:
    broken = create_engine("sqlite:////nonexistent-dir/db.sqlite")
    client = TestClient(make_app(broken, options()))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable" and response.json()["reason"]
    assert client.get("/metrics").status_code == 503
    assert client.get("/").status_code == 503
