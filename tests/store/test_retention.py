"""Retention: old raw bodies, failed and skipped pages, the fetch log and (when asked) old
stories go; pending pages and articles stay; SQLite gives the space back."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from aggregator.cli import cli
from aggregator.dedup.cluster import ClusterSettings
from aggregator.fetch.options import FetchOptions
from aggregator.pipeline import Ingestor
from aggregator.replay import find_pages, replay
from aggregator.reprocess import reprocess
from aggregator.runner import Runner, RunOptions
from aggregator.store.fetches import FetchRecord, record_fetch
from aggregator.store.pages import PageRecord, save_page
from aggregator.store.retention import PruneCounts, RetentionPolicy, prune, prune_counts
from aggregator.store.schema import Article, Fetch, Page, Story
from tests.support import FIXTURES

NOW = datetime(2027, 6, 1)
LONG_AGO = NOW - timedelta(days=400)


def _page(session: Session, url: str, outcome: str, when: datetime) -> None:
    save_page(session, PageRecord(url=url, body=b"<p>x</p>", fetched_at=when, outcome=outcome))


def _aged_database(session: Session) -> None:
    """The fixtures replayed long ago, plus pages and fetches old and new of every kind."""
    replay(Ingestor(session, ClusterSettings()), find_pages([FIXTURES]))
    session.execute(update(Page).values(fetched_at=LONG_AGO))
    session.execute(update(Story).values(last_updated=LONG_AGO))
    for outcome in ("failed", "skipped", "pending"):
        _page(session, f"https://old.example/{outcome}", outcome, LONG_AGO)
        _page(session, f"https://new.example/{outcome}", outcome, NOW)
    for when in (LONG_AGO, NOW):
        record_fetch(session, FetchRecord(url="https://x.example/", kind="feed", started_at=when))
    session.commit()


def _count(session: Session, *where: object) -> int:
    return session.scalar(select(func.count()).select_from(Page).where(*where)) or 0  # type: ignore[arg-type]


def test_prune_drops_what_retention_lets_go_and_nothing_else(session: Session) -> None:
    _aged_database(session)
    articles = session.scalar(select(func.count(Article.id)))
    logged = ("failed", "skipped")
    old_logged = _count(session, Page.outcome.in_(logged), Page.fetched_at < NOW)
    kept_pages = _count(session) - old_logged
    with_body = _count(session, Page.outcome != "pending", Page.fetched_at < NOW)
    policy = RetentionPolicy()
    planned = prune_counts(session, policy, now=NOW)
    assert (planned.pages, planned.fetches, planned.stories) == (old_logged, 1, 0)
    assert planned.bodies == with_body
    assert prune(session, policy, now=NOW) == planned
    assert session.scalar(select(func.count(Article.id))) == articles
    assert _count(session) == kept_pages
    assert _count(session, Page.outcome == "pending") == 2  # work is never pruned
    assert _count(session, Page.body.is_(None), Page.outcome == "pending") == 0
    assert _count(session, Page.body.is_not(None), Page.outcome != "pending") == 2  # the new
    assert _count(session, Page.body.is_(None), Page.body_size == 0) == 0
    assert session.scalar(select(func.count(Fetch.id))) == 1
    assert prune(session, policy, now=NOW) == PruneCounts()


def test_article_days_drops_old_stories_with_their_articles_and_pages(session: Session) -> None:
    _aged_database(session)
    newest = session.scalars(select(Story.id).order_by(Story.id.desc()).limit(1)).one()
    session.execute(update(Story).where(Story.id == newest).values(last_updated=NOW))
    kept = session.scalar(select(func.count(Article.id)).where(Article.story_id == newest))
    stories = session.scalar(select(func.count(Story.id)))
    counts = prune(session, RetentionPolicy(article_days=365), now=NOW)
    assert counts.stories == stories - 1
    assert session.scalar(select(Story.id)) == newest
    assert session.scalar(select(func.count(Article.id))) == kept
    assert _count(session, Page.outcome.in_(("article", "duplicate"))) == kept
    assert _count(session, Page.outcome == "pending") == 2


def test_reprocess_keeps_articles_whose_raw_body_is_gone(session: Session) -> None:
    replay(Ingestor(session, ClusterSettings()), find_pages([FIXTURES]))
    articles = session.scalar(select(func.count(Article.id)))
    half = list(session.scalars(select(Article.page_id).order_by(Article.id).limit(3)))
    session.execute(update(Page).where(Page.id.in_(half)).values(body=None))
    session.commit()
    summary = reprocess(session, ClusterSettings())
    assert summary.without_body == 3
    assert session.scalar(select(func.count(Article.id))) == articles
    orphans = select(func.count(Article.id)).where(Article.story_id.is_(None))
    assert session.scalar(orphans) == 0


def test_prune_command_shrinks_the_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    url = f"sqlite:///{path}"
    config = tmp_path / "retention.toml"
    config.write_text("[retention]\nraw_days = 0\n", encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(cli, ["--database", url, "replay", str(FIXTURES)]).exit_code == 0
    with sqlite3.connect(path) as connection:  # an older database: auto_vacuum off
        connection.execute("PRAGMA auto_vacuum = NONE")
        connection.execute("VACUUM")
    before = path.stat().st_size
    args = ["--database", url, "--config", str(config), "prune"]
    dry = runner.invoke(cli, [*args, "--dry-run"])
    assert dry.exit_code == 0 and "would drop:" in dry.output
    done = runner.invoke(cli, args)
    assert done.exit_code == 0, done.output
    assert "space: VACUUM" in done.output
    assert path.stat().st_size < before
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA auto_vacuum").fetchone()[0] == 2  # incremental now
        assert (
            connection.execute("SELECT count(*) FROM pages WHERE body IS NOT NULL").fetchone()[0]
            == 0
        )
    again = runner.invoke(cli, args)
    assert "space: incremental vacuum" in again.output


def test_article_days_shorter_than_the_story_window_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "retention.toml"
    config.write_text("[retention]\narticle_days = 1\n", encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'a.db'}"
    result = CliRunner().invoke(cli, ["--database", url, "--config", str(config), "prune"])
    assert result.exit_code == 2
    assert "retention.article_days must be 0 (keep) or at least cluster.window_days" in (
        result.stderr
    )


def test_the_daemon_prunes_once_a_day_across_processes(engine: Engine) -> None:
    def runner() -> Runner:
        options = RunOptions(fetch=FetchOptions(), cluster=ClusterSettings())
        return Runner(engine, options, roles=(), clock=lambda: NOW.replace(tzinfo=UTC))

    first, second = runner(), runner()
    assert asyncio.run(first.prune()) == PruneCounts()
    assert asyncio.run(second.prune()) is None  # another process pruned within the day
    assert asyncio.run(first.prune()) is None
