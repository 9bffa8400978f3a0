"""One fetch cycle for one source: discover links, fetch new pages, extract, store.

Discovery reads the source's feeds and sitemaps (conditionally: a 304 costs nothing), falls back
to feed autodiscovery and then to link discovery on the homepage. Only URLs not stored yet are
fetched. Every HTTP exchange becomes a ``fetches`` row; every page goes through the pipeline.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from aggregator.dedup.urls import canonicalize_url
from aggregator.fetch.crawler import Crawler, CrawlOutcome, CrawlRequest
from aggregator.fetch.feeds import discover_feeds, parse_feed
from aggregator.fetch.links import discover_article_links
from aggregator.fetch.sitemaps import SitemapWalk, parse_sitemap
from aggregator.models import FeedItem, FetchResult, SiteRules, Source
from aggregator.pipeline import Extraction, Ingestor, PageInput, PageOutcome, publication_order
from aggregator.store.fetches import (
    FetchRecord,
    known_urls,
    load_validators,
    record_fetch,
    save_validators,
)

__all__ = ["CycleReport", "SourceCycle"]

log = logging.getLogger("aggregator.cycle")

Extractor = Callable[[PageInput], Awaitable[Extraction]]
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
    outcomes: list[PageOutcome] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    retry_after: float | None = None
    # fetched and cleaned, waiting for ``SourceCycle.store``
    pending: list[tuple[PageInput, Extraction]] = field(default_factory=list)
    # feeds and sitemaps read this cycle, with validators saved once their items all fit
    validators: list[tuple[str, str | None, str | None]] = field(default_factory=list)

    @property
    def new_articles(self) -> int:
        return sum(1 for o in self.outcomes if o.outcome in ("article", "duplicate"))

    @property
    def discovery_failed(self) -> bool:
        """True when nothing at all could be read for this source."""
        return self.requests > 0 and self.requests == len(self.errors)


class SourceCycle:
    """Runs cycles for sources, sharing one crawler, one ingestor and one extractor."""

    def __init__(
        self,
        session: Session,
        ingestor: Ingestor,
        crawler: Crawler,
        extract: Extractor,
        *,
        max_articles: int = 200,
        refetch: bool = False,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.session = session
        self.ingestor = ingestor
        self.crawler = crawler
        self.extract = extract
        self.max_articles = max_articles
        self.refetch = refetch
        self.clock = clock or (lambda: datetime.now(UTC))

    async def run(
        self, source: Source, source_id: int | None, rules: SiteRules | None = None
    ) -> CycleReport:
        """Collect and store one source's new pages."""
        report = await self.collect(source, source_id, rules)
        self.store([report])
        return report

    async def collect(
        self, source: Source, source_id: int | None, rules: SiteRules | None = None
    ) -> CycleReport:
        """Discover, fetch and clean the source's new pages; nothing is stored yet but the
        fetch log (see ``store``)."""
        report = CycleReport(source=source.name)
        items = await self._discover(source, source_id, report)
        fresh = self._new_urls(items)
        wanted = fresh[: self.max_articles]
        if len(fresh) <= self.max_articles:
            # Otherwise the listings are read in full again next cycle for the rest of their
            # items: with validators, a 304 would hide those until the listing changes.
            for url, etag, modified in report.validators:
                save_validators(self.session, url, etag, modified, self.clock())
        report.discovered = len(items)
        pages = []
        for outcome in await self.crawler.crawl(wanted):
            self._log_fetch(outcome, "page", source_id, report)
            if outcome.result is not None and not outcome.result.not_modified:
                report.fetched += 1
                pages.append(_page_input(outcome.result, source, source_id, rules or SiteRules()))
        extractions = await asyncio.gather(*(self.extract(page) for page in pages))
        report.pending = list(zip(pages, extractions, strict=True))
        self.session.commit()
        return report

    def store(self, reports: list[CycleReport]) -> None:
        """Store the collected pages of ``reports`` together, oldest article first."""
        batch = [(report, page, done) for report in reports for page, done in report.pending]
        batch.sort(key=lambda entry: publication_order(entry[2]))
        for report, page, extraction in batch:
            report.outcomes.append(self.ingestor.store(page, extraction))
        for report in reports:
            report.pending = []
        self.session.commit()

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
        self._log_fetch(outcome, kind, source_id, report)
        result = outcome.result
        if result is not None and conditional:
            report.validators.append((url, result.etag, result.last_modified))
        return result

    def _log_fetch(
        self, outcome: CrawlOutcome, kind: str, source_id: int | None, report: CycleReport
    ) -> None:
        report.requests += 1
        result, error = outcome.result, outcome.error
        if result is not None and result.not_modified:
            report.not_modified += 1
        if error is not None:
            report.errors.append(str(error))
            report.retry_after = max(report.retry_after or 0.0, outcome.retry_after or 0.0) or None
            log.warning("stage=fetch kind=%s url=%s error=%s", kind, outcome.url, error)
        record_fetch(self.session, _fetch_record(outcome, kind, source_id, self.clock()))


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


def _page_input(
    result: FetchResult, source: Source, source_id: int | None, rules: SiteRules
) -> PageInput:
    return PageInput(
        url=result.url,
        body=result.body,
        fetched_at=result.fetched_at,
        source_name=source.name,
        source_id=source_id,
        final_url=result.final_url,
        status=result.status,
        content_type=result.content_type,
        charset=result.charset,
        etag=result.etag,
        last_modified=result.last_modified,
        rules=rules,
    )


def _note(report: CycleReport, url: str, error: str | None) -> None:
    if error:
        report.errors.append(f"parse: {url}: {error}")


def _published_key(item: FeedItem) -> float:
    return item.published.timestamp() if item.published else 0.0
