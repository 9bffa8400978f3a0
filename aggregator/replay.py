"""Replay saved pages from disk through the same pipeline the fetchers use."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aggregator.pagefiles import find_pages
from aggregator.pipeline import (
    Extraction,
    Ingestor,
    PageInput,
    PageOutcome,
    extract_page,
    publication_order,
)
from aggregator.store.pages import body_digest, find_page, has_body

__all__ = [
    "BATCH",
    "ReplaySummary",
    "find_pages",
    "page_from_file",
    "replay",
    "store_in_order",
    "summarise",
]

# Below this many pages a worker pool costs more than it saves.
POOL_THRESHOLD = 16
# Files read, cleaned and ordered at a time: bounds memory on large replays.
BATCH = 2000


@dataclass(frozen=True, slots=True)
class ReplaySummary:
    pages: int
    articles: int
    duplicates: int
    unchanged: int
    skipped: int
    failed: int
    stories: int
    failures: tuple[PageOutcome, ...]


def page_from_file(path: Path, fetched_at: datetime | None = None) -> PageInput:
    return PageInput(
        url=path.resolve().as_uri(),
        body=path.read_bytes(),
        fetched_at=fetched_at or datetime.now(UTC),
        replayed=True,
    )


def _extract_all(
    pages: list[PageInput], pool: ProcessPoolExecutor | None
) -> list[tuple[PageInput, Extraction]]:
    if pool is None or len(pages) < POOL_THRESHOLD:
        return [(page, extract_page(page)) for page in pages]
    return list(zip(pages, pool.map(extract_page, pages, chunksize=4), strict=True))


def replay(
    ingestor: Ingestor,
    paths: list[Path],
    *,
    workers: int = 1,
    on_page: Callable[[PageOutcome], None] | None = None,
) -> ReplaySummary:
    """Ingest saved files; unreadable files become failed pages, never an exception.

    Files are read and cleaned a batch at a time, and each batch is stored in publication
    order, so online clustering sees the stories unfold as a live feed would have shown them.
    The replay ends with the re-check the daemon runs periodically.
    """
    outcomes: list[PageOutcome] = []
    pool = ProcessPoolExecutor(max_workers=workers) if workers > 1 else None
    try:
        for start in range(0, len(paths), BATCH):
            outcomes.extend(_replay_batch(ingestor, paths[start : start + BATCH], pool, on_page))
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    ingestor.recheck()
    return summarise(outcomes)


def _replay_batch(
    ingestor: Ingestor,
    paths: list[Path],
    pool: ProcessPoolExecutor | None,
    on_page: Callable[[PageOutcome], None] | None,
) -> list[PageOutcome]:
    pages: list[PageInput] = []
    outcomes = [outcome for path in paths if (outcome := _read(path, pages)) is not None]
    fresh: list[PageInput] = []
    for page in pages:
        if _unchanged(ingestor, page):
            outcomes.append(PageOutcome(url=page.url, outcome="unchanged"))
        else:
            fresh.append(page)
    outcomes.extend(store_in_order(ingestor, _extract_all(fresh, pool), on_page=on_page))
    return outcomes


def store_in_order(
    ingestor: Ingestor,
    pairs: list[tuple[PageInput, Extraction]],
    *,
    force: bool = False,
    on_page: Callable[[PageOutcome], None] | None = None,
) -> list[PageOutcome]:
    """Store cleaned pages oldest article first (see ``publication_order``)."""
    outcomes = []
    for page, extraction in sorted(pairs, key=lambda pair: publication_order(pair[1])):
        outcome = ingestor.store(page, extraction, force=force)
        outcomes.append(outcome)
        if on_page:
            on_page(outcome)
    return outcomes


def _read(path: Path, pages: list[PageInput]) -> PageOutcome | None:
    try:
        pages.append(page_from_file(path))
    except OSError as exc:
        return PageOutcome(url=str(path), outcome="failed", error=f"replay: {exc.strerror}: {path}")
    return None


def _unchanged(ingestor: Ingestor, page: PageInput) -> bool:
    """A file replayed before is recognised by its body under its file URI or any URL."""
    stored = find_page(ingestor.session, page.url)
    if stored is not None:
        return stored.body_sha256 == body_digest(page.body)
    return has_body(ingestor.session, body_digest(page.body))


def summarise(outcomes: list[PageOutcome]) -> ReplaySummary:
    def count(kind: str) -> int:
        return sum(1 for o in outcomes if o.outcome == kind)

    return ReplaySummary(
        pages=len(outcomes),
        articles=count("article"),
        duplicates=count("duplicate"),
        unchanged=count("unchanged"),
        skipped=count("skipped"),
        failed=count("failed"),
        stories=len({o.story_id for o in outcomes if o.story_id is not None}),
        failures=tuple(o for o in outcomes if o.outcome == "failed"),
    )
