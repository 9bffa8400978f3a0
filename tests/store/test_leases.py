"""Leases under real concurrency: processes racing for one lease never hold it together, and
an expired lease passes to another holder."""

from __future__ import annotations

import multiprocessing
import time
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from aggregator.store.engine import connect
from aggregator.store.leases import acquire, lease_holder, release, renew

RACERS = 4
RACE_SECONDS = 4.0


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _race(database_url: str, holder: str, out: str) -> None:
    """Take the lease whenever free, hold it a moment, give it back; log each holding."""
    engine = connect(database_url)
    held: list[str] = []
    end = time.time() + RACE_SECONDS
    while time.time() < end:
        with engine.begin() as connection:
            taken = acquire(connection, "race", holder, now=_now(), seconds=30)
        if not taken:
            time.sleep(0.005)
            continue
        start = time.time()
        time.sleep(0.02)
        stop = time.time()
        with engine.begin() as connection:
            release(connection, "race", holder)
        held.append(f"{start} {stop}\n")
    Path(out).write_text("".join(held))
    engine.dispose()


def test_a_lease_is_never_held_by_two_processes_at_once(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    context = multiprocessing.get_context("spawn")
    outs = [tmp_path / f"racer-{i}.txt" for i in range(RACERS)]
    racers = [
        context.Process(target=_race, args=(database_url, f"racer-{i}", str(outs[i])))
        for i in range(RACERS)
    ]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(timeout=60)
        assert racer.exitcode == 0
    spans = sorted(
        tuple(map(float, line.split())) for out in outs for line in out.read_text().splitlines()
    )
    assert len(spans) >= 10, "the racers hardly ever got the lease"
    assert sum(1 for out in outs if out.read_text()) >= 2, "only one racer ever held it"
    for (_start, stop), (next_start, _next_stop) in pairwise(spans):
        assert stop <= next_start, "two holders at once"


def test_an_expired_lease_passes_to_another_holder(engine: Engine) -> None:
    now = _now()
    with Session(engine) as session:
        assert acquire(session, "role", "a", now=now, seconds=5)
        assert not acquire(session, "role", "b", now=now + timedelta(seconds=4), seconds=5)
        assert renew(session, "role", "a", now=now + timedelta(seconds=4), seconds=5)
        assert not acquire(session, "role", "b", now=now + timedelta(seconds=8), seconds=5)
        assert acquire(session, "role", "b", now=now + timedelta(seconds=10), seconds=5)
        assert not renew(session, "role", "a", now=now + timedelta(seconds=10), seconds=5)
        assert lease_holder(session, "role", now=now + timedelta(seconds=11)) == "b"
        session.commit()


def test_a_replay_stops_while_another_process_builds_the_stories(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from aggregator.cli import cli
    from aggregator.work.stories import ROLE_LEASE
    from tests.support import FIXTURES

    with engine.begin() as connection:
        assert acquire(connection, ROLE_LEASE, "daemon-elsewhere", now=_now(), seconds=60)
    page = next(FIXTURES.rglob("*.html"))
    command = ["--database", database_url, "replay", str(page)]
    refused = CliRunner().invoke(cli, command)
    assert refused.exit_code == 2
    assert "daemon-elsewhere" in refused.stderr and "building this database's stories" in (
        refused.stderr
    )
    with engine.begin() as connection:
        release(connection, ROLE_LEASE, "daemon-elsewhere")
    assert CliRunner().invoke(cli, command).exit_code == 0
    with Session(engine) as session:  # the replay gave the role back when it ended
        assert lease_holder(session, ROLE_LEASE, now=_now()) is None
