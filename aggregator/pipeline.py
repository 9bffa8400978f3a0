"""The per-page steps every stage calls: clean a page, then store its verdict.

Cleaning is pure and CPU-bound (``extract_page`` runs in a worker process and also computes
what the story stage needs of the article: its fingerprints and term counts). Storing the
verdict (``store_verdict``) is one short transaction: the page, and its article waiting for a
story. A page that fails to decode or to yield an article is stored with its typed error and
raw body, and the run goes on. Stories are the story stage's (``aggregator.assign``);
``Ingestor`` runs both in one process, page by page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from aggregator.assign import Assignment, StoryAssigner
from aggregator.clean import clean_html
from aggregator.dedup.cluster import ClusterSettings, StoryIndex
from aggregator.dedup.features import encode_features, extract_features
from aggregator.dedup.fingerprint import content_hash, simhash, to_signed64
from aggregator.dedup.urls import canonicalize_url
from aggregator.errors import AggregatorError
from aggregator.models import CleanedArticle, SiteRules
from aggregator.records import ARTICLE_RECORD, article_from_record
from aggregator.store.articles import (
    ArticleRecord,
    find_article_by_url,
    insert_article,
    naive_utc,
    update_article,
)
from aggregator.store.pages import (
    PageRecord,
    body_digest,
    find_page,
    pack_body,
    page_body,
    save_page,
)
from aggregator.store.schema import Article, Page

__all__ = [
    "Extraction",
    "Ingestor",
    "PageInput",
    "PageOutcome",
    "article_time",
    "extract_and_pack",
    "extract_page",
    "page_origin",
    "publication_order",
    "source_name_for",
    "store_verdict",
    "stored_page_input",
    "with_story",
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
    # The date the feed or sitemap that listed the page gave it.
    listed_at: datetime | None = None
    rules: SiteRules = field(default_factory=SiteRules)
    # A saved file: its page URL becomes its canonical link (if any), and its fetched_at is the
    # replay, which says nothing about when the article was new.
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class Extraction:
    """The cleaner's verdict on one page: an article, or the error that stopped it.

    With an article come its fingerprints and its encoded clustering features, computed here
    so the serial story stage does not have to.
    """

    article: CleanedArticle | None = None
    error_kind: str | None = None
    error_message: str | None = None
    features: bytes | None = None
    content_hash: str = ""
    simhash: int = 0
    packed_body: bytes | None = None  # the page body compressed for storing, when asked for


@dataclass(frozen=True, slots=True)
class PageOutcome:
    """What storing one page did. ``outcome``: article, duplicate, skipped, failed, unchanged."""

    url: str
    outcome: str
    article_id: int | None = None
    story_id: int | None = None
    duplicate_of: int | None = None
    error: str | None = None


def article_time(page: PageInput, article: CleanedArticle) -> datetime | None:
    """When the article was new, from the best evidence there is (issue 12): the date the page
    declares, else the date its feed or sitemap gave it, else the HTTP ``Last-Modified`` of the
    response; otherwise unknown. Never the time we fetched or replayed it: that is kept apart
    (``first_seen``) and says nothing about when the story happened."""
    return article.published or page.listed_at or _http_date(page.last_modified)


def _http_date(value: str | None) -> datetime | None:
    """An HTTP-date (RFC 9110 §5.6.7), or None when the header is missing or malformed."""
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def publication_order(page: PageInput, extraction: Extraction) -> tuple[bool, datetime]:
    """Sort key: oldest article first, undated and failed pages last.

    Online clustering depends on arrival order; storing a batch in this order shows it the
    stories as they unfolded.
    """
    article = extraction.article
    published = naive_utc(article_time(page, article)) if article else None
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
    return _with_features(article)


def extract_and_pack(page: PageInput) -> Extraction:
    """``extract_page``, and the body compressed for storing: both in the worker process, for
    pages not stored yet (a replay), so the serial store step does neither."""
    return replace(extract_page(page), packed_body=pack_body(page.body))


def _with_features(article: CleanedArticle) -> Extraction:
    features = extract_features(article.title, article.text)
    # A long body's features already carry its hash and SimHash; a short one is hashed alone.
    fingerprint = features.simhash if features.simhash is not None else simhash(article.text)
    exact = features.exact if features.simhash is not None else content_hash(article.text)
    return Extraction(
        article=article,
        features=encode_features(features),
        content_hash=exact,
        simhash=to_signed64(fingerprint),
    )


def stored_page_input(page: Page, source_name: str, rules: SiteRules) -> PageInput:
    """A stored page (pending, or kept for reprocessing) as the cleaner takes it."""
    return PageInput(
        url=page.url,
        body=page_body(page),
        fetched_at=page.fetched_at,
        source_name=source_name,
        source_id=page.source_id,
        final_url=page.final_url,
        status=page.status,
        content_type=page.content_type,
        charset=page.charset,
        etag=page.etag,
        last_modified=page.last_modified,
        listed_at=page.listed_at,
        rules=rules,
        replayed=page.origin == "replay",
    )


def _failure_outcome(kind: str | None, message: str | None) -> str:
    # A page that parses but is not an article (a homepage, a listing) is skipped, not failed.
    return "skipped" if message and "not an article" in message else "failed"


def store_verdict(
    session: Session, page: PageInput, extraction: Extraction, *, force: bool = False
) -> PageOutcome:
    """Store one page and its article (waiting for a story); the caller commits.

    An unchanged body is skipped unless ``force`` (reprocessing after a rule change); a pending
    page (stored by a fetcher, claimed by the caller) is never unchanged.
    """
    page = _with_canonical_url(page, extraction.article)
    existing = find_page(session, page.url)
    digest = body_digest(page.body)
    unchanged = existing is not None and existing.body_sha256 == digest
    if unchanged and existing is not None and existing.outcome != "pending" and not force:
        return PageOutcome(url=page.url, outcome="unchanged")
    article = extraction.article
    if article is None:
        outcome = _failure_outcome(extraction.error_kind, extraction.error_message)
        _save_page(session, page, existing, outcome, extraction, digest=digest)
        log.info(
            "stage=extract url=%s outcome=%s error=%s", page.url, outcome, extraction.error_message
        )
        return PageOutcome(url=page.url, outcome=outcome, error=extraction.error_message)
    stored = _save_page(session, page, existing, "article", extraction, digest=digest)
    return _store_article(session, page, stored, extraction)


def _save_page(
    session: Session,
    page: PageInput,
    existing: Page | None,
    outcome: str,
    extraction: Extraction,
    *,
    digest: str,
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
        listed_at=page.listed_at,
        error_kind=extraction.error_kind,
        error_message=extraction.error_message,
        origin=page_origin(page),
        packed=extraction.packed_body,
    )
    return save_page(session, record, existing, digest=digest)


def _store_article(
    session: Session, page: PageInput, stored: Page, extraction: Extraction
) -> PageOutcome:
    assert extraction.article is not None
    cleaned = replace(extraction.article, published=article_time(page, extraction.article))
    url = canonicalize_url(cleaned.canonical_url or page.final_url or page.url)
    record = ArticleRecord(
        page_id=stored.id,
        url=url,
        source_name=page.source_name or source_name_for(url),
        cleaned=cleaned,
        content_hash=extraction.content_hash,
        simhash=extraction.simhash,
        first_seen=page.fetched_at.replace(tzinfo=None),
        source_id=page.source_id,
        features=extraction.features,
    )
    known = find_article_by_url(session, url)
    if known is not None:
        return _refresh_known(page, stored, known, record)
    article = insert_article(session, record)
    log.info("stage=extract url=%s outcome=article article=%s", page.url, article.id)
    return PageOutcome(page.url, "article", article.id)


def _refresh_known(
    page: PageInput, stored: Page, known: Article, record: ArticleRecord
) -> PageOutcome:
    """Same canonical URL seen again: update the article if it is this page's own."""
    if known.page_id == stored.id:
        update_article(known, record)
        return PageOutcome(page.url, "article", known.id, known.story_id, known.duplicate_of)
    stored.outcome = "duplicate"
    stored.error_message = f"same canonical URL as article {known.id} ({known.url})"
    return PageOutcome(page.url, "duplicate", known.id, known.story_id, known.id)


class Ingestor:
    """Both stages in one process: each page's verdict, then the story of its article.

    For replays, backfills and tests, where one process does everything in order; the daemon
    runs the stages apart (``aggregator.work``).
    """

    def __init__(
        self,
        session: Session,
        settings: ClusterSettings,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.session = session
        self.settings = settings
        self.stories = StoryAssigner(session, settings, clock=clock)

    @property
    def index(self) -> StoryIndex:
        return self.stories.index

    def store(self, page: PageInput, extraction: Extraction, *, force: bool = False) -> PageOutcome:
        """Store one page and its article, then give the article its story (two transactions)."""
        outcome = self.store_verdict(page, extraction, force=force)
        if outcome.article_id is None or outcome.story_id is not None:
            return outcome
        return with_story(outcome, self.assign_stories())

    def store_verdict(
        self, page: PageInput, extraction: Extraction, *, force: bool = False
    ) -> PageOutcome:
        """Store one page and its article, which waits for :meth:`assign_stories`."""
        try:
            outcome = store_verdict(self.session, page, extraction, force=force)
            self.session.commit()
        except Exception:
            self.session.rollback()
            raise
        return outcome

    def store_verdicts(
        self, pairs: list[tuple[PageInput, Extraction]], *, force: bool = False
    ) -> list[PageOutcome]:
        """Store many pages and their articles in one transaction, each page in a savepoint
        of its own: a page that cannot be stored (another process took its URL meanwhile)
        fails alone, with the reason, and the others are kept."""
        outcomes = []
        try:
            for page, extraction in pairs:
                outcomes.append(self._store_one(page, extraction, force=force))
            self.session.commit()
        except Exception:
            self.session.rollback()
            raise
        return outcomes

    def _store_one(self, page: PageInput, extraction: Extraction, *, force: bool) -> PageOutcome:
        try:
            with self.session.begin_nested():
                return store_verdict(self.session, page, extraction, force=force)
        except IntegrityError as exc:
            reason = f"store: {str(exc.orig).strip().splitlines()[0]}"
            log.warning("stage=store url=%s error=%s", page.url, reason)
            return PageOutcome(url=page.url, outcome="failed", error=reason)

    def assign_stories(self) -> dict[int, Assignment]:
        """Give every article waiting for a story its story; by article id."""
        placed: dict[int, Assignment] = {}
        while done := self.stories.assign_pending():
            placed.update((assignment.article_id, assignment) for assignment in done)
        return placed

    def process(self, page: PageInput) -> PageOutcome:
        """Extract and store one page in this process."""
        existing = find_page(self.session, page.url)
        if existing is not None and existing.body_sha256 == body_digest(page.body):
            return PageOutcome(url=page.url, outcome="unchanged")
        return self.store(page, extract_page(page))

    def recheck(self, since: datetime | None = None) -> int:
        """The re-check (see :meth:`StoryAssigner.recheck`); returns the folds applied."""
        return self.stories.recheck(since)

    def suggest_moves(self, since: datetime | None = None) -> None:
        self.stories.suggest_moves(since)


def with_story(outcome: PageOutcome, placed: dict[int, Assignment]) -> PageOutcome:
    """``outcome`` with the story the story stage gave its article (when it has)."""
    assignment = placed.get(outcome.article_id) if outcome.article_id is not None else None
    if assignment is None:
        return outcome
    kind = "duplicate" if assignment.duplicate_of is not None else outcome.outcome
    return replace(
        outcome, outcome=kind, story_id=assignment.story_id, duplicate_of=assignment.duplicate_of
    )


def _with_canonical_url(page: PageInput, article: CleanedArticle | None) -> PageInput:
    if not page.replayed or article is None or not article.canonical_url:
        return page
    return replace(page, url=canonicalize_url(article.canonical_url))
