"""`aggregator fetch` and `aggregator run` against the loopback fixture site, as an operator
would run them: same stories as replay, conditional second cycles, faults survived and recorded,
a clean stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from aggregator.cli import cli
from aggregator.dedup.cluster import ClusterSettings
from aggregator.listings import find_listings, saved_listing_dates
from aggregator.pipeline import Ingestor
from aggregator.replay import find_pages, replay
from aggregator.store.engine import normalize_url, open_database
from aggregator.store.schema import Article, Fetch, Page, SourceRow, Story
from tests.daemon.conftest import FAULT_HOST, FAULT_PATHS, TlsSite
from tests.support import FIXTURES, REPO, article_expectations


def fetch(database_url: str, config: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli,
        ["--database", database_url, "--config", str(config), "fetch", *extra],
        catch_exceptions=False,
    )
    return result.exit_code, result.stdout + result.stderr


def grouping(database_url: str) -> set[frozenset[str]]:
    engine = create_engine(normalize_url(database_url))
    with Session(engine) as session:
        groups: dict[int | None, set[str]] = {}
        for url, story in session.execute(select(Article.url, Article.story_id)):
            groups.setdefault(story, set()).add(url)
    engine.dispose()
    return {frozenset(urls) for urls in groups.values()}


def copies(database_url: str) -> set[tuple[str, str]]:
    engine = create_engine(normalize_url(database_url))
    with Session(engine) as session:
        rows = session.execute(select(Article.url, Article.duplicate_of, Article.id)).all()
    engine.dispose()
    by_id = {row.id: row.url for row in rows}
    return {(row.url, by_id[row.duplicate_of]) for row in rows if row.duplicate_of}


def times(database_url: str) -> dict[str, datetime | None]:
    engine = create_engine(normalize_url(database_url))
    with Session(engine) as session:
        rows = session.execute(select(Article.url, Article.published_at)).all()
    engine.dispose()
    return {url: published for url, published in rows}


def replayed(tmp_path: Path, folder: Path = FIXTURES) -> str:
    """The fixtures replayed from disk, with the dates their saved listings give, as the
    ``replay`` command does."""
    url = f"sqlite:///{tmp_path / 'replay.db'}"
    engine = open_database(url)
    with Session(engine) as session:
        listed = saved_listing_dates(find_listings([folder]))
        replay(Ingestor(session, ClusterSettings()), find_pages([folder]), listed=listed)
    engine.dispose()
    return url


def test_fetch_builds_the_same_stories_as_replay(
    database_url: str, tls_site: TlsSite, tmp_path: Path
) -> None:
    code, out = fetch(database_url, tls_site.config(tmp_path / "a.toml"))
    assert code == 0, out
    expected_urls = {spec["url"] for _page, spec in article_expectations()}
    fetched = grouping(database_url)
    assert set().union(*fetched) == expected_urls
    reference = replayed(tmp_path)
    assert fetched == grouping(reference)
    assert copies(database_url) == copies(reference)
    assert times(database_url) == times(reference)


def test_fetch_and_replay_agree_when_half_the_pages_declare_no_date(
    database_url: str, half_undated_site: TlsSite, tmp_path: Path
) -> None:
    """A page without a date of its own takes its feed's or sitemap's, fetched or replayed
    (issue 12): the same times, the same stories."""
    code, out = fetch(database_url, half_undated_site.config(tmp_path / "a.toml"))
    assert code == 0, out
    reference = replayed(tmp_path, half_undated_site.server.root)
    assert grouping(database_url) == grouping(reference)
    assert copies(database_url) == copies(reference)
    fetched_times = times(database_url)
    assert fetched_times == times(reference)
    assert None not in fetched_times.values()  # every fixture page is listed with a date


@pytest.mark.parametrize("discovery", ["sitemaps", "homepage"])
def test_sitemaps_and_homepage_autodiscovery_find_every_article(
    database_url: str, tls_site: TlsSite, tmp_path: Path, discovery: str
) -> None:
    code, out = fetch(database_url, tls_site.config(tmp_path / "a.toml", discovery=discovery))
    assert code == 0, out
    expected_urls = {spec["url"] for _page, spec in article_expectations()}
    assert set().union(*grouping(database_url)) == expected_urls


def test_second_cycle_is_conditional_and_fetches_no_stored_article(
    database_url: str, tls_site: TlsSite, tmp_path: Path
) -> None:
    config = tls_site.config(tmp_path / "a.toml")
    assert fetch(database_url, config)[0] == 0
    tls_site.server.clear()
    code, out = fetch(database_url, config)
    assert code == 0, out
    requests = [r for r in tls_site.server.requests if r.host != FAULT_HOST]
    feeds = [r for r in requests if r.path == "/feed.xml"]
    assert feeds, "the second cycle must still poll the feeds"
    assert all(r.header("If-None-Match") or r.header("If-Modified-Since") for r in feeds)
    assert {r.path for r in requests} <= {"/feed.xml", "/robots.txt"}, "no article refetched"
    engine = create_engine(normalize_url(database_url))
    with Session(engine) as session:
        not_modified = session.scalar(
            select(func.count(Fetch.id)).where(Fetch.kind == "feed", Fetch.not_modified)
        )
    engine.dispose()
    assert not_modified == len(feeds)


def test_refetch_asks_again_and_changes_nothing(
    database_url: str, tls_site: TlsSite, tmp_path: Path
) -> None:
    config = tls_site.config(tmp_path / "a.toml")
    assert fetch(database_url, config)[0] == 0
    before = grouping(database_url)
    tls_site.server.clear()
    code, out = fetch(database_url, config, "--refetch")
    assert code == 0, out
    pages = {r.path for r in tls_site.server.requests if r.path.endswith(".html")}
    assert len(pages) == len(article_expectations())
    assert grouping(database_url) == before


def test_faults_are_recorded_and_survived(
    database_url: str, tls_site: TlsSite, tmp_path: Path
) -> None:
    started = time.monotonic()
    code, out = fetch(database_url, tls_site.config(tmp_path / "a.toml", faults=True))
    assert code == 0, out  # every source's feed was readable; page faults are per page
    assert time.monotonic() - started < 120
    engine = create_engine(normalize_url(database_url))
    with Session(engine) as session:
        logged = {
            url: (kind, message)
            for url, kind, message in session.execute(
                select(Fetch.url, Fetch.error_kind, Fetch.error_message).where(
                    Fetch.url.like(f"https://{FAULT_HOST}/%"), Fetch.kind == "page"
                )
            )
        }
        articles = session.scalar(select(func.count(Article.id)))
        failed_pages = session.scalar(select(func.count(Page.id)).where(Page.outcome == "failed"))
    engine.dispose()
    for path in FAULT_PATHS:
        assert f"https://{FAULT_HOST}{path}" in logged, f"{path} was not recorded"
    failures = {url: kind for url, (kind, _message) in logged.items() if kind}
    expected_failures = {
        "500": "http_status",
        "429": "http_status",
        "slow": "timeout",
        "huge": "too_large",
        "gzip-bomb": "too_large",
        "redirect-loop": "fetch",
        "robots-disallowed": "blocked",
        "missing-page": "http_status",
    }
    for fragment, kind in expected_failures.items():
        (url,) = [u for u in failures if fragment in u]
        assert failures[url] == kind, (url, failures[url])
    assert articles >= len(article_expectations()), "fixture sources still fully processed"
    assert failed_pages == 0  # what reached the pipeline (the mislabelled charset) was readable


def test_daemon_stops_cleanly_on_sigterm(
    database_url: str, tls_site: TlsSite, tmp_path: Path
) -> None:
    config = tls_site.config(tmp_path / "a.toml", workers=2)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    engine = open_database(database_url)  # migrated before the daemon starts: no race
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aggregator",
            "--database",
            database_url,
            "--config",
            str(config),
            "run",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and _count(engine, Article) == 0:
            assert process.poll() is None, process.communicate()[1].decode()
            time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err.decode()
        with Session(engine) as session:
            pages = session.scalar(
                select(func.count(Page.id)).where(Page.outcome.in_(("article", "duplicate")))
            )
            orphans = session.scalar(
                select(func.count(Article.id)).where(
                    Article.story_id.is_(None) | ~Article.story_id.in_(select(Story.id))
                )
            )
            sources = session.scalars(select(SourceRow)).all()
        assert _count(engine, Article) >= 1 and orphans == 0
        assert pages == _count(engine, Article)  # no page without its article, nor the reverse
        assert all(s.next_run_at is not None for s in sources if s.last_run_at is not None)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
        engine.dispose()


def _count(engine: object, model: type) -> int:
    with Session(engine) as session:  # type: ignore[call-overload]
        return int(session.scalar(select(func.count()).select_from(model)) or 0)
