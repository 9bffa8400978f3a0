"""Article records: one line of ``aggregator cluster`` input, stored as a page of its own.

A backfilled article has no HTML. Its page's body is the JSON line it came from and its content
type is ``ARTICLE_RECORD``, so ``reprocess`` rebuilds it from the same line instead of cleaning
it as a web page. Fields: ``id, title, text, url, source, timestamp`` (ms since the epoch, or
null), as ``aggregator cluster`` reads them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from aggregator.errors import ExtractError, ParseError
from aggregator.models import CleanedArticle

__all__ = ["ARTICLE_RECORD", "article_from_record", "parse_record", "record_url"]

ARTICLE_RECORD = "application/x-aggregator-article+json"
_MAX_TITLE = 200


def parse_record(body: bytes) -> dict[str, Any]:
    """One record as a JSON object, or ``ParseError`` saying what is wrong with the line."""
    try:
        row = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(f"import: not a JSON line: {exc}") from exc
    if not isinstance(row, dict):
        raise ParseError(f"import: a JSON {type(row).__name__}, not an object")
    return row


def record_url(row: dict[str, Any]) -> str:
    """The record's page URL: its own, or a URN made from its id when it has none."""
    return str(row.get("url") or "") or f"urn:aggregator:import:{row.get('id')}"


def _published(stamp: object) -> datetime | None:
    if stamp is None:
        return None
    if isinstance(stamp, bool) or not isinstance(stamp, int | float):
        raise ParseError(f"import: timestamp {stamp!r} is not milliseconds since the epoch")
    try:
        return datetime.fromtimestamp(stamp / 1000, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise ParseError(f"import: timestamp {stamp!r} is out of range") from exc


def article_from_record(body: bytes) -> CleanedArticle:
    """The article a record carries; its text is taken as already clean."""
    row = parse_record(body)
    title = " ".join(str(row.get("title") or "").split())
    text = str(row.get("text") or "").strip()
    if not title and not text:
        raise ExtractError("import: the record has neither a title nor a text")
    return CleanedArticle(
        title=title or text.splitlines()[0][:_MAX_TITLE],
        text=text or title,
        published=_published(row.get("timestamp")),
        canonical_url=str(row.get("url") or "") or None,
    )
