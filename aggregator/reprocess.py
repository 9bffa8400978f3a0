"""Rebuild articles and stories from the stored raw pages, after a cleaning or clustering change.

Pages are kept; articles and stories are rebuilt from them in the order the pages arrived, so
the result is what the current rules would have produced had they been running all along.
Article and story ids change. An article whose page's raw body was dropped by retention
stays as it was cleaned, and is given its story again with the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from itertools import islice

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from aggregator.dedup.cluster import ClusterSettings
from aggregator.models import SiteRules
from aggregator.pipeline import (
    Ingestor,
    PageInput,
    PageOutcome,
    extract_page,
    stored_page_input,
)
from aggregator.replay import BATCH, ReplaySummary, store_in_order, summarise
from aggregator.store.schema import Article, Page, SourceRow, Story

__all__ = ["reprocess"]


def _stored_pages(session: Session, rules: dict[str, SiteRules]) -> Iterator[PageInput]:
    """Pages in the order they were stored, loaded one at a time (bodies can be large);
    pages whose raw body retention dropped cannot be cleaned again and are left out."""
    ids = session.scalars(select(Page.id).where(Page.body.is_not(None)).order_by(Page.id)).all()
    names = {key: name for key, name in session.execute(select(SourceRow.id, SourceRow.name))}
    for page_id in ids:
        page = session.get(Page, page_id)
        if page is None:
            continue
        source_name = names.get(page.source_id, "") if page.source_id else ""
        yield stored_page_input(page, source_name, rules.get(source_name, SiteRules()))


def _clear(session: Session) -> int:
    """Delete the articles that will be rebuilt and every story; returns how many articles
    stay as they are because their page's raw body is gone (they get new stories)."""
    session.execute(update(Article).values(duplicate_of=None, story_id=None))
    rebuilt = select(Page.id).where(Page.body.is_not(None))
    session.execute(delete(Article).where(Article.page_id.in_(rebuilt)))
    session.execute(delete(Story))
    session.flush()
    return session.scalar(select(func.count(Article.id))) or 0


def reprocess(
    session: Session,
    settings: ClusterSettings,
    *,
    rules: dict[str, SiteRules] | None = None,
    on_page: Callable[[PageOutcome], None] | None = None,
) -> ReplaySummary:
    """Re-extract and re-cluster every stored page, a batch at a time in publication order
    (as ``replay`` does, re-check at the end included), one transaction per page."""
    kept = _clear(session)
    session.commit()
    ingestor = Ingestor(session, settings)
    outcomes: list[PageOutcome] = []
    pages = _stored_pages(session, rules or {})
    while batch := list(islice(pages, BATCH)):
        pairs = [(page, extract_page(page)) for page in batch]
        outcomes.extend(store_in_order(ingestor, pairs, force=True, on_page=on_page))
    ingestor.recheck()
    return replace(summarise(outcomes), without_body=kept)
