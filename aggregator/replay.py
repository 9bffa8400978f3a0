"""Replay saved pages from disk through the same pipeline the fetchers use."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from aggregator.dedup.urls import canonicalize_url
from aggregator.pagefiles import find_pages
from aggregator.pipeline import (
    Extraction,
    Ingestor,
    PageInput,
    PageOutcome,
    extract_and_pack,
    publication_order,
    with_story,
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
# Files read, cleaned and ordered at a time: bounds memory on large replays, and is the unit
# in which storing one batch overlaps cleaning the next ones.
BATCH = 128
# Batches handed to the worker pool ahead of the one being stored.
AHEAD = 2


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
    # reprocess only: articles kept as they were, their raw page body gone (retention)
    without_body: int = 0


def page_from_file(path: Path, fetched_at: datetime | None = None) -> PageInput:
    return PageInput(
        url=path.resolve().as_uri(),
        body=path.read_bytes(),
        fetched_at=fetched_at or datetime.now(UTC),
        replayed=True,
    )


@dataclass(slots=True)
class _Batch:
    """Files read and sent to be cleaned; ``futures`` None when they are cleaned inline."""

    outcomes: list[PageOutcome]  # unreadable and unchanged files
    pages: list[PageInput]
    futures: list[Future[Extraction]] | None


def _start(ingestor: Ingestor, paths: list[Path], pool: ProcessPoolExecutor | None) -> _Batch:
    pages: list[PageInput] = []
    outcomes = [outcome for path in paths if (outcome := _read(path, pages)) is not None]
    fresh: list[PageInput] = []
    for page in pages:
        if _unchanged(ingestor, page):
            outcomes.append(PageOutcome(url=page.url, outcome="unchanged"))
        else:
            fresh.append(page)
    if pool is None or len(fresh) < POOL_THRESHOLD:
        return _Batch(outcomes, fresh, None)
    return _Batch(outcomes, fresh, [pool.submit(extract_and_pack, page) for page in fresh])


def _cleaned(batch: _Batch) -> list[tuple[PageInput, Extraction]]:
    if batch.futures is None:
        return [(page, extract_and_pack(page)) for page in batch.pages]
    return list(zip(batch.pages, (f.result() for f in batch.futures), strict=True))


def replay(
    ingestor: Ingestor,
    paths: list[Path],
    *,
    workers: int = 1,
    on_page: Callable[[PageOutcome], None] | None = None,
    listed: Mapping[str, datetime] | None = None,
) -> ReplaySummary:
    """Ingest saved files; unreadable files become failed pages, never an exception.

    ``listed`` holds the dates saved feeds and sitemaps give pages, by canonical URL
    (``listings.saved_listing_dates``): a page takes its own as when it was fetched.

    Files are read and cleaned a batch at a time, and each batch is stored in publication
    order, so online clustering sees the stories unfold as a live feed would have shown them.
    While one batch is stored and given its stories, the worker pool already cleans the next.
    The replay ends with the re-check the daemon runs periodically.
    """
    outcomes: list[PageOutcome] = []
    batches = deque(paths[start : start + BATCH] for start in range(0, len(paths), BATCH))
    pool = ProcessPoolExecutor(max_workers=workers) if workers > 1 else None
    try:
        queued: deque[_Batch] = deque()
        while batches or queued:
            # Keep the pool AHEAD batches ahead of storing, so it never waits for the store.
            while batches and len(queued) < AHEAD:
                queued.append(_start(ingestor, batches.popleft(), pool))
            current = queued.popleft()
            cleaned = [_listed(pair, listed or {}) for pair in _cleaned(current)]
            if batches:
                queued.append(_start(ingestor, batches.popleft(), pool))
            outcomes.extend(current.outcomes)
            outcomes.extend(store_in_order(ingestor, cleaned, on_page=on_page))
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    ingestor.recheck()
    return summarise(outcomes)


def store_in_order(
    ingestor: Ingestor,
    pairs: list[tuple[PageInput, Extraction]],
    *,
    force: bool = False,
    on_page: Callable[[PageOutcome], None] | None = None,
) -> list[PageOutcome]:
    """Store cleaned pages oldest article first (see ``publication_order``), then give their
    articles stories, in the same order."""
    ordered = sorted(pairs, key=lambda pair: publication_order(*pair))
    stored = ingestor.store_verdicts(ordered, force=force)
    placed = ingestor.assign_stories()
    outcomes = [with_story(outcome, placed) for outcome in stored]
    if on_page:
        for outcome in outcomes:
            on_page(outcome)
    return outcomes


def _listed(
    pair: tuple[PageInput, Extraction], listed: Mapping[str, datetime]
) -> tuple[PageInput, Extraction]:
    """The page with the date its listing gave it, found by the URL its article is stored under."""
    page, extraction = pair
    article = extraction.article
    if article is None or not listed:
        return pair
    url = canonicalize_url(article.canonical_url or page.final_url or page.url)
    return replace(page, listed_at=listed.get(url)), extraction


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
