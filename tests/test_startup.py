"""What the commands load: the light ones never pay for the crawler, the cleaner or Alembic.

Importing every stage up front cost each command two seconds before it started, --help
included (issue 14). Each check runs in a fresh interpreter, since this one has imported
everything already, and lists the modules loaded by the time the command exits.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest
from click.testing import CliRunner

from aggregator.cli import cli
from tests.support import REPO, article_expectations

CRAWLER = ("httpx", "aggregator.fetch")
CLEANER = ("trafilatura", "aggregator.clean")
MIGRATIONS = ("alembic",)
DAEMON = ("apscheduler", "aggregator.scheduler")
DATABASE = ("sqlalchemy", "aggregator.store")
# What a command that only reads the database has no use for.
NOT_FOR_READERS = CRAWLER + CLEANER + MIGRATIONS + DAEMON

# Writes the loaded modules to argv[1] at exit, after the command has run (it may sys.exit).
PROBE = """
import atexit, json, sys
out = sys.argv[1]
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
from aggregator.cli import main
sys.argv = ["aggregator", *sys.argv[2:]]
main()
"""


def _python(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGGREGATOR_")}
    # The same checkout pytest imports, not whichever one the interpreter has installed.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def _among(modules: Iterable[str], packages: Iterable[str]) -> list[str]:
    return sorted(
        name for name in modules for p in packages if name == p or name.startswith(p + ".")
    )


def _run_command(args: list[str], tmp_path: Path) -> tuple[str, set[str]]:
    listing = tmp_path / "modules.json"
    done = _python("-c", PROBE, str(listing), *args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return done.stdout, set(json.loads(listing.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, int]:
    """A SQLite database at the newest schema with a source and a story; and that story's id."""
    url = f"sqlite:///{tmp_path_factory.mktemp('startup') / 'aggregator.db'}"
    pages = [str(page) for page, _spec in article_expectations()[:2]]
    runner = CliRunner()
    for args in (
        ["replay", "--workers", "1", *pages],
        ["sources", "add", "example", "https://example.com/"],
    ):
        result = runner.invoke(cli, ["--database", url, *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["--database", url, "stories", "--json"])
    return url, json.loads(result.stdout)[0]["id"]


def test_importing_the_cli_loads_no_stage(tmp_path: Path) -> None:
    done = _python(
        "-c", "import json, sys, aggregator.cli; print(json.dumps(list(sys.modules)))", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    heavy = ("trafilatura", "httpx", "alembic", "apscheduler", *DATABASE, *CRAWLER, *CLEANER)
    assert _among(loaded, heavy) == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [(["--help"], "Usage: aggregator"), (["settings"], "fetch.timeout")],
    ids=["help", "settings"],
)
def test_help_and_settings_load_no_stage_and_no_database(
    args: list[str], expected: str, tmp_path: Path
) -> None:
    out, loaded = _run_command(args, tmp_path)
    assert expected in out
    assert _among(loaded, NOT_FOR_READERS + DATABASE) == []
    assert not (tmp_path / "aggregator.db").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["sources", "list"], "example"),
        (["stories", "--limit", "3"], "articles"),
        (["story", "{story}"], "story {story}:"),
        (["status"], "status: all is well"),
    ],
    ids=["sources-list", "stories", "story", "status"],
)
def test_database_readers_load_no_crawler_cleaner_or_alembic(
    args: list[str], expected: str, database: tuple[str, int], tmp_path: Path
) -> None:
    url, story = database
    out, loaded = _run_command(
        ["--database", url, *(arg.format(story=story) for arg in args)], tmp_path
    )
    assert expected.format(story=story) in out
    assert _among(loaded, NOT_FOR_READERS) == []


def test_clean_loads_no_database(tmp_path: Path) -> None:
    page, spec = article_expectations()[0]
    out, loaded = _run_command(["clean", str(page)], tmp_path)
    assert spec["title"] in out
    assert _among(loaded, DATABASE + MIGRATIONS + CRAWLER + DAEMON) == []
