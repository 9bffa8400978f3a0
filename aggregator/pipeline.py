"""One page end to end: clean → canonical URL → duplicates → story → store.

Cleaning is pure and CPU-bound (``extract_page`` can run in a worker process); storing is short
and serial (``Ingestor.store``), one transaction per page. A page that fails to decode or to
yield an article is stored with its typed error and raw body, and the run goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from aggregator.clean import clean_html
from aggregator.dedup.cluster import ClusterSettings, RecheckClock, StoryIndex
from aggregator.dedup.fingerprint import content_hash, simhash, to_signed64
from aggregator.dedup.urls import canonicalize_url
from aggregator.errors import AggregatorError
from aggregator.models import CleanedArticle, ClusterItem, SiteRules
from aggregator.records import ARTICLE_RECORD, article_from_record
from aggregator.store.articles import (
    ArticleRecord,
    IndexedArticle,
    find_article_by_url,
    indexed,
    insert_article,
    naive_utc,
    recent_articles,
    update_article,
)
from aggregator.store.pages import PageRecord, body_digest, find_page, save_page
from aggregator.store.schema import Article, Page, Story
from aggregator.store.stories import create_story, merge_story, refresh_story

__all__ = [
    "Extraction",
    "Ingestor",
    "PageInput",
    "PageOutcome",
    "extract_page",
    "page_origin",
    "publication_order",
    "source_name_for",
]

log = logging.getLogger("aggregator.pipeline")


@dataclass(frozen=True, slots=True)
class PageInput:
    """A page as it arrived, from the network or from a saved file."""

    url: str
    body: bytes
    fetched_at: datetime
    source_name: str = ""
    source_id: int | None = None
    final_url: str | None = None
    status: int | None = None
    content_type: str | None = None
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    rules: SiteRules = field(default_factory=SiteRules)
    # A saved file: its page URL becomes its canonical link (if any), and its fetched_at is the
    # replay, which says nothing about when the article was new.
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class Extraction:
    """The cleaner's verdict on one page: an article, or the error that stopped it."""

    article: CleanedArticle | None = None
    error_kind: str | None = None
    error_message: str | None = None


@dataclass(frozen=True, slots=True)
class PageOutcome:
    """What storing one page did. ``outcome``: article, duplicate, skipped, failed, unchanged."""

    url: str
    outcome: str
    article_id: int | None = None
    story_id: int | None = None
    duplicate_of: int | None = None
    error: str | None = None


def publication_order(extraction: Extraction) -> tuple[bool, datetime]:
    """Sort key: oldest article first, undated and failed pages last.

    Online clustering depends on arrival order; storing a batch in this order shows it the
    stories as they unfolded.
    """
    article = extraction.article
    published = naive_utc(article.published) if article else None
    if published is None:
        return (True, datetime.min)
    return (False, published)


def source_name_for(url: str) -> str:
    """A page without a configured source is attributed to its host."""
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.") or "local"


def page_origin(page: PageInput) -> str:
    """fetch, replay (a saved file) or import (an article record from ``cluster --store``)."""
    if page.content_type == ARTICLE_RECORD:
        return "import"
    return "replay" if page.replayed else "fetch"


def extract_page(page: PageInput) -> Extraction:
    """Clean one page; never raises for bad input (the error is the result)."""
    try:
        if page.content_type == ARTICLE_RECORD:
            article = article_from_record(page.body)
        else:
            article = clean_html(
                page.body, url=page.final_url or page.url, charset=page.charset, rules=page.rules
            )
    except AggregatorError as exc:
        return Extraction(error_kind=exc.kind, error_message=str(exc))
    return Extraction(article=article)


def _failure_outcome(kind: str | None, message: str | None) -> str:
    # A page that parses but is not an article (a homepage, a listing) is skipped, not failed.
    return "skipped" if message and "not an article" in message else "failed"


class Ingestor:
    """Stores extracted pages and keeps the story index in step with the database."""

    def __init__(
        self,
        session: Session,
        settings: ClusterSettings,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.session = session
        self.settings = settings
        self.clock = clock or _utcnow
        self.index = StoryIndex(settings)
        self._recheck_clock = RecheckClock(settings)
        self._recheck_from: float | None = None  # set when a stored article made it due
        self._rebuild_index()

    def _rebuild_index(self) -> None:
        """Clustering state is rebuilt from the stored articles of the last window."""
        self.index = StoryIndex(self.settings)
        window = timedelta(days=self.settings.window_days)
        for stored in recent_articles(self.session, window):
            if stored.story_id is None:
                continue
            self.index.insert(
                _cluster_item(stored),
                str(stored.story_id),
                str(stored.duplicate_of) if stored.duplicate_of else None,
            )

    def store(self, page: PageInput, extraction: Extraction, *, force: bool = False) -> PageOutcome:
        """Store one page and its article in one transaction.

        An unchanged body is skipped unless ``force`` (reprocessing after a rule change).
        """
        try:
            outcome = self._store(page, extraction, force=force)
            self.session.commit()
        except Exception:
            self.session.rollback()
            self._rebuild_index()  # the index may hold an article the database does not
            self._recheck_from = None
            raise
        if self._recheck_from is not None:
            since, self._recheck_from = self._recheck_from, None
            self._recheck_quietly(since)
        return outcome

    def _recheck_quietly(self, since: float) -> None:
        """The re-check a stored article made due; the page is stored whatever happens here."""
        try:
            self._settle(since)
        except Exception:
            log.exception("stage=recheck error=unexpected")

    def process(self, page: PageInput) -> PageOutcome:
        """Extract and store one page in this process."""
        existing = find_page(self.session, page.url)
        if existing is not None and existing.body_sha256 == body_digest(page.body):
            return PageOutcome(url=page.url, outcome="unchanged")
        return self.store(page, extract_page(page))

    def _store(self, page: PageInput, extraction: Extraction, *, force: bool) -> PageOutcome:
        page = _with_canonical_url(page, extraction.article)
        existing = find_page(self.session, page.url)
        unchanged = existing is not None and existing.body_sha256 == body_digest(page.body)
        if unchanged and not force:
            return PageOutcome(url=page.url, outcome="unchanged")
        article = extraction.article
        if article is None:
            outcome = _failure_outcome(extraction.error_kind, extraction.error_message)
            self._save_page(page, existing, outcome, extraction)
            log.info(
                "stage=store url=%s outcome=%s error=%s",
                page.url,
                outcome,
                extraction.error_message,
            )
            return PageOutcome(url=page.url, outcome=outcome, error=extraction.error_message)
        stored = self._save_page(page, existing, "article", extraction)
        return self._store_article(page, stored, article)

    def _save_page(
        self, page: PageInput, existing: Page | None, outcome: str, extraction: Extraction
    ) -> Page:
        record = PageRecord(
            url=page.url,
            body=page.body,
            fetched_at=page.fetched_at.replace(tzinfo=None),
            outcome=outcome,
            source_id=page.source_id,
            final_url=page.final_url,
            status=page.status,
            content_type=page.content_type,
            charset=page.charset,
            etag=page.etag,
            last_modified=page.last_modified,
            error_kind=extraction.error_kind,
            error_message=extraction.error_message,
            origin=page_origin(page),
        )
        return save_page(self.session, record, existing)

    def _store_article(self, page: PageInput, stored: Page, cleaned: CleanedArticle) -> PageOutcome:
        url = canonicalize_url(cleaned.canonical_url or page.final_url or page.url)
        record = ArticleRecord(
            page_id=stored.id,
            url=url,
            source_name=page.source_name or source_name_for(url),
            cleaned=cleaned,
            content_hash=content_hash(cleaned.text),
            simhash=to_signed64(simhash(cleaned.text)),
            first_seen=page.fetched_at.replace(tzinfo=None),
            source_id=page.source_id,
        )
        known = find_article_by_url(self.session, url)
        if known is not None:
            return self._refresh_known(page, stored, known, record)
        article = insert_article(self.session, record)
        return self._assign_story(page, article)

    def _refresh_known(
        self, page: PageInput, stored: Page, known: Article, record: ArticleRecord
    ) -> PageOutcome:
        """Same canonical URL seen again: update the article if it is this page's own."""
        if known.page_id == stored.id:
            update_article(known, record)
            return PageOutcome(page.url, "article", known.id, known.story_id, known.duplicate_of)
        stored.outcome = "duplicate"
        stored.error_message = f"same canonical URL as article {known.id} ({known.url})"
        return PageOutcome(page.url, "duplicate", known.id, known.story_id, known.id)

    def _assign_story(self, page: PageInput, article: Article) -> PageOutcome:
        item = _cluster_item(indexed(article, page_origin(page)))
        decision = self.index.decide(item)
        now = self.clock().replace(tzinfo=None)
        story = self._story_for(decision.story, article, now)
        duplicate_of = int(decision.duplicate_of) if decision.duplicate_of else None
        article.story_id = story.id
        article.duplicate_of = duplicate_of
        self.index.insert(item, str(story.id), decision.duplicate_of)
        self._recheck_from = self._recheck_clock.tick(item.timestamp)
        for other in decision.merge:
            if other != str(story.id):
                merge_story(self.session, story, int(other))
                self.index.merge(str(story.id), other)
        self.session.flush()
        refresh_story(self.session, story, title=self._story_title(story), now=now)
        outcome = "duplicate" if duplicate_of else "article"
        log.info("stage=store url=%s outcome=%s story=%s", page.url, outcome, story.id)
        return PageOutcome(page.url, outcome, article.id, story.id, duplicate_of)

    def recheck(self, since: datetime | None = None) -> int:
        """The re-check: fold together stories the index now finds to be one.

        Stories touched at or after ``since`` (every live story when None) are re-scored with
        today's statistics: converged stories merge, then fragments fold into the story they
        now fit (:meth:`StoryIndex.settle`). Each fold is its own transaction; returns how
        many were applied.
        """
        return self._settle(_stamp(since))

    def _settle(self, since: float | None) -> int:
        applied = 0
        lost = False  # the index folded a story the database no longer holds
        for fold in self.index.settle(since):
            if self._fold_stored(fold.source, fold.target):
                applied += 1
            else:
                lost = True
        if lost:
            self._rebuild_index()
        return applied

    def suggest_moves(self, since: datetime | None = None) -> None:
        """Log single articles that now sit clearly closer to another story than to their own
        (suggestions for the operator: a move is not applied)."""
        for move in self.index.moves(_stamp(since)):
            log.info(
                "stage=recheck suggest_move=%s from=%s to=%s", move.item, move.source, move.target
            )

    def _fold_stored(self, source: str, target: str) -> bool:
        """Merge stored story ``source`` into ``target``, as the index already did; False
        when the database holds either no more."""
        into = self.session.get(Story, int(target))
        if into is None or self.session.get(Story, int(source)) is None:
            return False
        try:
            merge_story(self.session, into, int(source))
            refresh_story(self.session, into, title=self._story_title(into), now=self.clock())
            self.session.commit()
        except Exception:
            self.session.rollback()
            self._rebuild_index()
            raise
        log.info("stage=recheck merged=%s into=%s", source, target)
        return True

    def _story_title(self, story: Story) -> str:
        # A story whose articles are all older than the window has left the index; its
        # stored title stands.
        try:
            return self.index.story_title(str(story.id))
        except KeyError:
            return story.title

    def _story_for(self, key: str | None, article: Article, now: datetime) -> Story:
        story = self.session.get(Story, int(key)) if key else None
        if story is not None:
            return story
        story = create_story(self.session, article.title, now)
        self.index.release(str(story.id))
        return story


def _with_canonical_url(page: PageInput, article: CleanedArticle | None) -> PageInput:
    if not page.replayed or article is None or not article.canonical_url:
        return page
    return replace(page, url=canonicalize_url(article.canonical_url))


def _cluster_item(stored: IndexedArticle) -> ClusterItem:
    return ClusterItem(
        id=str(stored.id),
        title=stored.title,
        text=stored.text,
        source=stored.source_name,
        url=stored.url,
        timestamp=stored.timestamp.replace(tzinfo=UTC).timestamp() if stored.timestamp else None,
    )


def _stamp(moment: datetime | None) -> float | None:
    return None if moment is None else moment.replace(tzinfo=UTC).timestamp()


def _utcnow() -> datetime:
    return datetime.now(UTC)
