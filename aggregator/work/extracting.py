"""The extraction stage: claim pending pages, clean them, store each verdict.

Cleaning runs in a process pool (CPU-bound); storing is one transaction per page, which first
ends this process's claim on the page: a page whose claim expired and passed to another
process is left to that one, so no page is cleaned into two articles.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.models import SiteRules
from aggregator.pipeline import (
    Extraction,
    PageInput,
    PageOutcome,
    extract_page,
    publication_order,
    store_verdict,
    stored_page_input,
)
from aggregator.store.faults import in_transaction, store_fault
from aggregator.store.schema import Page, SourceRow
from aggregator.store.work import ARTICLES, claim_pages, keep_page_claim, notify

__all__ = ["ExtractWorker"]

log = logging.getLogger("aggregator.work.extract")

#: Pages claimed at once by a one-shot drain (the daemon claims a few per worker process).
DRAIN_BATCH = 2000


class ExtractWorker:
    """Cleans pending pages for one process; ``step`` handles one claimed batch."""

    def __init__(
        self,
        session: Session,
        holder: str,
        *,
        pool: Executor | None,
        rules: dict[str, SiteRules],
        lease_seconds: float,
        batch: int,
        clock: Callable[[], datetime],
        on_article: Callable[[], None] | None = None,
    ) -> None:
        self.session = session
        self.holder = holder
        self.pool = pool
        self.rules = rules
        self.lease_seconds = lease_seconds
        self.batch = batch
        self.clock = clock
        self.on_article = on_article

    async def step(self, batch: int | None = None) -> int:
        """Claim, clean and store one batch (``batch`` pages, default the worker's own);
        returns how many pages it claimed."""
        now = self.clock().replace(tzinfo=None)
        limit = batch or self.batch
        ids = claim_pages(
            self.session, self.holder, now=now, seconds=self.lease_seconds, limit=limit
        )
        if not ids:
            return 0
        pages = self._load(ids)
        extractions = await asyncio.gather(*(self._extract(page) for _id, page in pages))
        done = [
            (page_id, page, extraction)
            for (page_id, page), extraction in zip(pages, extractions, strict=True)
        ]
        # Oldest article first: the story stage takes articles in the order they are stored.
        done.sort(key=lambda entry: publication_order(entry[1], entry[2]))
        for page_id, page, extraction in done:
            self._store(page_id, page, extraction)
        return len(ids)

    async def drain(self) -> int:
        """Every claimable pending page, in large batches; returns how many.

        A one-shot run cleans a whole cycle's pages at once and stores them oldest article
        first, as a replay of the same pages does, so both give the same stories.
        """
        total = 0
        while handled := await self.step(DRAIN_BATCH):
            total += handled
        return total

    def _load(self, ids: list[int]) -> list[tuple[int, PageInput]]:
        names = dict(
            self.session.execute(
                select(SourceRow.id, SourceRow.name).where(
                    SourceRow.id.in_(select(Page.source_id).where(Page.id.in_(ids)))
                )
            ).all()
        )
        loaded = []
        for page in self.session.scalars(select(Page).where(Page.id.in_(ids)).order_by(Page.id)):
            name = names.get(page.source_id, "") if page.source_id else ""
            loaded.append(
                (page.id, stored_page_input(page, name, self.rules.get(name, SiteRules())))
            )
        self.session.commit()
        return loaded

    async def _extract(self, page: PageInput) -> Extraction:
        if self.pool is None:
            return extract_page(page)
        return await asyncio.get_running_loop().run_in_executor(self.pool, extract_page, page)

    def _store(self, page_id: int, page: PageInput, extraction: Extraction) -> None:
        def write() -> PageOutcome | None:
            if not keep_page_claim(self.session, page_id, self.holder):
                return None
            outcome = store_verdict(self.session, page, extraction)
            if outcome.article_id is not None:
                notify(self.session, ARTICLES)
            return outcome

        try:
            outcome = in_transaction(self.session, write, stage="extract")
        except Exception as exc:
            if store_fault(exc) is not None:
                raise  # the database is away or full: the role pauses (see Runner.guarded)
            # A bug on this page: its claim runs out and another look retries it; the batch
            # goes on.
            log.exception("stage=extract page=%s url=%s error=store failed", page_id, page.url)
            return
        if outcome is None:
            log.warning("stage=extract page=%s error=claim lost, left to its new holder", page_id)
        elif outcome.article_id is not None and self.on_article is not None:
            self.on_article()
