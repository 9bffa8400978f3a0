"""Several `aggregator run` processes on one database, as real processes: the work is shared
through the database, a killed process's work is taken over, and SQLite refuses a second
writer with one clear line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from aggregator.store.engine import open_database
from aggregator.store.schema import Article, Fetch, Lease, Page, Story
from aggregator.work.stories import ROLE_LEASE
from tests.daemon.conftest import FAULT_HOST, TlsSite
from tests.daemon.test_fetch import fetch, grouping
from tests.support import FIXTURES, REPO, article_expectations

FAST = {"lease_seconds": 3, "poll_seconds": 0.5}
postgres_only = pytest.mark.skipif(
    not os.environ.get("AGGREGATOR_TEST_POSTGRES_URL"),
    reason="AGGREGATOR_TEST_POSTGRES_URL is not set",
)


class Daemons:
    """`aggregator run` processes started by a test, all killed at its end."""

    def __init__(self, database_url: str, config: Path, logs: Path) -> None:
        self.database_url = database_url
        self.config = config
        self.logs = logs
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"daemon-{len(self.processes)}.log").open("wb")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "aggregator",
                "--database",
                self.database_url,
                "--config",
                str(self.config),
                "-v",
                "run",
                *args,
            ],
            env=dict(os.environ, PYTHONPATH=str(REPO)),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def tracebacks(self) -> list[str]:
        found = []
        for path in sorted(self.logs.glob("daemon-*.log")):
            text = path.read_text(errors="replace")
            if "Traceback" in text:
                found.append(f"{path.name}:\n{text[-3000:]}")
        return found


@pytest.fixture
def daemons(database_url: str, tls_site: TlsSite, tmp_path: Path) -> Iterator[Daemons]:
    config = tls_site.config(tmp_path / "site.toml", delay=0.3, schedule=FAST)
    open_database(database_url).dispose()  # migrated once, before any daemon starts
    group = Daemons(database_url, config, tmp_path)
    try:
        yield group
    finally:
        group.stop_all()


def _scalar(engine: Engine, query: object) -> int:
    with Session(engine) as session:
        return int(session.scalar(query) or 0)  # type: ignore[call-overload]


def _finished(engine: Engine, expected: int) -> bool:
    """Every fixture article stored, no page left to clean, no article without a story."""
    articles = _scalar(engine, select(func.count(Article.id)))
    pending_pages = _scalar(engine, select(func.count(Page.id)).where(Page.outcome == "pending"))
    orphans = _scalar(engine, select(func.count(Article.id)).where(Article.story_id.is_(None)))
    return articles >= expected and pending_pages == 0 and orphans == 0


def _wait(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def bcubed_f1(found: set[frozenset[str]], reference: set[frozenset[str]]) -> float:
    """B-cubed F1 of one grouping of the same items against another (Bagga & Baldwin 1998)."""
    where = {item: group for group in reference for item in group}
    precision = recall = 0.0
    items = 0
    for group in found:
        for item in group:
            other = where[item]
            shared = len(group & other)
            precision += shared / len(group)
            recall += shared / len(other)
            items += 1
    precision, recall = precision / items, recall / items
    return 2 * precision * recall / (precision + recall)


def _story_holder_pid(engine: Engine) -> int | None:
    with Session(engine) as session:
        holder = session.scalar(select(Lease.holder).where(Lease.name == ROLE_LEASE))
    return int(holder.split(":")[1]) if holder else None


@postgres_only
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_three_daemons_share_the_work_and_survive_a_sigkill(
    daemons: Daemons, database_url: str, tls_site: TlsSite, tmp_path: Path
) -> None:
    expected = len(article_expectations())
    engine = open_database(database_url)
    try:
        first, _second, _third = (daemons.start() for _ in range(3))
        _wait(lambda: _scalar(engine, select(func.count(Page.id))) > 0, 60, "the first page")
        first.kill()  # SIGKILL mid-run: its leases and claims must pass to the others
        _wait(lambda: _finished(engine, expected), 120, "the others to finish the work")
        with Session(engine) as session:
            fetched = session.execute(
                select(Fetch.url, func.count()).where(Fetch.kind == "page").group_by(Fetch.url)
            ).all()
            empty = session.scalar(
                select(func.count(Story.id)).where(
                    ~Story.id.in_(select(Article.story_id).where(Article.story_id.is_not(None)))
                )
            )
        daemons.stop_all()  # a clean stop ends with the story stage's full re-check
        one_process = tmp_path / "one.toml"
        reference = f"sqlite:///{tmp_path / 'one.db'}"
        assert fetch(reference, tls_site.config(one_process, delay=0.3))[0] == 0
        assert bcubed_f1(grouping(database_url), grouping(reference)) >= 0.95
        twice = [url for url, count in fetched if count > 1]
        # Only pages in flight when the process died may be fetched again.
        assert len(twice) <= FAST["lease_seconds"] * 8, twice
        assert empty == 0
        daemons.stop_all()
        assert all(p.returncode in (0, -signal.SIGKILL) for p in daemons.processes)
        assert daemons.tracebacks() == []
    finally:
        engine.dispose()


@postgres_only
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_story_role_passes_to_another_process_when_its_holder_dies(
    daemons: Daemons, database_url: str
) -> None:
    expected = len(article_expectations())
    engine = open_database(database_url)
    try:
        candidates = {p.pid: p for p in (daemons.start("--role", "stories") for _ in range(2))}
        _wait(lambda: _story_holder_pid(engine) in candidates, 30, "a story role holder")
        leader = _story_holder_pid(engine)
        assert leader is not None
        candidates[leader].kill()
        daemons.start("--role", "fetch,extract")
        _wait(lambda: _finished(engine, expected), 120, "the other process to take over")
        assert _story_holder_pid(engine) not in (None, leader)
    finally:
        engine.dispose()


def test_a_second_writer_on_one_sqlite_file_stops_with_one_clear_line(
    tls_site: TlsSite, tmp_path: Path
) -> None:
    database_url = f"sqlite:///{tmp_path / 'one.db'}"
    open_database(database_url).dispose()
    group = Daemons(database_url, tls_site.config(tmp_path / "site.toml", schedule=FAST), tmp_path)
    try:
        group.start()
        time.sleep(3)  # the daemon holds the writer lock from its start
        second = _aggregator(database_url, "replay", str(FIXTURES), timeout=60)
        assert second.returncode == 2
        assert "another aggregator process is writing to" in second.stderr
        assert "Traceback" not in second.stderr
        group.stop_all()
        after = _aggregator(database_url, "replay", str(FIXTURES), timeout=300)
        assert after.returncode == 0, after.stderr  # the lock went with the daemon
    finally:
        group.stop_all()


def _aggregator(database_url: str, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """One `aggregator` command in a process of its own, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "aggregator", "--database", database_url, *args],
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _doubled(config: Path, hosts: tuple[str, ...]) -> Path:
    """The site's configuration with every outlet followed twice, under two names: two
    sources, maybe in two processes, that point at one host."""
    extra = [
        f'[[sources]]\nname = "{host}-again"\nhomepage = "https://{host}/"\n'
        f'feeds = ["https://{host}/feed.xml"]\ninterval = "1h"\n'
        for host in hosts
        if host != FAULT_HOST
    ]
    config.write_text(config.read_text() + "".join(extra))
    return config


@postgres_only
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_politeness_holds_across_processes_and_a_cron_fetch_beside_them_is_safe(
    database_url: str, tls_site: TlsSite, tmp_path: Path
) -> None:
    delay = 0.4
    config = _doubled(
        tls_site.config(tmp_path / "site.toml", delay=delay, schedule=FAST), tls_site.hosts
    )
    open_database(database_url).dispose()
    group = Daemons(database_url, config, tmp_path)
    engine = open_database(database_url)
    tls_site.server.clear()
    try:
        group.start()
        group.start()
        code, out = fetch(database_url, config)  # from cron, beside two daemons
        assert code == 0, out
        assert "Traceback" not in out
        _wait(lambda: _finished(engine, len(article_expectations())), 120, "the work")
        group.stop_all()
        assert group.tracebacks() == []
    finally:
        group.stop_all()
        engine.dispose()
    arrivals: dict[str, list[float]] = {}
    for request in tls_site.server.requests:
        arrivals.setdefault(request.host, []).append(request.at)
    for host, times in arrivals.items():
        gaps = [later - earlier for earlier, later in pairwise(sorted(times))]
        # One connection per host and its pause between requests, across three processes.
        # Arrival times are stamped by the test server's threads, which a loaded machine
        # schedules late now and then, so a gap may look shorter than it was; without the
        # shared pause, requests from two processes arrive together (a gap near zero).
        assert min(gaps, default=delay) >= delay * 0.5, (host, min(gaps))
    with Session(engine) as session:
        urls = session.scalars(select(Page.url)).all()
    assert len(urls) == len(set(urls))


def test_the_read_only_commands_work_beside_a_running_sqlite_daemon(
    tls_site: TlsSite, tmp_path: Path
) -> None:
    database_url = f"sqlite:///{tmp_path / 'one.db'}"
    open_database(database_url).dispose()
    group = Daemons(database_url, tls_site.config(tmp_path / "site.toml", schedule=FAST), tmp_path)
    try:
        group.start()
        engine = open_database(database_url)
        _wait(lambda: _scalar(engine, select(func.count(Story.id))) > 0, 60, "a story")
        engine.dispose()
        listed = _aggregator(database_url, "stories", "--json", timeout=60)
        assert listed.returncode == 0, listed.stderr
        assert listed.stdout.lstrip().startswith("[")
    finally:
        group.stop_all()
