"""End-to-end throughput of ``aggregator replay`` against a bare trafilatura loop, same pages.

Reads the pages of ../shared/bench/extraction (gzip HTML), writes them to a temporary folder,
then in one run measures:

* the baseline: ``trafilatura.extract`` over every page, one process;
* ``aggregator replay`` of the same folder into a fresh SQLite database, and into a fresh
  PostgreSQL schema when ``--postgres URL`` is given, each as a subprocess with default
  settings (so start-up, extraction pool and storing are all counted);
* the story stage alone: every stored article's story decided again from its stored features,
  timed per batch, giving the serial stage's cost per article;
* with ``--postgres``, 1, 2 and 3 ``aggregator run`` processes sharing one PostgreSQL schema
  against a loopback site (``--site-pages`` synthetic article pages over 8 outlets, served
  from a child process): seconds until every page is stored, cleaned and in a story, and
  whether any page was fetched twice.

Usage: python -m bench.pipeline [--limit N] [--postgres postgresql://postgres@127.0.0.1/test]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / ".." / "shared" / "bench" / "extraction"
#: Seconds the daemons get to start before the sources appear.
WARM_SECONDS = 8.0


def write_pages(folder: Path, limit: int) -> list[Path]:
    entries = json.loads((DATA / "evaldata.json").read_text())
    written = []
    for number, (_url, entry) in enumerate(sorted(entries.items())[:limit]):
        for where in ("eval", "cache"):
            source = DATA / where / f"{entry['file']}.gz"
            if source.exists():
                target = folder / f"{number:04d}.html"
                target.write_bytes(gzip.decompress(source.read_bytes()))
                written.append(target)
                break
    return written


def bare_trafilatura(pages: list[Path]) -> float:
    import trafilatura

    started = time.perf_counter()
    for page in pages:
        trafilatura.extract(page.read_bytes(), include_comments=False, include_tables=True)
    return time.perf_counter() - started


def children_cpu() -> float:
    """CPU seconds of every child process waited for so far (their own children included)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def replay(database_url: str, folder: Path) -> tuple[float, float]:
    """Wall and CPU seconds (process tree) of one `aggregator replay`."""
    started, cpu = time.perf_counter(), children_cpu()
    subprocess.run(
        [sys.executable, "-m", "aggregator", "--database", database_url, "replay", str(folder)],
        check=False,
        capture_output=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    return time.perf_counter() - started, children_cpu() - cpu


def extraction_ms(pages: list[Path]) -> float:
    """CPU milliseconds per page of the extraction stage's work, one process."""
    from aggregator.pipeline import PageInput, extract_and_pack

    inputs = [
        PageInput(url=p.as_uri(), body=p.read_bytes(), fetched_at=datetime.now(UTC), replayed=True)
        for p in pages
    ]
    started = time.process_time()
    for page in inputs:
        extract_and_pack(page)
    return (time.process_time() - started) * 1000 / len(inputs)


def story_stage_ms(database_url: str) -> list[float]:
    """Milliseconds per article of the story stage, per batch, deciding every stored article
    again from its stored features (stories cleared first, in a transaction rolled back)."""
    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from aggregator.assign import StoryAssigner
    from aggregator.dedup.cluster import ClusterSettings
    from aggregator.store.engine import open_database
    from aggregator.store.schema import Article

    engine = open_database(database_url)
    per_article = []
    with Session(engine, expire_on_commit=False) as session:
        session.execute(update(Article).values(story_id=None, duplicate_of=None))
        assigner = StoryAssigner(session, ClusterSettings())
        session.commit = session.flush  # type: ignore[method-assign]  # keep it undoable
        while True:
            started = time.perf_counter()
            done = assigner.assign_pending(100)
            if not done:
                break
            per_article.append((time.perf_counter() - started) * 1000 / len(done))
        session.rollback()
    engine.dispose()
    return per_article


def postgres_schema(url: str) -> tuple[str, str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from aggregator.store.engine import normalize_url

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalize_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    scoped = make_url(normalize_url(url)).update_query_dict({"options": f"-csearch_path={schema}"})
    return schema, scoped.render_as_string(hide_password=False)


def drop_schema(url: str, schema: str) -> None:
    from sqlalchemy import create_engine, text

    from aggregator.store.engine import normalize_url

    admin = create_engine(normalize_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def run_processes(count: int, postgres: str, site: Path, hosts: list[str], port: int) -> str:
    """Start ``count`` daemons on a fresh schema; time until all the site's work is done."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from aggregator.store.engine import open_database
    from aggregator.store.schema import Article, Fetch, Page

    expected = len(list(site.glob("*/news/*.html")))
    schema, url = postgres_schema(postgres)
    config = site.parent / f"run-{count}.toml"
    resolve = ", ".join(f'"{host}" = "127.0.0.1:{port}"' for host in hosts)
    lines = ["[fetch]", 'allow_private = ["127.0.0.1/32"]', "per_host_delay = 0"]
    lines += [f"resolve = {{ {resolve} }}", "max_articles_per_cycle = 100000"]
    lines += ["[schedule]", "poll_seconds = 0.5"]  # idle daemons notice new sources fast
    config.write_text("\n".join(lines) + "\n")
    engine = open_database(url)
    command = [sys.executable, "-m", "aggregator", "--database", url, "--config", str(config)]
    spawned, cpu = time.perf_counter(), children_cpu()
    daemons = [
        subprocess.Popen([*command, "run"], env=dict(os.environ, PYTHONPATH=str(REPO)))
        for _ in range(count)
    ]
    try:
        time.sleep(WARM_SECONDS)  # every daemon started and idle: what follows is the work
        started = time.perf_counter()
        add_sources(engine, hosts)
        while time.perf_counter() - started < 600:
            with Session(engine) as session:
                stored = session.scalar(select(func.count(Article.id))) or 0
                waiting = session.scalar(
                    select(func.count(Page.id)).where(Page.outcome == "pending")
                )
                orphans = session.scalar(
                    select(func.count(Article.id)).where(Article.story_id.is_(None))
                )
            if stored >= expected and not waiting and not orphans:
                break
            time.sleep(0.2)
        seconds = time.perf_counter() - started
        overall = time.perf_counter() - spawned
        with Session(engine) as session:
            twice = session.scalar(
                select(func.count()).select_from(
                    select(Fetch.url)
                    .where(Fetch.kind == "page")
                    .group_by(Fetch.url)
                    .having(func.count() > 1)
                    .subquery()
                )
            )
    finally:
        for daemon in daemons:
            daemon.terminate()
        for daemon in daemons:
            daemon.wait(timeout=60)
        used = children_cpu() - cpu
        engine.dispose()
        drop_schema(postgres, schema)
    return (
        f"{count} run process(es), PostgreSQL: {seconds:6.1f} s for {stored}/{expected} "
        f"articles ({stored / seconds:5.1f} pages/s; {overall:5.1f} s with start-up), "
        f"{used * 1000 / expected:5.1f} CPU ms/page in all, pages fetched twice: {twice}"
    )


def add_sources(engine: Engine, hosts: list[str]) -> None:
    from sqlalchemy.orm import Session

    from aggregator.models import Source
    from aggregator.store.sources import add_source

    now = datetime.now(UTC).replace(tzinfo=None)
    with Session(engine) as session:
        for host in hosts:
            feeds = (f"http://{host}/feed.xml",)
            add_source(session, Source(name=host, homepage=f"http://{host}/", feeds=feeds), now)
        session.commit()


def site_runs(postgres: str, pages: int, root: Path) -> None:
    import multiprocessing

    from bench.fetch import _serve, build_sites

    site = root / "site"
    site.mkdir()
    hosts = build_sites(site, 8, max(1, pages // 8))
    ports: multiprocessing.Queue[int] = multiprocessing.Queue()
    server = multiprocessing.Process(target=_serve, args=(str(site), ports), daemon=True)
    server.start()
    try:
        port = ports.get(timeout=30)
        for count in (1, 2, 3):
            print(run_processes(count, postgres, site, hosts, port), flush=True)
    finally:
        server.terminate()
        server.join(timeout=5)


def report(name: str, seconds: float, pages: int, baseline: float) -> None:
    print(
        f"{name:<28} {seconds:7.1f} s  {pages / seconds:6.1f} pages/s  "
        f"{baseline / seconds:4.2f}x the bare trafilatura loop"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=1000, help="pages to use")
    parser.add_argument("--postgres", help="PostgreSQL URL to replay into as well")
    parser.add_argument("--site-pages", type=int, default=400, help="loopback site size")
    parser.add_argument("--runs-only", action="store_true", help="only the run processes")
    args = parser.parse_args(argv)
    if args.runs_only and args.postgres:
        with tempfile.TemporaryDirectory() as tmp:
            site_runs(args.postgres, args.site_pages, Path(tmp))
        return 0
    if not DATA.exists():
        print(f"benchmark data not found at {DATA}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "pages"
        folder.mkdir()
        pages = write_pages(folder, args.limit)
        baseline = bare_trafilatura(pages)
        report("bare trafilatura loop", baseline, len(pages), baseline)
        sqlite_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        seconds, cpu = replay(sqlite_url, folder)
        report("replay, SQLite", seconds, len(pages), baseline)
        costs = story_stage_ms(sqlite_url)
        story = statistics.median(costs) if costs else 0.0
        extraction = extraction_ms(pages)
        total = cpu * 1000 / len(pages)
        print(
            f"CPU ms per page, replay on SQLite: {total:.1f} in all = extraction {extraction:.1f}"
            f" (worker processes) + story stage {story:.2f} (median of {len(costs)} batches of"
            f" 100) + storing, start-up and the rest {total - extraction - story:.1f}; "
            f"the bare trafilatura loop: {baseline * 1000 / len(pages):.1f}"
        )
        if args.postgres:
            schema, url = postgres_schema(args.postgres)
            try:
                seconds, cpu = replay(url, folder)
                report("replay, PostgreSQL", seconds, len(pages), baseline)
                print(f"CPU ms per page, replay on PostgreSQL: {cpu * 1000 / len(pages):.1f}")
            finally:
                drop_schema(args.postgres, schema)
            site_runs(args.postgres, args.site_pages, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
