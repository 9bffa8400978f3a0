"""`aggregator status`: all is well on a quiet database; a long-failing source, work waiting
with nobody to do it, or an unreachable database make it say so and exit 1."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner, Result
from sqlalchemy import update
from sqlalchemy.orm import Session

from aggregator.cli import cli
from aggregator.store.engine import open_database
from aggregator.store.pages import PageRecord, save_page
from aggregator.store.schema import SourceRow
from aggregator.store.workers import announce, live_workers, retire
from tests.support import article_expectations


def _status(database_url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--database", database_url, "status", *args])


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def test_a_quiet_database_is_well(database_url: str) -> None:
    pages = [str(page) for page, _spec in article_expectations()[:2]]
    assert CliRunner().invoke(cli, ["--database", database_url, "replay", *pages]).exit_code == 0
    result = _status(database_url)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("status: all is well")
    assert "rows: " in result.output and "pending: fetch 0" in result.output
    record = json.loads(_status(database_url, "--json").output)
    assert record["ok"] is True and record["rows"]["articles"] == 2
    assert record["pending"]["stories"]["count"] == 0


def test_failing_sources_and_unattended_work_need_attention(database_url: str) -> None:
    runner = CliRunner()
    args = ["--database", database_url, "sources", "add", "broken", "https://broken.example/"]
    assert runner.invoke(cli, args).exit_code == 0
    engine = open_database(database_url)
    long_ago = _now() - timedelta(days=2)
    try:
        with Session(engine) as session:
            session.execute(
                update(SourceRow).values(
                    consecutive_failures=9,
                    created_at=long_ago,
                    last_error="fetch: HTTP 503",
                    next_run_at=_now() + timedelta(hours=1),
                )
            )
            record = PageRecord(
                url="https://a.example/1", body=b"<p>x", fetched_at=long_ago, outcome="pending"
            )
            save_page(session, record)
            session.commit()
        result = _status(database_url)
        assert result.exit_code == 1
        assert "source broken failing since" in result.output
        assert "extract: 1 waiting since" in result.output
        with engine.begin() as connection:  # an extractor is running: it is only busy
            announce(connection, "host:1:abc", ("extract",), now=_now(), seconds=60)
        with engine.connect() as connection:
            assert live_workers(connection, now=_now()) == {"extract": ["host:1:abc"]}
        record = json.loads(_status(database_url, "--json").output)
        assert [p for p in record["problems"] if p.startswith("extract")] == []
        assert record["failing_sources"][0]["name"] == "broken"
        assert any(lease["name"].startswith("worker:extract:") for lease in record["leases"])
        with engine.begin() as connection:
            retire(connection, "host:1:abc", ("extract",))
        assert "extract: 1 waiting" in _status(database_url).output
    finally:
        engine.dispose()


def test_an_unreachable_database_needs_attention() -> None:
    result = _status("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
    assert result.exit_code == 1
    assert result.output.startswith("status: needs attention\n  ! database: store: cannot open")
