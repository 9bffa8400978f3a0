"""The commands as an operator runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from aggregator.cli import cli
from tests.support import FIXTURES, article_expectations


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_every_command_has_help() -> None:
    commands = ("replay", "clean", "stories", "story", "cluster", "settings", "db", "search", "web")
    for command in commands:
        code, out, _err = run(command, "--help")
        assert code == 0 and "Usage" in out


def test_replay_then_stories_and_story_json(database_url: str) -> None:
    code, out, _err = run("--database", database_url, "replay", str(FIXTURES))
    assert code == 0, out
    assert "failures: 0" in out
    code, out, _err = run("--database", database_url, "stories", "--json", "--limit", "50")
    stories = json.loads(out)
    assert {"id", "title", "first_seen", "last_updated", "articles"} <= set(stories[0])
    article = stories[0]["articles"][0]
    assert {"url", "title", "source", "published", "duplicate_of"} <= set(article)
    urls = {a["url"] for story in stories for a in story["articles"]}
    assert {spec["url"] for _page, spec in article_expectations()} <= urls
    code, out, _err = run("--database", database_url, "story", str(stories[0]["id"]), "--json")
    detail = json.loads(out)
    assert all(a["text"] for a in detail["articles"])


def test_second_replay_changes_nothing(database_url: str) -> None:
    run("--database", database_url, "replay", str(FIXTURES))
    code, out, _err = run("--database", database_url, "replay", str(FIXTURES))
    assert code == 0
    assert "articles: 0" in out and "failures: 0" in out


def test_replay_with_failures_exits_nonzero_and_goes_on(tmp_path: Path) -> None:
    (tmp_path / "blob.html").write_bytes(b"\x00\x01\x02" * 1000)
    page, _spec = article_expectations()[0]
    code, out, err = run(
        "--database",
        f"sqlite:///{tmp_path / 'a.db'}",
        "replay",
        str(tmp_path / "blob.html"),
        str(page),
    )
    assert code == 1
    assert "articles: 1" in out and "failures: 1" in out
    assert "blob.html" in err


def test_unreachable_database_is_one_line() -> None:
    code, _out, err = run(
        "--database", "postgresql://x@127.0.0.1:1/none?connect_timeout=2", "stories"
    )
    assert code == 2
    assert err.startswith("error: store: cannot open database")
    assert len(err.strip().splitlines()) == 1


def test_malformed_config_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[fetch]\ntimeout = 'soon'\n", encoding="utf-8")
    code, _out, err = run("--config", str(config), "stories")
    assert code == 2 and "fetch.timeout" in err


def test_missing_story_is_an_error(database_url: str) -> None:
    code, _out, err = run("--database", database_url, "story", "999")
    assert code == 1 and "no story 999" in err


def test_clean_jsonl_touches_no_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    pages = [page for page, _spec in article_expectations()[:3]]
    code, out, _err = run("clean", *map(str, pages), "--format", "jsonl")
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == 3
    for record in records:
        assert {"path", "url", "title", "authors", "published", "language", "text"} <= set(record)
    assert not (tmp_path / "aggregator.db").exists()


def test_clean_explain_names_rules() -> None:
    page, _spec = article_expectations()[0]
    code, out, _err = run("clean", str(page), "--explain")
    assert code == 0
    assert "removed (" in out and "[" in out


def test_clean_explain_shows_a_restored_lead(tmp_path: Path) -> None:
    lead = "The council approved the city budget on Tuesday after a debate that ran past midnight."
    body = "".join(
        f"<p>Paragraph {i} of the report says the budget adds money for buses, parks and the "
        f"libraries, and that property taxes rise by two per cent next year.</p>"
        for i in range(6)
    )
    page = tmp_path / "budget.html"
    page.write_text(
        "<html><head><title>Budget passes</title></head><body><article><h1>Budget passes</h1>"
        f'<div class="teaser-text"><p>{lead}</p></div><div class="entry-content">{body}</div>'
        "</article></body></html>",
        encoding="utf-8",
    )
    code, out, _err = run("clean", str(page), "--explain", "--format", "json")
    assert code == 0
    record = json.loads(out)
    assert record["restored"] == [lead]
    assert record["text"].startswith(lead)
    code, out, _err = run("clean", str(page), "--explain")
    assert "restored (1)" in out and "[restore:lead]" in out


def test_cluster_command_writes_one_line_per_input(tmp_path: Path) -> None:
    rows = [
        {
            "id": "a",
            "title": "Quake hits city",
            "text": "A strong earthquake hit the city.",
            "url": "",
            "source": "x",
            "timestamp": 1_700_000_000_000,
        },
        {
            "id": "b",
            "title": "Rates held",
            "text": "The central bank held rates.",
            "url": "",
            "source": "y",
            "timestamp": None,
        },
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    target = tmp_path / "out.jsonl"
    code, _out, _err = run("cluster", "--input", str(source), "--output", str(target))
    assert code == 0
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert [line["id"] for line in lines] == ["a", "b"]
    assert all({"id", "story", "duplicate_of"} <= set(line) for line in lines)


def test_settings_lists_every_key() -> None:
    code, out, _err = run("settings", "--json")
    assert code == 0
    names = {row["name"] for row in json.loads(out)}
    assert "fetch.per_host_delay" in names and "database.url" in names


def test_search_command_matches_the_api(database_url: str) -> None:
    code, _out, _err = run("--database", database_url, "replay", str(FIXTURES))
    assert code == 0
    code, out, _err = run("--database", database_url, "search", "rate", "--json", "--limit", "5")
    assert code == 0
    results = json.loads(out)
    assert results and all(hit["articles"][0]["snippet"] for hit in results)
    code, out, _err = run("--database", database_url, "search", "梅雨明け")
    assert code == 0 and "[梅雨]" in out
    code, _out, err = run("--database", database_url, "search", '"unbalanced')
    assert code == 2 and "quote" in err
    code, out, _err = run("--database", database_url, "search", "zzzznothing")
    assert code == 1 and "no results" in out


def test_web_refuses_a_public_address_without_public(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'db.sqlite'}"
    code, _out, err = run("--database", database, "web", "--host", "0.0.0.0")
    assert code == 2 and "--public" in err
    code, _out, err = run("--database", database, "web", "--host", "example.org", "--port", "1")
    assert code == 2 and "loopback" in err


def test_the_cli_names_the_roles_the_runner_runs() -> None:
    from aggregator import cli, runner

    assert cli.ROLES == runner.ROLES
