"""Web benchmark: page latency under concurrent readers, and what the search index costs ingest.

Builds a database of N articles from the UCI headlines in ../shared/bench/clustering (titles,
outlets, days and gold stories; read that folder's README), each with a body cut from the
fixture articles so search has text to index. Headlines are replayed as often as needed to
reach N (a suffix keeps URLs unique). Then, with the app served by uvicorn in its own process:
front page, story page and search, each hit by 20 concurrent clients for 30 s. Usage::

    python -m bench.web --database sqlite:////tmp/bench-web.db --articles 200000
    python -m bench.web --database postgresql://postgres@127.0.0.1:5432/bench --articles 200000
    python -m bench.web --database sqlite:////tmp/ingest.db --ingest-only --articles 20000

The ingest run stores the same articles twice, into a database at head without its search
index and one with it, then replays the same real pages through the whole pipeline into each,
and reports the extra time the index costs both. Run it from the repository's root
(``python -m bench.web``) so that ``bench.pipeline`` can be imported.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import multiprocessing
import random
import re
import statistics
import time
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from alembic import command
from sqlalchemy import Engine, insert, text
from sqlalchemy.orm import Session

from aggregator.clean import clean_html
from aggregator.store.engine import alembic_config, connect, migrate
from aggregator.store.schema import Article, Base, Page, Story

REPO = Path(__file__).resolve().parents[1]
UCI = REPO / ".." / "shared" / "bench" / "clustering" / "uci-headlines-dev.jsonl.gz"
BATCH = 5_000
BODY_CHARS = 2_000


def bodies() -> list[str]:
    """Opening paragraphs of the fixture articles, to stand in for bodies."""
    texts = []
    for page in sorted((REPO / "fixtures" / "sites").rglob("*.html")):
        try:
            cleaned = clean_html(page.read_bytes(), url=page.resolve().as_uri())
        except Exception:
            continue
        texts.append(cleaned.text[:BODY_CHARS])
    return texts


def headlines() -> list[dict[str, Any]]:
    with gzip.open(UCI, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def rows(count: int) -> Iterator[tuple[int, dict[str, Any], str, int]]:
    """(number, headline record, body, replay round) until ``count`` articles."""
    texts, records = bodies(), headlines()
    for number in range(count):
        record = records[number % len(records)]
        yield number, record, texts[number % len(texts)], number // len(records)


def fill(engine: Engine, count: int) -> float:
    """Store ``count`` articles with their pages and stories; seconds spent inserting."""
    random.seed(7)
    stories: dict[tuple[str, int], int] = {}
    pages: list[dict[str, Any]] = []
    articles: list[dict[str, Any]] = []
    spent = 0.0
    with Session(engine) as session:
        next_page = (session.scalar(text("SELECT max(id) FROM pages")) or 0) + 1
        for number, record, body, round_ in rows(count):
            day = datetime.fromtimestamp(record["timestamp"] / 1000, UTC).replace(tzinfo=None)
            published = day + timedelta(days=30 * round_, seconds=random.randrange(86_400))
            story_key = (record["label"], round_)
            if story_key not in stories:
                story = Story(
                    title=record["title"],
                    first_seen=published,
                    last_updated=published,
                    article_count=0,
                )
                session.add(story)
                session.flush()
                stories[story_key] = story.id
            url = f"{record['url']}#{number}"  # the set repeats some URLs
            pages.append(
                {
                    "id": next_page,
                    "url": url,
                    "fetched_at": published,
                    "outcome": "article",
                    "origin": "import",
                    "body_size": 0,
                    "body": zlib.compress(b""),
                }
            )
            articles.append(
                {
                    "page_id": next_page,
                    "source_name": record["hostname"],
                    "url": url,
                    "title": record["title"],
                    "authors": "[]",
                    "published_at": published,
                    "first_seen": published,
                    "language": "en",
                    "text": body,
                    "content_hash": f"{next_page:064x}",
                    "simhash": 0,
                    "story_id": stories[story_key],
                    "removals": "[]",
                }
            )
            next_page += 1
            if len(articles) == BATCH:
                spent += _flush(session, pages, articles)
        spent += _flush(session, pages, articles)
        session.execute(
            text(
                "UPDATE stories SET article_count = (SELECT count(*) FROM articles "
                "WHERE articles.story_id = stories.id)"
            )
        )
        session.commit()
    return spent


def _flush(session: Session, pages: list[dict[str, Any]], articles: list[dict[str, Any]]) -> float:
    if not articles:
        return 0.0
    started = time.perf_counter()
    session.execute(insert(Page), pages)
    session.execute(insert(Article), articles)
    session.commit()
    pages.clear()
    articles.clear()
    return time.perf_counter() - started


def fresh(url: str, revision: str = "head") -> Engine:
    engine = connect(url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        else:
            Base.metadata.drop_all(connection)
            connection.execute(text("DROP TABLE IF EXISTS articles_fts"))
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
            connection.execute(text("DROP TABLE IF EXISTS story_redirects"))
    command.upgrade(alembic_config(engine), revision)
    return engine


def settle(engine: Engine) -> None:
    """On PostgreSQL, what autovacuum does some time after a bulk load: without statistics
    the planner took a word in a quarter of the articles for a rare one (a bitmap scan of
    30,000 pages instead of reading the newest ids backwards: 288 ms against 26), and index-only
    scans need the visibility map."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def ingest(url: str, count: int, pages: int) -> None:
    """What the search index costs: bare inserts, then ``aggregator replay`` of real pages.

    Both databases are at head; the one "without" has the search structures dropped, so
    the difference is the index and nothing else (0001 also lacked later indexes).
    """
    timings = {}
    for indexed in (False, True):
        engine = fresh(url)
        if not indexed:
            drop_search_index(engine)
        timings[indexed] = fill(engine, count)
        engine.dispose()
    per_article = (timings[True] - timings[False]) / count * 1000
    print(
        f"insert {count} articles: without index {timings[False]:.1f} s, "
        f"with index {timings[True]:.1f} s, overhead {timings[True] / timings[False] - 1:.0%} "
        f"({per_article:.2f} ms per article)"
    )
    if pages:
        replayed = pipeline_ingest(url, pages)
        print(
            f"replay {pages} pages: without index {replayed[False]:.1f} s, "
            f"with index {replayed[True]:.1f} s, "
            f"overhead {replayed[True] / replayed[False] - 1:.1%}; the insert cost per "
            f"article is {per_article / 1000 * pages / replayed[False]:.1%} of the replay's time "
            "(an upper bound: not every page becomes an article)"
        )


def drop_search_index(engine: Engine) -> None:
    """Remove the search structures of migration 0003 from a database at head."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE articles DROP COLUMN search_vector"))
            return
        for trigger in ("insert", "delete", "update"):
            connection.execute(text(f"DROP TRIGGER articles_fts_{trigger}"))
        connection.execute(text("DROP TABLE articles_fts"))


def pipeline_ingest(url: str, count: int) -> dict[bool, float]:
    """Seconds ``aggregator replay`` takes over the same real pages (../shared/bench/extraction:
    fetch-free, but extraction, storing and stories as in production), without and with the
    search index, alternating twice so that a busy moment of the machine hits both."""
    import tempfile

    from bench.pipeline import replay, write_pages

    seconds = {False: 0.0, True: 0.0}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_pages(folder, count)
        for indexed in (False, True, True, False):
            engine = fresh(url)
            if not indexed:
                drop_search_index(engine)
            engine.dispose()
            seconds[indexed] += replay(url, folder) / 2
    return seconds


def _serve(url: str, port: int, workers: int) -> None:
    from aggregator.web.app import make_app
    from aggregator.web.options import WebOptions
    from aggregator.web.server import serve_web

    engine = connect(url)
    serve_web(make_app(engine, WebOptions(time_limit=5.0)), "127.0.0.1", port, workers)


async def _load(base: str, paths: list[str], seconds: float, clients: int) -> list[float]:
    latencies: list[float] = []
    errors = 0
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:

        async def one_client(seed: int) -> None:
            nonlocal errors
            rng = random.Random(seed)
            while time.monotonic() < stop:
                started = time.perf_counter()
                response = await http.get(rng.choice(paths))
                latencies.append(time.perf_counter() - started)
                errors += response.status_code >= 400

        await asyncio.gather(*(one_client(n) for n in range(clients)))
    if errors:
        print(f"  {errors} responses were errors")
    return latencies


def latency(url: str, seconds: float, clients: int, workers: int) -> None:
    engine = connect(url)
    with engine.connect() as connection:
        story_ids = list(
            connection.execute(
                text("SELECT id FROM stories ORDER BY article_count DESC LIMIT 200")
            ).scalars()
        )
        titles = list(connection.execute(text("SELECT title FROM articles LIMIT 5000")).scalars())
    engine.dispose()
    words = sorted({w.lower() for t in titles for w in re.findall(r"[A-Za-z]{5,}", t)})
    random.seed(11)
    queries = random.sample(words, min(300, len(words)))
    port = 18_000 + random.randrange(1000)
    server = multiprocessing.Process(target=_serve, args=(url, port, workers))
    server.start()
    base = f"http://127.0.0.1:{port}"
    _wait(base)
    try:
        cases = {
            "front page": ["/", "/?page=2", "/?language=en"],
            "story page": [f"/stories/{story_id}" for story_id in story_ids],
            "search": [f"/search?q={q}" for q in queries],
        }
        for name, paths in cases.items():
            found = asyncio.run(_load(base, paths, seconds, clients))
            print(
                f"{name}: {len(found)} requests, p50 {_ms(found, 50)} ms, "
                f"p95 {_ms(found, 95)} ms, {len(found) / seconds:.0f} req/s"
            )
    finally:
        server.terminate()
        server.join()


def _wait(base: str) -> None:
    for _ in range(100):
        try:
            httpx.get(base + "/healthz", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def _ms(values: list[float], percentile: int) -> str:
    if len(values) < 2:
        return "-"
    return f"{statistics.quantiles(values, n=100)[percentile - 1] * 1000:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--articles", type=int, default=200_000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--ingest-only", action="store_true")
    parser.add_argument("--pages", type=int, default=500, help="pages replayed by --ingest-only")
    parser.add_argument("--reuse", action="store_true", help="skip building the database")
    args = parser.parse_args()
    if args.ingest_only:
        ingest(args.database, args.articles, args.pages)
        return
    if not args.reuse:
        engine = fresh(args.database)
        started = time.perf_counter()
        fill(engine, args.articles)
        migrate(engine)
        settle(engine)
        print(f"stored {args.articles} articles in {time.perf_counter() - started:.0f} s")
        engine.dispose()
    latency(args.database, args.seconds, args.clients, args.workers)


if __name__ == "__main__":
    main()
