"""Settings: one table of every key (name, default, help) and the frozen values read from it.

This is the only module that reads the environment or the configuration file. ``cli`` builds one
``Settings`` at start-up and passes plain values down; no stage imports this module.

The configuration file is TOML. Scalar keys live in tables named by the part before the dot
(``fetch.timeout`` is ``timeout`` under ``[fetch]``); sources are ``[[sources]]`` entries whose keys
are documented in ``SOURCE_KEYS``.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from aggregator.errors import ConfigError
from aggregator.models import SiteRules, Source

__all__ = [
    "DEFAULT_DATABASE_URL",
    "SETTINGS",
    "SOURCE_KEYS",
    "Setting",
    "Settings",
    "SourceConfig",
    "load_settings",
    "parse_interval",
]

DEFAULT_DATABASE_URL = "sqlite:///aggregator.db"
DEFAULT_USER_AGENT = "aggregator/0.1 (+https://github.com/aggregator-news/aggregator)"
ENV_DATABASE_URL = "AGGREGATOR_DATABASE_URL"
ENV_CONFIG = "AGGREGATOR_CONFIG"


@dataclass(frozen=True, slots=True)
class Setting:
    """One documented configuration key."""

    name: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "database.url",
        DEFAULT_DATABASE_URL,
        "SQLAlchemy URL of the database; also --database and AGGREGATOR_DATABASE_URL",
    ),
    Setting(
        "fetch.user_agent",
        DEFAULT_USER_AGENT,
        "User-Agent sent with every request; name your deployment and a contact URL",
    ),
    Setting(
        "fetch.allow_private",
        (),
        "hosts or CIDRs exempt from the private/loopback/link-local address block",
    ),
    Setting("fetch.per_host_delay", 1.0, "seconds between two requests to the same host"),
    Setting("fetch.timeout", 20.0, "seconds one request may take in all"),
    Setting("fetch.connect_timeout", 10.0, "seconds to establish a connection"),
    Setting(
        "fetch.max_bytes", 15 * 1024 * 1024, "largest body accepted, counted after decompression"
    ),
    Setting("fetch.max_redirects", 5, "redirects followed before a fetch fails"),
    Setting("fetch.retries", 3, "retries on timeouts, 429 and 5xx, with exponential backoff"),
    Setting("fetch.respect_robots", True, "honour robots.txt rules and Crawl-delay"),
    Setting(
        "fetch.resolve", {}, 'host[:port] = "ip:port" pairs that bypass DNS, like curl --resolve'
    ),
    Setting(
        "fetch.max_crawl_delay",
        60.0,
        "longest robots.txt Crawl-delay honoured, in seconds; longer ones are capped",
    ),
    Setting(
        "fetch.ca_file",
        "",
        "PEM file of extra CA certificates to trust (an internal CA); never less checking",
    ),
    Setting(
        "fetch.max_articles_per_cycle",
        200,
        "new article URLs fetched per source and cycle; the rest wait for the next",
    ),
    Setting("schedule.min_interval", "5m", "shortest adaptive interval between runs of a source"),
    Setting("schedule.max_interval", "6h", "longest adaptive interval between runs of a source"),
    Setting("schedule.jitter", 0.1, "random share of the interval added to each run"),
    Setting("schedule.workers", 0, "extraction processes; 0 means one per CPU"),
    Setting(
        "schedule.lease_seconds",
        30.0,
        "seconds a process's claim on a source, page or the story role holds unless renewed; "
        "a killed process's work passes to another after this",
    ),
    Setting("schedule.sources_at_once", 8, "sources one fetch process works on at a time"),
    Setting(
        "schedule.poll_seconds",
        5.0,
        "longest pause between looks for new work when idle (PostgreSQL also wakes workers "
        "at once with LISTEN/NOTIFY)",
    ),
    Setting(
        "cluster.window_days",
        3.0,
        "days around an article's publication time in which it can join a story",
    ),
    Setting(
        "cluster.join_threshold",
        0.40,
        "minimum score for a full article to join a story as it arrives",
    ),
    Setting(
        "cluster.merge_threshold", 0.70, "centroid cosine at which two full-text stories merge"
    ),
    Setting("cluster.headline_threshold", 0.23, "minimum score for a bare headline to join"),
    Setting(
        "cluster.headline_merge_threshold",
        0.30,
        "headline-centroid cosine at which two headline-only stories merge",
    ),
    Setting(
        "cluster.fragment_size",
        3,
        "stories of at most this many articles are re-decided by the re-check",
    ),
    Setting(
        "cluster.fragment_threshold",
        0.25,
        "mean score at which a fragment of full articles folds into a story",
    ),
    Setting(
        "cluster.headline_fragment_threshold",
        0.23,
        "mean score at which a fragment of bare headlines folds into a story",
    ),
    Setting(
        "cluster.recheck_minutes",
        10.0,
        "minutes between re-checks (of wall time in the daemon, of article time in a stream)",
    ),
    Setting("cluster.near_duplicate_bits", 3, "SimHash bits two copies may differ by (at most 3)"),
    Setting(
        "cluster.near_duplicate_cosine",
        0.9,
        "body cosine above which a later article is a rewrite of an earlier one",
    ),
    Setting("cluster.time_scale_days", 0.5, "half-width in days of the time kernel around a story"),
    Setting(
        "retention.raw_days",
        90.0,
        "days a page's raw body is kept (for reprocess); then dropped, the article stays",
    ),
    Setting(
        "retention.log_days",
        30.0,
        "days failed and skipped pages and the fetch log are kept",
    ),
    Setting(
        "retention.article_days",
        0.0,
        "days after its last update a story is kept with its articles and pages; 0 keeps "
        "them forever, else at least cluster.window_days",
    ),
    Setting(
        "status.pending_minutes",
        15.0,
        "minutes work may wait with no live process for its stage before status complains",
    ),
    Setting(
        "status.failing_hours",
        24.0,
        "hours a source may keep failing before status complains",
    ),
    Setting("web.host", "127.0.0.1", "address `aggregator web` listens on; also --host"),
    Setting("web.port", 8080, "port `aggregator web` listens on; also --port"),
    Setting(
        "web.public",
        False,
        "allow `aggregator web` to listen on a non-loopback address; also --public",
    ),
    Setting(
        "web.workers",
        1,
        "processes `aggregator web` serves from (one uses one core at most); also --workers",
    ),
    Setting("web.time_limit", 2.0, "seconds one web request's database reads may take"),
    Setting("web.page_size", 30, "stories per page on the front page and in search results"),
    Setting(
        "web.front_page_days",
        3.0,
        "days of news (back from the newest article) the front page ranks",
    ),
    Setting(
        "web.ranking_seconds",
        10.0,
        "seconds a front-page ranking is reused before it is computed again; 0: every request",
    ),
    Setting(
        "web.story_page_size",
        50,
        "articles (with their syndicated copies) per page of a story's timeline",
    ),
)

SOURCE_KEYS: tuple[Setting, ...] = (
    Setting("name", None, "unique short name of the source (required)"),
    Setting("homepage", None, "the site's homepage URL (required)"),
    Setting("feeds", (), "RSS, Atom or JSON Feed URLs; empty: autodiscovery from the homepage"),
    Setting("sitemaps", (), "sitemap or sitemap index URLs, Google News sitemaps included"),
    Setting("interval", "30m", "how often the source is polled: 90s, 30m, 2h or seconds"),
    Setting("language", None, "ISO 639-1 language of the source, when pages do not declare it"),
    Setting("drop", (), "extra CSS selectors the cleaner removes on this source's host"),
    Setting("keep", (), "CSS selectors the cleaner must keep on this source's host"),
    Setting("enabled", True, "false pauses the source without deleting it"),
)


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """A source as configured, with its cleaning overrides."""

    source: Source
    rules: SiteRules
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting's value; field names are the setting names with dots as underscores."""

    database_url: str = DEFAULT_DATABASE_URL
    fetch_user_agent: str = DEFAULT_USER_AGENT
    fetch_allow_private: tuple[str, ...] = ()
    fetch_per_host_delay: float = 1.0
    fetch_timeout: float = 20.0
    fetch_connect_timeout: float = 10.0
    fetch_max_bytes: int = 15 * 1024 * 1024
    fetch_max_redirects: int = 5
    fetch_retries: int = 3
    fetch_respect_robots: bool = True
    fetch_resolve: tuple[tuple[str, str], ...] = ()
    fetch_max_crawl_delay: float = 60.0
    fetch_ca_file: str = ""
    fetch_max_articles_per_cycle: int = 200
    schedule_min_interval: float = 300.0
    schedule_max_interval: float = 21600.0
    schedule_jitter: float = 0.1
    schedule_workers: int = 0
    schedule_lease_seconds: float = 30.0
    schedule_sources_at_once: int = 8
    schedule_poll_seconds: float = 5.0
    cluster_window_days: float = 3.0
    cluster_join_threshold: float = 0.40
    cluster_merge_threshold: float = 0.70
    cluster_headline_threshold: float = 0.23
    cluster_headline_merge_threshold: float = 0.30
    cluster_fragment_size: int = 3
    cluster_fragment_threshold: float = 0.25
    cluster_headline_fragment_threshold: float = 0.23
    cluster_recheck_minutes: float = 10.0
    cluster_near_duplicate_bits: int = 3
    cluster_near_duplicate_cosine: float = 0.9
    cluster_time_scale_days: float = 0.5
    retention_raw_days: float = 90.0
    retention_log_days: float = 30.0
    retention_article_days: float = 0.0
    status_pending_minutes: float = 15.0
    status_failing_hours: float = 24.0
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    web_public: bool = False
    web_workers: int = 1
    web_time_limit: float = 2.0
    web_page_size: int = 30
    web_front_page_days: float = 3.0
    web_ranking_seconds: float = 10.0
    web_story_page_size: int = 50
    sources: tuple[SourceConfig, ...] = ()
    config_path: str | None = None


_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_interval(value: object, key: str = "interval") -> float:
    """Seconds in ``30m``, ``2h``, ``90s``, ``1d`` or a plain number."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    match = _INTERVAL.match(str(value))
    if not match or float(match.group(1)) <= 0:
        raise ConfigError(f"{key}: {value!r} is not an interval such as 90s, 30m or 2h")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def load_settings(
    config_path: str | None = None,
    *,
    database_url: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Read the configuration file (if any), then the environment, then explicit overrides."""
    env = os.environ if environ is None else environ
    path = config_path or env.get(ENV_CONFIG)
    document = _read_toml(path) if path else {}
    values = _scalar_values(document)
    url = database_url or env.get(ENV_DATABASE_URL) or values.pop("database_url", None)
    values.pop("database_url", None)
    sources = tuple(_source(entry, index) for index, entry in enumerate(_sources(document)))
    _check_unique_names(sources)
    return Settings(
        database_url=str(url or DEFAULT_DATABASE_URL),
        sources=sources,
        config_path=path,
        **values,
    )


def _read_toml(path: str) -> dict[str, Any]:
    try:
        with Path(path).open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(f"configuration file {path} does not exist") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read configuration file {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc


def _scalar_values(document: Mapping[str, Any]) -> dict[str, Any]:
    known = {setting.name: setting for setting in SETTINGS}
    values: dict[str, Any] = {}
    for table, body in document.items():
        if table == "sources":
            continue
        if not isinstance(body, dict):
            raise ConfigError(f"[{table}] must be a table of settings, not {type(body).__name__}")
        for key, raw in body.items():
            name = f"{table}.{key}"
            if name not in known:
                raise ConfigError(f"unknown setting {name}; `aggregator settings` lists them all")
            values[name.replace(".", "_")] = _coerce(known[name], raw)
    return values


def _coerce(setting: Setting, raw: Any) -> Any:
    default = setting.default
    if setting.name.startswith("schedule.") and setting.name.endswith("interval"):
        return parse_interval(raw, setting.name)
    if isinstance(default, bool):
        if not isinstance(raw, bool):
            raise ConfigError(f"{setting.name} must be true or false, not {raw!r}")
        return raw
    if isinstance(default, int | float):
        return _number(setting, raw, type(default))
    if isinstance(default, tuple):
        return _string_list(setting.name, raw)
    if isinstance(default, dict):
        if not isinstance(raw, dict):
            raise ConfigError(f'{setting.name} must be a table of host = "ip:port"')
        return tuple((str(key), str(value)) for key, value in raw.items())
    if not isinstance(raw, str):
        raise ConfigError(f"{setting.name} must be a string, not {raw!r}")
    return raw


def _number(setting: Setting, raw: Any, kind: type) -> float | int:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or raw < 0:
        raise ConfigError(f"{setting.name} must be a non-negative number, not {raw!r}")
    if kind is int and not isinstance(raw, int):
        raise ConfigError(f"{setting.name} must be a whole number, not {raw!r}")
    return kind(raw)  # type: ignore[no-any-return]


def _string_list(name: str, raw: Any) -> tuple[str, ...]:
    if isinstance(raw, str):
        return (raw,)
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise ConfigError(f"{name} must be a list of strings, not {raw!r}")
    return tuple(raw)


def _sources(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    entries = document.get("sources", [])
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise ConfigError("sources must be [[sources]] tables")
    return entries


def _source(entry: Mapping[str, Any], index: int) -> SourceConfig:
    known = {key.name for key in SOURCE_KEYS}
    unknown = sorted(set(entry) - known)
    label = f"sources[{index}]"
    if unknown:
        raise ConfigError(
            f"{label}: unknown key {unknown[0]}; known keys: {', '.join(sorted(known))}"
        )
    for required in ("name", "homepage"):
        if not isinstance(entry.get(required), str) or not entry[required].strip():
            raise ConfigError(f"{label}: {required} is required and must be a string")
    language = entry.get("language")
    source = Source(
        name=entry["name"].strip(),
        homepage=entry["homepage"].strip(),
        feeds=_string_list(f"{label}.feeds", entry.get("feeds", [])),
        sitemaps=_string_list(f"{label}.sitemaps", entry.get("sitemaps", [])),
        interval_seconds=parse_interval(entry.get("interval", "30m"), f"{label}.interval"),
        language=str(language) if language else None,
    )
    rules = SiteRules(
        drop=_string_list(f"{label}.drop", entry.get("drop", [])),
        keep=_string_list(f"{label}.keep", entry.get("keep", [])),
    )
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{label}.enabled must be true or false")
    return SourceConfig(source=source, rules=rules, enabled=enabled)


def _check_unique_names(sources: tuple[SourceConfig, ...]) -> None:
    seen: set[str] = set()
    for config in sources:
        if config.source.name in seen:
            raise ConfigError(f"source name {config.source.name!r} is used twice")
        seen.add(config.source.name)


def setting_field_names() -> set[str]:
    """Names of the Settings fields that come from the settings table."""
    return {f.name for f in fields(Settings)} - {"sources", "config_path"}
