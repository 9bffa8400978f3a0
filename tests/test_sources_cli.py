"""Operators who prefer commands to a config file."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from aggregator.cli import cli


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_add_list_remove(database_url: str) -> None:
    code, _out, _err = run(
        "--database",
        database_url,
        "sources",
        "add",
        "example",
        "https://example.com/",
        "--feed",
        "https://example.com/rss.xml",
        "--interval",
        "2h",
    )
    assert code == 0
    code, out, _err = run("--database", database_url, "sources", "list", "--json")
    (row,) = json.loads(out)
    assert row["name"] == "example" and row["feeds"] == ["https://example.com/rss.xml"]
    assert row["interval_seconds"] == 7200 and row["last_error"] is None
    assert {"last_success_at", "next_run_at", "consecutive_failures"} <= set(row)
    code, _out, _err = run("--database", database_url, "sources", "remove", "example")
    assert code == 0
    code, out, _err = run("--database", database_url, "sources", "list", "--json")
    assert json.loads(out) == []


def test_remove_unknown_source_fails(database_url: str) -> None:
    code, _out, err = run("--database", database_url, "sources", "remove", "nope")
    assert code == 1 and "no source named nope" in err


def test_config_sources_are_mirrored(tmp_path: Path) -> None:
    config = tmp_path / "a.toml"
    config.write_text(
        '[[sources]]\nname = "one"\nhomepage = "https://one.example/"\n'
        '[[sources]]\nname = "two"\nhomepage = "https://two.example/"\nenabled = false\n',
        encoding="utf-8",
    )
    database = f"sqlite:///{tmp_path / 'a.db'}"
    code, out, _err = run(
        "--database", database, "--config", str(config), "sources", "list", "--json"
    )
    assert code == 0
    rows = {row["name"]: row for row in json.loads(out)}
    assert set(rows) == {"one", "two"} and rows["two"]["enabled"] is False
    config.write_text(
        '[[sources]]\nname = "one"\nhomepage = "https://one.example/"\n', encoding="utf-8"
    )
    code, out, _err = run(
        "--database", database, "--config", str(config), "sources", "list", "--json"
    )
    assert [row["name"] for row in json.loads(out)] == ["one"]


def test_bad_interval_is_one_line(database_url: str) -> None:
    code, _out, err = run(
        "--database", database_url, "sources", "add", "x", "https://x/", "--interval", "often"
    )
    assert code == 2 and err.startswith("error: config:")
