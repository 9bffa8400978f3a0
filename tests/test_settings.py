"""The settings table: parsing, clear errors, and documentation that cannot fall behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from aggregator.cli import cluster_settings
from aggregator.dedup.cluster import ClusterSettings
from aggregator.errors import ConfigError
from aggregator.settings import (
    DEFAULT_DATABASE_URL,
    SETTINGS,
    SOURCE_KEYS,
    load_settings,
    parse_interval,
    setting_field_names,
)
from tests.support import REPO


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "aggregator.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_defaults_without_file() -> None:
    settings = load_settings(environ={})
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.fetch_per_host_delay == 1.0
    assert settings.sources == ()


def test_every_setting_has_a_field_and_every_field_a_setting() -> None:
    assert {s.name.replace(".", "_") for s in SETTINGS} == setting_field_names()


@pytest.mark.parametrize("setting", [*SETTINGS, *SOURCE_KEYS], ids=lambda s: s.name)
def test_every_setting_is_documented_in_the_readme(setting: object) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"`{setting.name}`" in readme  # type: ignore[attr-defined]


def test_full_example(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[database]
url = "sqlite:///x.db"
[fetch]
user_agent = "test/1"
allow_private = ["127.0.0.1/32"]
per_host_delay = 0
timeout = 5
resolve = { "example.com" = "127.0.0.1:8080" }
[schedule]
min_interval = "1m"
[[sources]]
name = "example"
homepage = "https://example.com/"
feeds = ["https://example.com/rss.xml"]
interval = "2h"
drop = [".promo"]
""",
    )
    settings = load_settings(path, environ={})
    assert settings.database_url == "sqlite:///x.db"
    assert settings.fetch_allow_private == ("127.0.0.1/32",)
    assert settings.fetch_per_host_delay == 0.0
    assert settings.fetch_resolve == (("example.com", "127.0.0.1:8080"),)
    assert settings.schedule_min_interval == 60.0
    (source,) = settings.sources
    assert source.source.interval_seconds == 7200.0
    assert source.rules.drop == (".promo",)


def test_precedence_command_line_then_environment_then_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[database]\nurl = "sqlite:///file.db"\n')
    env = {"AGGREGATOR_DATABASE_URL": "sqlite:///env.db", "AGGREGATOR_CONFIG": path}
    assert load_settings(environ=env).database_url == "sqlite:///env.db"
    assert load_settings(database_url="sqlite:///cli.db", environ=env).database_url == (
        "sqlite:///cli.db"
    )
    assert load_settings(environ={"AGGREGATOR_CONFIG": path}).database_url == "sqlite:///file.db"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[fetch\n", "not valid TOML"),
        ("[fetch]\ntimeout = 'soon'\n", "fetch.timeout must be a non-negative number"),
        ("[fetch]\nspeed = 3\n", "unknown setting fetch.speed"),
        ("[fetch]\nrespect_robots = 1\n", "must be true or false"),
        ("[[sources]]\nhomepage = 'https://a/'\n", "name is required"),
        ("[[sources]]\nname = 'a'\nhomepage = 'https://a/'\ninterval = 'often'\n", "interval"),
        (
            "[[sources]]\nname='a'\nhomepage='https://a/'\n[[sources]]\nname='a'\nhomepage='h'\n",
            "used twice",
        ),
        ("[[sources]]\nname = 'a'\nhomepage = 'https://a/'\ncolour = 'red'\n", "unknown key"),
        ("fetch = 3\n", "must be a table"),
    ],
)
def test_malformed_config_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(write(tmp_path, text), environ={})


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(str(tmp_path / "nope.toml"), environ={})


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("30m", 1800), ("2h", 7200), ("1d", 86400), (45, 45), ("10", 10)],
)
def test_intervals(text: object, seconds: float) -> None:
    assert parse_interval(text) == seconds


def test_cluster_settings_match_the_clustering_stage_and_its_defaults() -> None:
    stage = ClusterSettings()
    for setting in SETTINGS:
        if setting.name.startswith("cluster."):
            field = setting.name.removeprefix("cluster.")
            assert getattr(stage, field) == setting.default, setting.name
    assert cluster_settings(load_settings(environ={})) == stage
