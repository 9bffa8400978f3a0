"""Backfill: article records from a JSON-lines file into the database, clustered as live ones.

``aggregator cluster --store`` sends each input line through the same ``Ingestor`` the daemon
uses, as a page of its own (see ``records``): duplicates and stories are decided against what
the database already holds, and the stored stories are the ones the daemon goes on with. The
answer is the same shape as the offline one, one row per input line: ``story`` is the database
story id, ``duplicate_of`` the input id of the original (``article:<id>`` when the original was
already stored). Lines are read and stored a batch at a time, oldest first within a batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from sqlalchemy import select

from aggregator.errors import ParseError
from aggregator.pipeline import Ingestor, PageInput, extract_page
from aggregator.records import ARTICLE_RECORD, parse_record, record_url
from aggregator.replay import BATCH, store_in_order
from aggregator.store.pages import find_page
from aggregator.store.schema import Article, Page

__all__ = ["backfill"]


# page URL -> (article id, story id, the original's article id, the page's error)
_Stored = dict[str, tuple[int | None, int | None, int | None, str | None]]
_QUERY_CHUNK = 500


@dataclass(frozen=True, slots=True)
class _Line:
    input_id: str | None
    url: str
    error: str | None = None


def _page(number: int, body: bytes, now: datetime) -> tuple[_Line, PageInput]:
    try:
        row = parse_record(body)
    except ParseError as exc:
        # The line is kept as a failed page, so the operator can see what was wrong with it.
        line, source = _Line(None, f"urn:aggregator:import:line-{number}", str(exc)), ""
    else:
        input_id = str(row["id"]) if row.get("id") is not None else None
        line, source = _Line(input_id, record_url(row)), str(row.get("source") or "")
    page = PageInput(
        url=line.url, body=body, fetched_at=now, source_name=source, content_type=ARTICLE_RECORD
    )
    return line, page


def _fetched_elsewhere(ingestor: Ingestor, page: PageInput) -> bool:
    """A page the daemon fetched (or a file replayed) under the record's URL keeps its raw body:
    the record is answered from the stored article instead of replacing it."""
    existing = find_page(ingestor.session, page.url)
    return existing is not None and existing.origin != "import"


def _assignments(ingestor: Ingestor, urls: list[str]) -> _Stored:
    """Where each stored line's article ended up, after the whole file."""
    found: _Stored = {}
    for start in range(0, len(urls), _QUERY_CHUNK):
        query = (
            select(Page.url, Article.id, Article.story_id, Article.duplicate_of, Page.error_message)
            .outerjoin(Article, Article.page_id == Page.id)
            .where(Page.url.in_(urls[start : start + _QUERY_CHUNK]))
        )
        for url, article_id, story_id, original, error in ingestor.session.execute(query):
            found[url] = (article_id, story_id, original, error)
    return found


def _rows(ingestor: Ingestor, lines: list[_Line]) -> Iterator[dict[str, Any]]:
    stored = _assignments(ingestor, [line.url for line in lines if line.error is None])
    input_ids = {ids[0]: line.input_id for line in lines if (ids := stored.get(line.url))}
    for line in lines:
        article_id, story_id, original, error = stored.get(line.url, (None, None, None, None))
        row: dict[str, Any] = {
            "id": line.input_id,
            "story": str(story_id) if story_id is not None else None,
            "duplicate_of": None,
        }
        if original is not None:
            row["duplicate_of"] = input_ids.get(original) or f"article:{original}"
        if article_id is None:
            row["error"] = line.error or error or "import: not stored"
        yield row


def backfill(
    ingestor: Ingestor, lines: Iterable[bytes], *, now: datetime | None = None
) -> Iterator[dict[str, Any]]:
    """Store every record line and yield ``{"id", "story", "duplicate_of"}`` per line.

    Rows come after the last line is stored and the re-check has run, once later merges are
    known.
    """
    moment = now or datetime.now(UTC)
    numbered = enumerate(lines, start=1)
    seen: list[_Line] = []
    while batch := list(islice(numbered, BATCH)):
        pages = [_page(number, body, moment) for number, body in batch]
        seen.extend(line for line, _ in pages)
        fresh = [page for _, page in pages if not _fetched_elsewhere(ingestor, page)]
        store_in_order(ingestor, [(page, extract_page(page)) for page in fresh])
    ingestor.recheck()
    yield from _rows(ingestor, seen)
