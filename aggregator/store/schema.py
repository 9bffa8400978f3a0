"""The database schema (the Alembic target), as typed SQLAlchemy 2 models.

Operators query these tables directly; README.md documents every column. Timestamps are stored
timezone-naive in UTC so SQLite and PostgreSQL compare them the same way.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "Article",
    "Base",
    "Fetch",
    "Lease",
    "Page",
    "SourceRow",
    "Story",
    "StoryRedirect",
    "Validator",
]

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class SourceRow(Base):
    """A followed site, mirrored from the configuration or added with ``sources add``."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    homepage: Mapped[str] = mapped_column(Text)
    feeds: Mapped[str] = mapped_column(Text, default="[]")  # JSON array of URLs
    sitemaps: Mapped[str] = mapped_column(Text, default="[]")  # JSON array of URLs
    interval_seconds: Mapped[float] = mapped_column(Float, default=1800.0)
    language: Mapped[str | None] = mapped_column(String(16))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    from_config: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The fetch process working on this source, and until when its claim holds unless renewed:
    # a process that dies loses its sources when the lease runs out.
    leased_by: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)


class Page(Base):
    """Every fetched or replayed page, with its raw body kept for reprocessing."""

    __tablename__ = "pages"
    __table_args__ = (Index(None, "outcome", "fetched_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("sources.id", ondelete="SET NULL"), index=True
    )
    url: Mapped[str] = mapped_column(Text, unique=True)
    final_url: Mapped[str | None] = mapped_column(Text)
    status: Mapped[int | None] = mapped_column(Integer)
    fetched_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    content_type: Mapped[str | None] = mapped_column(String(200))
    charset: Mapped[str | None] = mapped_column(String(64))
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    # The date the feed or sitemap that listed the page gave it (entry date, news date or
    # lastmod): the article's time when the page declares none of its own.
    listed_at: Mapped[datetime | None] = mapped_column(DateTime)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)  # zlib-compressed raw bytes
    body_size: Mapped[int] = mapped_column(Integer, default=0)
    body_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    # pending (stored, not cleaned yet) | article | duplicate | skipped | failed
    outcome: Mapped[str] = mapped_column(String(16))
    # fetch | replay | import: a replayed file's fetched_at is when it was replayed, an imported
    # record's when it was imported; neither says when the article was new
    origin: Mapped[str] = mapped_column(String(8), default="fetch")
    error_kind: Mapped[str | None] = mapped_column(String(32))
    error_message: Mapped[str | None] = mapped_column(Text)
    # The extraction process cleaning this pending page, and until when its claim holds.
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime)


class Story(Base):
    """Coverage of one real-world event, across outlets."""

    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    first_seen: Mapped[datetime] = mapped_column(DateTime)
    last_updated: Mapped[datetime] = mapped_column(DateTime, index=True)
    # distinct articles: syndicated copies (duplicate_of set) count once, through their original
    article_count: Mapped[int] = mapped_column(Integer, default=0)


class StoryRedirect(Base):
    """Where a story folded into another went, so its old address keeps working.

    No foreign keys: the old story is deleted by the merge, and the new one may later be
    folded too (readers follow the chain).
    """

    __tablename__ = "story_redirects"

    old_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    new_id: Mapped[int] = mapped_column(Integer, index=True)


class Article(Base):
    """The cleaned article of one page."""

    __tablename__ = "articles"
    # Both indexes hold every column the front page reads, so ranking the window's articles
    # and summing up a page of stories never visit the rows, which carry the texts (issue 11).
    __table_args__ = (
        Index(
            "ix_articles_ranking",
            "published_at",
            "story_id",
            "source_name",
            "duplicate_of",
            "language",
        ),
        Index(
            "ix_articles_coverage",
            "story_id",
            "published_at",
            "duplicate_of",
            "source_name",
            "language",
            "id",  # PostgreSQL's indexes do not carry the key, and story pages list ids
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), unique=True)
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("sources.id", ondelete="SET NULL"), index=True
    )
    source_name: Mapped[str] = mapped_column(String(200), index=True)
    url: Mapped[str] = mapped_column(Text, unique=True)  # canonical URL
    title: Mapped[str] = mapped_column(Text)
    authors: Mapped[str] = mapped_column(Text, default="[]")  # JSON array of names
    published_at: Mapped[datetime | None] = mapped_column(DateTime)  # ix_articles_ranking
    first_seen: Mapped[datetime] = mapped_column(DateTime, index=True)
    language: Mapped[str | None] = mapped_column(String(16), index=True)
    image: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    simhash: Mapped[int] = mapped_column(BigInteger, index=True)  # signed 64-bit
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="SET NULL"))
    duplicate_of: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    removals: Mapped[str] = mapped_column(Text, default="[]")  # JSON [{rule, text}] audit trail
    # What the story stage needs of the article, computed once by the extraction stage: term
    # counts and fingerprints (zlib-compressed JSON, see aggregator.dedup.features).
    features: Mapped[bytes | None] = mapped_column(LargeBinary)


class Fetch(Base):
    """One HTTP exchange, success or failure: the fetch log operators query."""

    __tablename__ = "fetches"
    __table_args__ = (Index(None, "source_id", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    url: Mapped[str] = mapped_column(Text, index=True)
    kind: Mapped[str] = mapped_column(String(16))  # feed | sitemap | page | robots | homepage
    started_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[int | None] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(Integer, default=0)
    elapsed_ms: Mapped[float] = mapped_column(Float, default=0.0)
    not_modified: Mapped[bool] = mapped_column(Boolean, default=False)
    error_kind: Mapped[str | None] = mapped_column(String(32), index=True)
    error_message: Mapped[str | None] = mapped_column(Text)


class Validator(Base):
    """Conditional-GET validators per URL (RFC 9110 §13: ETag and Last-Modified)."""

    __tablename__ = "validators"

    url: Mapped[str] = mapped_column(Text, primary_key=True)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class Lease(Base):
    """A named piece of work one process holds until ``expires_at`` unless it renews it.

    ``role:stories`` is the single story writer; ``host:NAME:PORT`` is a host's one connection,
    with ``not_before`` its politeness pause shared by every fetch process.
    """

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(300), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(100))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    not_before: Mapped[datetime | None] = mapped_column(DateTime)
