"""One fetch cycle for one source: discover links, fetch new pages, store them as pending.

Discovery reads the source's feeds and sitemaps (conditionally: a 304 costs nothing), falls back
to feed autodiscovery and then to link discovery on the homepage. Only URLs not stored yet are
fetched. Every HTTP exchange becomes a ``fetches`` row; every fetched page is stored as it
arrives, in a transaction of its own, for the extraction stage to claim.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from aggregator.dedup.urls import canonicalize_url
from aggregator.fetch.crawler import Crawler, CrawlOutcome, CrawlRequest
from aggregator.fetch.feeds import discover_feeds, parse_feed
from aggregator.fetch.links import discover_article_links
from aggregator.fetch.sitemaps import SitemapWalk, parse_sitemap
from aggregator.listings import listing_dates
from aggregator.models import FeedItem, FetchResult, Source
from aggregator.store.faults import in_transaction
from aggregator.store.fetches import (
    FetchRecord,
    known_urls,
    load_validators,
    record_fetch,
    save_validators,
)
from aggregator.store.pages import PageRecord, store_fetched
from aggregator.store.work import PAGES, notify

__all__ = ["CycleReport", "SourceCycle"]

log = logging.getLogger("aggregator.cycle")

# Sitemap indexes can nest; two levels cover every real site seen, and bound the work.
MAX_SITEMAP_DEPTH = 2
MAX_CHILD_SITEMAPS = 20


@dataclass(slots=True)
class CycleReport:
    """What one cycle did for one source."""

    source: str
    requests: int = 0
    not_modified: int = 0
    discovered: int = 0
    fetched: int = 0
    stored: int = 0  # new or changed pages, pending extraction
    errors: list[str] = field(default_factory=list)
    retry_after: float | None = None
    page_ids: list[int] = field(default_factory=list)
    # (url, etag, last_modified) of listings read: saved once their pages are stored, and
    # only when all their new items fitted in this cycle
    validators: list[tuple[str, str | None, str | None]] = field(default_factory=list)

    @property
    def new_articles(self) -> int:
        """New pages stored: what the adaptive interval counts as the source being busy."""
        return self.stored

    @property
    def discovery_failed(self) -> bool:
        """True when nothing at all could be read for this source."""
        return self.requests > 0 and self.requests == len(self.errors)


class SourceCycle:
    """Runs cycles for sources, sharing one crawler and one database session.

    ``on_stored`` is told after each page is committed (to wake the extraction stage).
    """

    def __init__(
        self,
        session: Session,
        crawler: Crawler,
        *,
        max_articles: int = 200,
        refetch: bool = False,
        clock: Callable[[], datetime] | None = None,
        on_stored: Callable[[], None] | None = None,
    ) -> None:
        self.session = session
        self.crawler = crawler
        self.max_articles = max_articles
        self.refetch = refetch
        self.clock = clock or (lambda: datetime.now(UTC))
        self.on_stored = on_stored

    async def run(self, source: Source, source_id: int | None) -> CycleReport:
        """Discover, fetch and store the source's new pages (as pending)."""
        report = CycleReport(source=source.name)
        items = await self._discover(source, source_id, report)
        self.session.commit()
        listed = listing_dates(items)
        fresh = self._new_urls(items)
        wanted = fresh[: self.max_articles]
        report.discovered = len(items)

        def arrived(outcome: CrawlOutcome) -> None:
            self._count(outcome, "page", report)
            fresh = outcome.result is not None and not outcome.result.not_modified
            report.fetched += int(fresh)
            # The page is in memory: a connection lost while storing it costs a retry, not
            # the page (the fetch log row and the page share the transaction).
            page_id = in_transaction(
                self.session,
                lambda: self._store(outcome, source_id, listed.get(outcome.url)),
                stage="fetch",
            )
            if page_id is not None:
                report.stored += 1
                report.page_ids.append(page_id)
                if self.on_stored is not None:
                    self.on_stored()

        await self.crawler.crawl(wanted, on_outcome=arrived)
        if len(fresh) <= self.max_articles:
            # Otherwise the listings are read in full again next cycle for the rest of their
            # items: with validators, a 304 would hide those until the listing changes.
            for url, etag, modified in report.validators:
                save_validators(self.session, url, etag, modified, self.clock())
        self.session.commit()
        return report

    def _store(
        self, outcome: CrawlOutcome, source_id: int | None, listed_at: datetime | None
    ) -> int | None:
        """The fetch log row and, for a new body, the pending page; returns the page's id."""
        record_fetch(self.session, _fetch_record(outcome, "page", source_id, self.clock()))
        result = outcome.result
        if result is None or result.not_modified:
            return None
        page_id = store_fetched(self.session, _page_record(result, source_id, listed_at))
        if page_id is not None:
            notify(self.session, PAGES)
        return page_id

    def _new_urls(self, items: Iterable[FeedItem]) -> list[str]:
        """Canonical URLs not stored yet (all with ``refetch``), newest first."""
        newest_first = sorted(items, key=_published_key, reverse=True)
        urls = list(dict.fromkeys(canonicalize_url(item.url) for item in newest_first))
        known = set() if self.refetch else known_urls(self.session, urls)
        return [url for url in urls if url not in known]

    async def _discover(
        self, source: Source, source_id: int | None, report: CycleReport
    ) -> list[FeedItem]:
        feeds = list(source.feeds)
        homepage: FetchResult | None = None
        if not feeds and not source.sitemaps:
            homepage = await self._get(source.homepage, "homepage", source_id, report)
            if homepage is not None:
                feeds = list(discover_feeds(homepage.body, homepage.final_url))
        items: list[FeedItem] = []
        configured = len(feeds)
        for index, feed in enumerate(feeds):
            result = await self._get(feed, "feed", source_id, report, conditional=True)
            if result is not None and not result.not_modified:
                parsed = parse_feed(result.body, result.final_url)
                _note(report, feed, parsed.error)
                items.extend(parsed.items)
                if parsed.error_kind == "html":  # a page where a feed was configured: read it
                    # unconditionally, or a 304 would hide the feeds it announces
                    report.validators = [v for v in report.validators if v[0] != feed]
                if index < configured:
                    feeds.extend(url for url in parsed.alternates if url not in feeds)
        items.extend(await self._sitemaps(source.sitemaps, source_id, report))
        if homepage is not None and not feeds:
            links = discover_article_links(homepage.body, homepage.final_url)
            items.extend(FeedItem(url=link) for link in links)
        return items

    async def _sitemaps(
        self,
        urls: Iterable[str],
        source_id: int | None,
        report: CycleReport,
        depth: int = 0,
        walk: SitemapWalk | None = None,
    ) -> list[FeedItem]:
        top, walk = walk is None, walk or SitemapWalk()
        items: list[FeedItem] = []
        for url in walk.admit(list(urls)[:MAX_CHILD_SITEMAPS]):
            result = await self._get(url, "sitemap", source_id, report, conditional=True)
            if result is None or result.not_modified:
                continue
            parsed = parse_sitemap(result.body, result.final_url)
            _note(report, url, parsed.error)
            items.extend(parsed.urls)
            if parsed.sitemaps and depth < MAX_SITEMAP_DEPTH:
                children = await self._sitemaps(parsed.sitemaps, source_id, report, depth + 1, walk)
                items.extend(children)
        if top and walk.problem:
            # Logged, not counted as an error: the sitemaps themselves were read.
            log.warning("stage=discover source=%s %s", report.source, walk.problem)
        return items

    async def _get(
        self,
        url: str,
        kind: str,
        source_id: int | None,
        report: CycleReport,
        *,
        conditional: bool = False,
    ) -> FetchResult | None:
        # --refetch asks for everything again, feeds included (a 304 would list nothing).
        ask_again = not conditional or self.refetch
        etag, modified = (None, None) if ask_again else load_validators(self.session, url)
        outcome = await self.crawler.fetch(CrawlRequest(url, etag=etag, last_modified=modified))
        self._count(outcome, kind, report)
        record_fetch(self.session, _fetch_record(outcome, kind, source_id, self.clock()))
        result = outcome.result
        if result is not None and conditional:
            # Saved when the cycle has stored the pages this response listed (see ``run``):
            # a process that dies mid-cycle must leave the next one a full listing, not a 304.
            report.validators.append((url, result.etag, result.last_modified))
        return result

    def _count(self, outcome: CrawlOutcome, kind: str, report: CycleReport) -> None:
        report.requests += 1
        result, error = outcome.result, outcome.error
        if result is not None and result.not_modified:
            report.not_modified += 1
        if error is not None:
            report.errors.append(str(error))
            report.retry_after = max(report.retry_after or 0.0, outcome.retry_after or 0.0) or None
            log.warning("stage=fetch kind=%s url=%s error=%s", kind, outcome.url, error)


def _fetch_record(
    outcome: CrawlOutcome, kind: str, source_id: int | None, now: datetime
) -> FetchRecord:
    result, error = outcome.result, outcome.error
    return FetchRecord(
        url=outcome.url,
        kind=kind,
        started_at=(result.fetched_at if result else now).replace(tzinfo=None),
        source_id=source_id,
        status=result.status if result else getattr(error, "status", None),
        bytes=len(result.body) if result else 0,
        elapsed_ms=result.elapsed_ms if result else 0.0,
        not_modified=bool(result and result.not_modified),
        error_kind=error.kind if error else None,
        error_message=str(error) if error else None,
    )


def _page_record(
    result: FetchResult, source_id: int | None, listed_at: datetime | None = None
) -> PageRecord:
    return PageRecord(
        url=result.url,
        body=result.body,
        fetched_at=result.fetched_at.replace(tzinfo=None),
        outcome="pending",
        source_id=source_id,
        final_url=result.final_url,
        status=result.status,
        content_type=result.content_type,
        charset=result.charset,
        etag=result.etag,
        last_modified=result.last_modified,
        listed_at=listed_at,
    )


def _note(report: CycleReport, url: str, error: str | None) -> None:
    if error:
        report.errors.append(f"parse: {url}: {error}")


def _published_key(item: FeedItem) -> float:
    return item.published.timestamp() if item.published else 0.0
