"""Writes and reads of ``pages``: every page seen, its raw body compressed for reprocessing."""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from aggregator.store.schema import Page

__all__ = [
    "PageRecord",
    "body_digest",
    "find_page",
    "has_body",
    "pack_body",
    "page_body",
    "save_page",
    "store_fetched",
]


@dataclass(frozen=True, slots=True)
class PageRecord:
    """Everything known about one page when it is stored."""

    url: str
    body: bytes
    fetched_at: datetime
    outcome: str
    source_id: int | None = None
    final_url: str | None = None
    status: int | None = None
    content_type: str | None = None
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    listed_at: datetime | None = None
    error_kind: str | None = None
    error_message: str | None = None
    origin: str = "fetch"
    # ``body`` already zlib-compressed (by a worker process, off the serial store step)
    packed: bytes | None = None


def pack_body(body: bytes) -> bytes:
    """A raw body as ``pages.body`` stores it."""
    return zlib.compress(body, 6)


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def find_page(session: Session, url: str) -> Page | None:
    return session.scalars(select(Page).where(Page.url == url)).one_or_none()


def has_body(session: Session, digest: str) -> bool:
    """True when some page already holds exactly these bytes."""
    query = select(Page.id).where(Page.body_sha256 == digest).limit(1)
    return session.scalar(query) is not None


def page_body(page: Page) -> bytes:
    """The raw bytes as served, decompressed."""
    return zlib.decompress(page.body) if page.body else b""


def save_page(
    session: Session,
    record: PageRecord,
    existing: Page | None = None,
    *,
    digest: str | None = None,
) -> Page:
    """Insert the page, or overwrite ``existing`` (same URL, new body) in place.

    ``digest`` is the body's :func:`body_digest` when the caller computed it already.
    """
    page = existing or Page(url=record.url)
    page.source_id = record.source_id if record.source_id is not None else page.source_id
    page.final_url = record.final_url
    page.status = record.status
    page.fetched_at = record.fetched_at
    page.content_type = record.content_type
    page.charset = record.charset
    page.etag = record.etag
    page.last_modified = record.last_modified
    page.listed_at = record.listed_at
    digest = digest or body_digest(record.body)
    if page.body_sha256 != digest:  # a claimed pending page keeps the body it was stored with
        page.body = record.packed or pack_body(record.body)
        page.body_size = len(record.body)
        page.body_sha256 = digest
    page.outcome = record.outcome
    page.origin = record.origin
    page.error_kind = record.error_kind
    page.error_message = record.error_message
    if existing is None:
        session.add(page)
    session.flush()
    return page


def store_fetched(session: Session, record: PageRecord) -> int | None:
    """Store a fetched page as pending extraction; returns its id, or None when the page was
    stored already with this very body (nothing new to clean).

    A changed body replaces the stored one and waits for extraction again. Another process
    storing the same URL at the same moment wins quietly: the page is stored once.
    """
    existing = find_page(session, record.url)
    digest = body_digest(record.body)
    if existing is not None and existing.body_sha256 == digest:
        return None
    try:
        with session.begin_nested():
            page = save_page(session, record, existing, digest=digest)
    except IntegrityError:
        return None
    return page.id
