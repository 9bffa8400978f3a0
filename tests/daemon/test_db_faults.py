"""The daemon against database faults, as a real process: its PostgreSQL connections killed
under it while it works through the fixture sites (pg_terminate_backend on its own backends
only, found by an application_name of its own: the server is shared)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from aggregator.cli import cli
from aggregator.store.engine import open_database
from aggregator.store.schema import Article, Fetch, Page, Story
from tests.daemon.conftest import TlsSite
from tests.daemon.test_workers import FAST, Daemons, _finished, _scalar, _wait, postgres_only
from tests.store.test_faults import capped_database, integrity
from tests.support import article_expectations


def _tagged(url: str, tag: str) -> str:
    return make_url(url).update_query_dict({"application_name": tag}).render_as_string(False)


def _kill_backends(engine: Engine, tag: str) -> int:
    with engine.connect() as connection:
        killed = connection.execute(
            text(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = :tag) AS done"
            ),
            {"tag": tag},
        ).scalar()
        connection.commit()
    return int(killed or 0)


def _story_counts_agree(engine: Engine) -> bool:
    """Each story's article_count is its distinct articles (copies count through originals)."""
    with Session(engine) as session:
        counted = dict(
            session.execute(
                select(Article.story_id, func.count(Article.id))
                .where(Article.duplicate_of.is_(None), Article.story_id.is_not(None))
                .group_by(Article.story_id)
            ).all()
        )
        stored = dict(session.execute(select(Story.id, Story.article_count)).all())
    return all(stored[story] == count for story, count in counted.items())


@postgres_only
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_daemon_rides_out_its_connections_being_killed(
    tls_site: TlsSite, database_url: str, tmp_path: Path
) -> None:
    tag = f"aggregator-test-{uuid.uuid4().hex[:10]}"
    daemon_url = _tagged(database_url, tag)
    config = tls_site.config(tmp_path / "site.toml", delay=0.3, schedule=FAST)
    open_database(database_url).dispose()
    group = Daemons(daemon_url, config, tmp_path)
    engine = open_database(database_url)
    expected = len(article_expectations())
    try:
        daemon = group.start()
        _wait(lambda: _scalar(engine, select(func.count(Page.id))) > 0, 60, "the first page")
        killed, rounds = 0, 0
        deadline = time.monotonic() + 150
        while not _finished(engine, expected) and time.monotonic() < deadline:
            time.sleep(0.3)
            if rounds < 20:  # in the thick of the work; then let it finish
                killed += _kill_backends(engine, tag)
                rounds += 1
        assert _finished(engine, expected), "the daemon did not finish the work"
        assert daemon.poll() is None, "the daemon exited"
        assert killed >= 1  # and the log below shows the daemon met the loss
        with Session(engine) as session:
            pages = session.scalar(select(func.count(Page.id)))
            urls = session.scalar(select(func.count(func.distinct(Page.url))))
            article_pages = session.scalar(select(func.count(func.distinct(Article.page_id))))
            articles = session.scalar(select(func.count(Article.id)))
            empty = session.scalar(
                select(func.count(Story.id)).where(
                    ~Story.id.in_(select(Article.story_id).where(Article.story_id.is_not(None)))
                )
            )
            fetched = session.execute(
                select(Fetch.url, func.count()).where(Fetch.kind == "page").group_by(Fetch.url)
            ).all()
        assert pages == urls and article_pages == articles
        assert empty == 0 and _story_counts_agree(engine)
        # A page is fetched again only when every try to store it failed.
        assert sum(count - 1 for _url, count in fetched) <= 3, fetched
        _kill_backends(engine, tag)  # once more, just before the stop
        time.sleep(0.5)
        group.stop_all()
        assert daemon.returncode == 0
        log = (tmp_path / "daemon-0.log").read_text(errors="replace")
        assert "Traceback" not in log, log[-4000:]
        assert "lost the database connection" in log
    finally:
        group.stop_all()
        engine.dispose()


def test_a_full_disk_stops_the_daemon_with_one_line_and_an_intact_database(
    tls_site: TlsSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = capped_database(monkeypatch, tmp_path / "full.db")
    config = tls_site.config(tmp_path / "site.toml", schedule={"poll_seconds": 0.2})
    args = ["--database", f"sqlite:///{path}", "--config", str(config), "run"]
    done = CliRunner().invoke(cli, args)  # stops by itself: nothing else would end it
    assert done.exit_code == 2, done.output
    assert done.stderr.startswith("error: store: the disk holding the database is full")
    assert "Traceback" not in done.output
    assert integrity(path) == ("ok", 0)
