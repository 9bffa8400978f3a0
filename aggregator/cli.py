"""Command line: builds Settings once, wires objects and prints; no logic of its own."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import asdict
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, cast

import click

from aggregator import output
from aggregator.errors import AggregatorError
from aggregator.models import CleanedArticle, SiteRules, Source
from aggregator.settings import (
    SETTINGS,
    SOURCE_KEYS,
    Settings,
    load_settings,
    parse_interval,
    setting_field_names,
)

# Each command imports the stages it uses when it runs: imported here, the crawler, the
# cleaner, SQLAlchemy and Alembic cost every command two seconds, --help included (issue 14).
# tests/test_startup.py checks what the light commands load.
if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from aggregator.cycle import CycleReport
    from aggregator.dedup.cluster import ClusterSettings
    from aggregator.fetch.options import FetchOptions
    from aggregator.pipeline import PageOutcome
    from aggregator.replay import ReplaySummary
    from aggregator.runner import RunOptions
    from aggregator.store.retention import RetentionPolicy
    from aggregator.web.options import WebOptions

__all__ = ["main"]

F = TypeVar("F", bound=Callable[..., Any])


def _fail_cleanly(func: F) -> F:
    """Our errors become one line on stderr and exit status 2, never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except AggregatorError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except Exception as exc:
            fault = _store_fault(exc)
            if fault is None:
                raise
            click.echo(f"error: {fault}", err=True)
            sys.exit(2)

    return cast(F, wrapper)


def _store_fault(exc: Exception) -> AggregatorError | None:
    """A locked SQLite file, a full disk or a dropped connection, named in one line."""
    if "sqlalchemy" not in sys.modules:  # no database was touched: not a database fault
        return None
    from aggregator.store.faults import store_fault

    return store_fault(exc)


def _settings(ctx: click.Context) -> Settings:
    return cast(Settings, ctx.obj)


def cluster_settings(settings: Settings) -> ClusterSettings:
    """The ``cluster.*`` settings, by name, onto the clustering stage's own settings."""
    from aggregator.dedup.cluster import ClusterSettings

    prefix = "cluster_"
    chosen = {
        name.removeprefix(prefix): getattr(settings, name)
        for name in setting_field_names()
        if name.startswith(prefix)
    }
    return ClusterSettings(**chosen)


def _story_role(engine: Engine) -> AbstractContextManager[None]:
    from aggregator.work.stories import holding_story_role

    return holding_story_role(engine)


@contextmanager
def _database(
    ctx: click.Context, *, writer: bool = False, stories: bool = False
) -> Iterator[tuple[Engine, Session]]:
    """The database, migrated; ``writer`` commands (long-running writers) also take SQLite's
    writer lock, so a second one stops with a clear message instead of deciding apart;
    ``stories`` commands build stories in their own process and hold the story role."""
    from sqlalchemy.orm import Session

    from aggregator.store.engine import open_database, sqlite_writer

    url = _settings(ctx).database_url
    with sqlite_writer(url) if writer else nullcontext():
        engine = open_database(url)
        try:
            with (
                _story_role(engine) if stories else nullcontext(),
                Session(engine, expire_on_commit=False) as session,
            ):
                yield engine, session
        finally:
            engine.dispose()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--database",
    "database_url",
    metavar="URL",
    help="SQLAlchemy database URL "
    "(default: AGGREGATOR_DATABASE_URL, the config file, then sqlite:///aggregator.db).",
)
@click.option(
    "--config",
    "config_path",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="TOML configuration file (default: AGGREGATOR_CONFIG).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.version_option(package_name="aggregator")
@click.pass_context
@_fail_cleanly
def cli(
    ctx: click.Context, database_url: str | None, config_path: str | None, verbose: int
) -> None:
    """Fetch news, clean it into articles and cluster coverage into stories."""
    import logging

    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # APScheduler logs every job run at INFO: the lease renewal alone would flood -v.
    logging.getLogger("apscheduler").setLevel(max(level, logging.WARNING))
    ctx.obj = load_settings(config_path, database_url=database_url)


@cli.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.pass_context
@_fail_cleanly
def db_upgrade(ctx: click.Context) -> None:
    """Create the database or migrate it to the newest schema."""
    from aggregator.store.engine import migrate

    with _database(ctx) as (engine, _session):
        migrate(engine)
    click.echo("database is up to date")


@db.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
@_fail_cleanly
def db_backup(ctx: click.Context, path: Path) -> None:
    """Copy a live SQLite database consistently to PATH (PostgreSQL: use pg_dump)."""
    from aggregator.store.backup import POSTGRES_BACKUP, backup_sqlite, sqlite_path

    url = _settings(ctx).database_url
    source = sqlite_path(url)
    if source is None:
        click.echo(POSTGRES_BACKUP, err=True)
        sys.exit(2)
    click.echo(backup_sqlite(source, path).instructions())


@cli.command("replay")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--workers",
    type=int,
    default=0,
    show_default=True,
    help="Extraction processes; 0 means one per CPU.",
)
@click.pass_context
@_fail_cleanly
def replay_command(ctx: click.Context, paths: tuple[Path, ...], workers: int) -> None:
    """Ingest saved HTML files or folders through the pipeline, without network.

    Feeds and sitemaps saved in the folders give their pages' dates, as when fetched."""
    from aggregator.listings import find_listings, saved_listing_dates
    from aggregator.pipeline import Ingestor
    from aggregator.replay import find_pages, replay

    files = find_pages(paths)
    listed = saved_listing_dates(find_listings(paths))
    with _database(ctx, writer=True, stories=True) as (_engine, session):
        ingestor = Ingestor(session, cluster_settings(_settings(ctx)))
        with _progress(len(files)) as advance:
            summary = replay(
                ingestor,
                files,
                workers=workers or os.cpu_count() or 1,
                on_page=advance,
                listed=listed,
            )
    _print_summary(summary)
    if summary.failed:
        sys.exit(1)


@contextmanager
def _progress(total: int) -> Iterator[Callable[[PageOutcome], None]]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda _outcome: None
        return
    columns = (TextColumn("replay"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("replay", total=total)
        yield lambda _outcome: progress.advance(task)


def _print_summary(summary: ReplaySummary) -> None:
    for failure in summary.failures:
        click.echo(f"failed: {failure.url}: {failure.error}", err=True)
    click.echo(
        f"pages: {summary.pages}  articles: {summary.articles}  "
        f"duplicates: {summary.duplicates}  unchanged: {summary.unchanged}  "
        f"skipped: {summary.skipped}  failures: {summary.failed}  stories: {summary.stories}"
    )


@cli.command("clean")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--url", help="The page's URL (resolves relative links, picks site rules).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "jsonl"]),
    default="text",
    show_default=True,
)
@click.option("--explain", is_flag=True, help="Also show each removal and the rule behind it.")
@click.pass_context
@_fail_cleanly
def clean_command(
    ctx: click.Context, paths: tuple[Path, ...], url: str | None, fmt: str, explain: bool
) -> None:
    """Print the cleaned article of each page; touches no database."""
    from aggregator.clean import clean_html
    from aggregator.pagefiles import find_pages

    failed = False
    for path in find_pages(paths):
        try:
            article = clean_html(path.read_bytes(), url=url or path.resolve().as_uri())
        except (AggregatorError, OSError) as exc:
            failed = True
            _print_clean_error(path, exc, fmt)
            continue
        _print_article(path, url, article, fmt, explain)
    if failed:
        sys.exit(1)


def _print_clean_error(path: Path, exc: Exception, fmt: str) -> None:
    if fmt == "text":
        click.echo(f"{path}: {exc}", err=True)
    else:
        click.echo(json.dumps({"path": str(path), "error": str(exc)}, ensure_ascii=False))


def _print_article(
    path: Path, url: str | None, article: CleanedArticle, fmt: str, explain: bool
) -> None:
    record = output.article_record(path, url, article, explain=explain)
    if fmt == "jsonl":
        click.echo(json.dumps(record, ensure_ascii=False))
    elif fmt == "json":
        click.echo(json.dumps(record, ensure_ascii=False, indent=2))
    else:
        click.echo(output.article_text(path, article, explain=explain))


@cli.command("stories")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.pass_context
@_fail_cleanly
def stories_command(ctx: click.Context, as_json: bool, limit: int) -> None:
    """List the latest stories and their coverage."""
    from rich.console import Console
    from rich.table import Table

    from aggregator.store.queries import latest_stories

    with _database(ctx) as (_engine, session):
        stories = latest_stories(session, limit)
    if as_json:
        click.echo(
            json.dumps([output.story_record(s) for s in stories], ensure_ascii=False, indent=2)
        )
        return
    table = Table("id", "updated", "articles", "sources", "title")
    for story in stories:
        sources = sorted({a.source for a in story.articles})
        table.add_row(
            str(story.id),
            f"{story.last_updated:%Y-%m-%d %H:%M}",
            str(story.article_count),
            ", ".join(sources),
            story.title,
        )
    Console().print(table)


@cli.command("story")
@click.argument("story_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON, article texts included.")
@click.pass_context
@_fail_cleanly
def story_command(ctx: click.Context, story_id: int, as_json: bool) -> None:
    """Show one story and all its coverage."""
    from aggregator.store.queries import story_detail

    with _database(ctx) as (_engine, session):
        story = story_detail(session, story_id)
    if story is None:
        click.echo(f"error: no story {story_id}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(
            json.dumps(output.story_record(story, with_text=True), ensure_ascii=False, indent=2)
        )
    else:
        click.echo(output.story_text(story))


@cli.command("cluster")
@click.option(
    "--input",
    "input_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSONL: id, title, text, url, source, timestamp (ms or null).",
)
@click.option(
    "--output",
    "output_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSONL: id, story, duplicate_of; one line per input line.",
)
@click.option(
    "--store",
    is_flag=True,
    help="Also store the articles in the database, clustered with what it holds (a backfill).",
)
@click.pass_context
@_fail_cleanly
def cluster_command(ctx: click.Context, input_path: Path, output_path: Path, store: bool) -> None:
    """Cluster articles into stories: offline, touching no database, unless --store."""
    from aggregator.dedup.offline import cluster_items, read_jsonl_items, read_jsonl_lines

    settings = cluster_settings(_settings(ctx))
    if store:
        from aggregator.backfill import backfill
        from aggregator.pipeline import Ingestor

        with _database(ctx, writer=True, stories=True) as (_engine, session):
            rows = backfill(Ingestor(session, settings), read_jsonl_lines(input_path))
            count = _write_rows(rows, output_path)
        click.echo(f"stored {count} lines; assignments in {output_path}", err=True)
        return
    count = _write_rows(cluster_items(read_jsonl_items(input_path), settings), output_path)
    click.echo(f"clustered {count} articles into {output_path}", err=True)


def _write_rows(rows: Iterable[dict[str, Any]], output_path: Path) -> int:
    count = 0
    with output_path.open("w", encoding="utf-8") as sink:
        for row in rows:
            sink.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


@cli.command("settings")
@click.option("--json", "as_json", is_flag=True)
def settings_command(as_json: bool) -> None:
    """List every configuration key with its default and meaning."""
    from rich.console import Console
    from rich.table import Table

    rows = [asdict(s) | {"table": "settings"} for s in SETTINGS]
    rows += [asdict(s) | {"table": "sources"} for s in SOURCE_KEYS]
    if as_json:
        click.echo(json.dumps(rows, default=list, indent=2))
        return
    table = Table("key", "default", "meaning")
    for row in rows:
        key = row["name"] if row["table"] == "settings" else f"[[sources]] {row['name']}"
        table.add_row(key, repr(row["default"]), row["help"])
    Console().print(table)


def fetch_options(settings: Settings) -> FetchOptions:
    from aggregator.fetch.options import FetchOptions

    return FetchOptions(
        user_agent=settings.fetch_user_agent,
        timeout=settings.fetch_timeout,
        connect_timeout=settings.fetch_connect_timeout,
        max_bytes=settings.fetch_max_bytes,
        max_redirects=settings.fetch_max_redirects,
        retries=settings.fetch_retries,
        per_host_delay=settings.fetch_per_host_delay,
        allow_private=settings.fetch_allow_private,
        resolve=settings.fetch_resolve,
        respect_robots=settings.fetch_respect_robots,
        ca_file=settings.fetch_ca_file or None,
        max_crawl_delay=settings.fetch_max_crawl_delay,
    )


def _site_rules(settings: Settings) -> dict[str, SiteRules]:
    return {config.source.name: config.rules for config in settings.sources}


def _mirror(session: Session, settings: Settings) -> None:
    """Sources in the configuration file are mirrored into the sources table."""
    from sqlalchemy.exc import IntegrityError

    from aggregator.store.sources import mirror_sources

    if settings.config_path is None:
        return
    configured = [(c.source, c.enabled) for c in settings.sources]
    for attempt in (1, 2):
        try:
            mirror_sources(session, configured, datetime.now(UTC).replace(tzinfo=None))
            session.commit()
            return
        except IntegrityError:
            # Another process starting from the same file mirrored a source first: its
            # row is there now, so a second look updates instead of inserting.
            session.rollback()
            if attempt == 2:
                raise


def _run_options(settings: Settings, *, refetch: bool = False) -> RunOptions:
    from aggregator.runner import IntervalPolicy, RunOptions

    return RunOptions(
        fetch=fetch_options(settings),
        cluster=cluster_settings(settings),
        rules=_site_rules(settings),
        workers=settings.schedule_workers or os.cpu_count() or 1,
        max_articles=settings.fetch_max_articles_per_cycle,
        refetch=refetch,
        policy=IntervalPolicy(settings.schedule_min_interval, settings.schedule_max_interval),
        lease_seconds=settings.schedule_lease_seconds,
        sources_at_once=settings.schedule_sources_at_once,
        poll_seconds=settings.schedule_poll_seconds,
        retention=retention_policy(settings),
    )


@cli.command("fetch")
@click.option(
    "--source",
    "names",
    multiple=True,
    metavar="NAME",
    help="Only this source (repeatable); default: every enabled source.",
)
@click.option("--refetch", is_flag=True, help="Fetch article URLs again even when stored.")
@click.pass_context
@_fail_cleanly
def fetch_command(ctx: click.Context, names: tuple[str, ...], refetch: bool) -> None:
    """Run one fetch cycle over the sources, clean and cluster what came, and exit (for cron).

    Safe beside a running daemon on PostgreSQL: sources, pages and the story stage are
    claimed through the database.
    """
    import asyncio

    settings = _settings(ctx)
    with _database(ctx, writer=True) as (engine, session):
        _mirror(session, settings)
        reports = asyncio.run(_fetch_once(engine, _run_options(settings, refetch=refetch), names))
    for report in reports:
        click.echo(output.cycle_line(report))
    if not reports:
        click.echo("no sources: add some with `aggregator sources add` or a config file", err=True)
    if any(report.discovery_failed for report in reports):
        sys.exit(1)


async def _fetch_once(
    engine: Engine, options: RunOptions, names: tuple[str, ...]
) -> list[CycleReport]:
    from aggregator.runner import Runner

    async with Runner(engine, options) as runner:
        return await runner.fetch_once(names)


# The daemon's roles; aggregator.runner.ROLES names them too (a test keeps both equal), but
# importing it would load the crawler into every command's start-up.
ROLES = ("fetch", "extract", "stories")


def _parse_roles(
    _ctx: click.Context, _param: click.Parameter, given: tuple[str, ...]
) -> tuple[str, ...]:
    chosen = [part.strip() for value in given for part in value.split(",") if part.strip()]
    unknown = sorted(set(chosen) - set(ROLES))
    if unknown:
        raise click.BadParameter(
            f"unknown role {', '.join(unknown)}; choose from {', '.join(ROLES)}"
        )
    return tuple(role for role in ROLES if role in chosen) or ROLES


@cli.command("run")
@click.option(
    "--role",
    "roles",
    multiple=True,
    callback=_parse_roles,
    metavar="ROLE",
    help="fetch, extract or stories (repeatable, or a comma list); default: all three.",
)
@click.pass_context
@_fail_cleanly
def run_command(ctx: click.Context, roles: tuple[str, ...]) -> None:
    """Run the daemon until SIGTERM or Ctrl-C: fetch due sources, clean pages, build stories.

    On PostgreSQL any number of `run` processes, on any machines, share the work; exactly
    one of them at a time holds the story stage.
    """
    import asyncio

    settings = _settings(ctx)
    with _database(ctx, writer=True) as (engine, session):
        _mirror(session, settings)
        asyncio.run(_serve(engine, _run_options(settings), roles))


async def _serve(engine: Engine, options: RunOptions, roles: tuple[str, ...]) -> None:
    from aggregator.runner import Runner
    from aggregator.scheduler import serve

    async with Runner(engine, options, roles=roles) as runner:
        await serve(runner)
    if runner.fatal is not None:  # stopped by a fault a restart alone cannot cure
        raise runner.fatal


@cli.command("reprocess")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
@_fail_cleanly
def reprocess_command(ctx: click.Context, yes: bool) -> None:
    """Rebuild every article and story from the stored pages (after a rule change)."""
    from aggregator.reprocess import reprocess

    if not yes:
        click.confirm("Rebuild all articles and stories from stored pages?", abort=True)
    settings = _settings(ctx)
    with _database(ctx, writer=True, stories=True) as (_engine, session):
        summary = reprocess(session, cluster_settings(settings), rules=_site_rules(settings))
    _print_summary(summary)
    if summary.without_body:
        click.echo(
            f"kept {summary.without_body} articles as they were: their raw pages are past "
            "retention.raw_days (they were given stories again)"
        )


def retention_policy(settings: Settings) -> RetentionPolicy:
    """The ``retention.*`` settings; articles younger than the story window stay, since the
    story stage still matches new articles against them."""
    from aggregator.errors import ConfigError
    from aggregator.store.retention import RetentionPolicy

    article_days = settings.retention_article_days
    if 0 < article_days < settings.cluster_window_days:
        raise ConfigError(
            f"retention.article_days must be 0 (keep) or at least cluster.window_days "
            f"({settings.cluster_window_days:g}), not {article_days:g}"
        )
    return RetentionPolicy(
        raw_days=settings.retention_raw_days,
        log_days=settings.retention_log_days,
        article_days=article_days,
    )


@cli.command("prune")
@click.option("--dry-run", is_flag=True, help="Count what would be dropped; change nothing.")
@click.pass_context
@_fail_cleanly
def prune_command(ctx: click.Context, dry_run: bool) -> None:
    """Drop what the retention settings no longer keep, then give SQLite's space back.

    The daemon does this daily by itself. On SQLite an older database (auto_vacuum off) is
    rewritten once with VACUUM, which needs as much free disk as the file takes.
    """
    from aggregator.store.retention import prune, prune_counts, reclaim

    policy = retention_policy(_settings(ctx))
    now = datetime.now(UTC).replace(tzinfo=None)
    with _database(ctx, writer=not dry_run) as (engine, session):
        if dry_run:
            counts = prune_counts(session, policy, now=now)
        else:
            counts = prune(session, policy, now=now)
            space = reclaim(engine, convert=True)
    for line in output.prune_lines(counts, policy, dry_run=dry_run):
        click.echo(line)
    if not dry_run:
        click.echo(f"space: {space}")


@cli.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@_fail_cleanly
def status_command(ctx: click.Context, as_json: bool) -> None:
    """Whether all is well: database, pending work, failing sources, processes and leases.

    Exit status 1 when something needs attention (a source failing for long, work waiting
    with no process for its stage, the database unreachable).
    """
    from aggregator.store.status import Thresholds, status

    settings = _settings(ctx)
    thresholds = Thresholds(settings.status_pending_minutes, settings.status_failing_hours)
    try:
        with _database(ctx) as (_engine, session):
            report = status(
                session, now=datetime.now(UTC).replace(tzinfo=None), thresholds=thresholds
            )
    except AggregatorError as exc:
        _unreachable(str(exc), as_json)
    except Exception as exc:
        fault = _store_fault(exc)
        if fault is None:
            raise
        _unreachable(str(fault), as_json)
    click.echo(
        json.dumps(output.status_record(report), indent=2)
        if as_json
        else output.status_text(report)
    )
    if report.problems:
        sys.exit(1)


def _unreachable(reason: str, as_json: bool) -> NoReturn:
    problem = f"database: {reason}"
    if as_json:
        click.echo(json.dumps({"ok": False, "problems": [problem]}, indent=2))
    else:
        click.echo(f"status: needs attention\n  ! {problem}")
    sys.exit(1)


@cli.group("sources")
def sources_group() -> None:
    """List, add and remove sources (the config file's sources are mirrored here)."""


@sources_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_fail_cleanly
def sources_list(ctx: click.Context, as_json: bool) -> None:
    """Each source with its health: last success, last error, next run."""
    from rich.console import Console
    from rich.table import Table

    from aggregator.store.sources import list_sources

    with _database(ctx) as (_engine, session):
        _mirror(session, _settings(ctx))
        rows = [output.source_record(row) for row in list_sources(session)]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table("name", "enabled", "interval", "last success", "next run", "last error")
    for row in rows:
        table.add_row(
            row["name"],
            "yes" if row["enabled"] else "no",
            f"{row['interval_seconds']:.0f}s",
            row["last_success_at"] or "-",
            row["next_run_at"] or "-",
            (row["last_error"] or "")[:60],
        )
    Console().print(table)


@sources_group.command("add")
@click.argument("name")
@click.argument("homepage")
@click.option("--feed", "feeds", multiple=True, help="Feed URL (repeatable).")
@click.option("--sitemap", "sitemaps", multiple=True, help="Sitemap URL (repeatable).")
@click.option("--interval", default="30m", show_default=True)
@click.option("--language")
@click.pass_context
@_fail_cleanly
def sources_add(
    ctx: click.Context,
    name: str,
    homepage: str,
    feeds: tuple[str, ...],
    sitemaps: tuple[str, ...],
    interval: str,
    language: str | None,
) -> None:
    """Add a source (or update the one with this name)."""
    from aggregator.store.sources import add_source

    source = Source(
        name=name,
        homepage=homepage,
        feeds=feeds,
        sitemaps=sitemaps,
        interval_seconds=parse_interval(interval),
        language=language,
    )
    with _database(ctx) as (_engine, session):
        add_source(session, source, datetime.now(UTC).replace(tzinfo=None))
        session.commit()
    click.echo(f"source {name} saved")


@sources_group.command("remove")
@click.argument("name")
@click.pass_context
@_fail_cleanly
def sources_remove(ctx: click.Context, name: str) -> None:
    """Remove a source; its pages and articles stay."""
    from aggregator.store.sources import remove_source

    with _database(ctx) as (_engine, session):
        removed = remove_source(session, name)
        session.commit()
    if not removed:
        click.echo(f"error: no source named {name}", err=True)
        sys.exit(1)
    click.echo(f"source {name} removed")


@cli.command("web")
@click.option("--host", default=None, help="Address to listen on (default: web.host, 127.0.0.1).")
@click.option("--port", default=None, type=click.IntRange(0, 65535), help="Default: web.port.")
@click.option(
    "--public", is_flag=True, default=None, help="Allow a non-loopback address (web.public)."
)
@click.option(
    "--workers", default=None, type=click.IntRange(1, 64), help="Processes (web.workers)."
)
@click.pass_context
@_fail_cleanly
def web_command(
    ctx: click.Context,
    host: str | None,
    port: int | None,
    public: bool | None,
    workers: int | None,
) -> None:
    """Serve the read-only web app: pages, search, Atom feeds, /api/v1, /healthz, /metrics."""
    from aggregator.store.engine import open_database
    from aggregator.web.app import make_app
    from aggregator.web.server import check_bind, serve_web

    settings = _settings(ctx)
    host = host or settings.web_host
    port = settings.web_port if port is None else port
    check_bind(host, public=bool(public or settings.web_public))
    engine = open_database(settings.database_url)
    engine.dispose()  # the workers open connections of their own
    click.echo(f"serving http://{host}:{port}/ (read-only); Ctrl-C stops", err=True)
    try:
        app = make_app(engine, web_options(settings))
        serve_web(app, host, port, workers or settings.web_workers)
    finally:
        engine.dispose()


def web_options(settings: Settings) -> WebOptions:
    from aggregator.web.options import WebOptions

    return WebOptions(
        time_limit=settings.web_time_limit,
        page_size=settings.web_page_size,
        front_page_days=settings.web_front_page_days,
        ranking_seconds=settings.web_ranking_seconds,
        story_page_size=settings.web_story_page_size,
    )


@cli.command("search")
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--limit", type=click.IntRange(min=1, max=200), default=20, show_default=True)
@click.pass_context
@_fail_cleanly
def search_command(ctx: click.Context, query: str, as_json: bool, limit: int) -> None:
    """Full-text search, ranked and grouped by story, as the web app's search page."""
    from aggregator.store.engine import open_database
    from aggregator.store.readonly import read_only_session
    from aggregator.store.search import search
    from aggregator.web.options import utc_now

    settings = _settings(ctx)
    engine = open_database(settings.database_url)
    try:
        with read_only_session(engine, settings.web_time_limit * 5) as session:
            found = search(session, query, now=utc_now(), limit=limit)
    finally:
        engine.dispose()
    if as_json:
        click.echo(json.dumps(output.search_records(found), ensure_ascii=False, indent=2))
    else:
        click.echo(output.search_text(found))
    if not found.results:
        sys.exit(1)


def main() -> None:
    cli(prog_name="aggregator")
