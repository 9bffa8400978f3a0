"""Reprocessing rebuilds articles and stories from the stored raw pages."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aggregator.dedup.cluster import ClusterSettings
from aggregator.listings import find_listings, saved_listing_dates
from aggregator.pipeline import Ingestor
from aggregator.replay import find_pages, replay
from aggregator.reprocess import reprocess
from aggregator.store.schema import Article, Page, Story
from tests.support import FIXTURES


def grouping(session: Session) -> set[frozenset[str]]:
    """Stories as sets of article URLs (ids change on reprocessing, the grouping must not)."""
    groups: dict[int | None, set[str]] = {}
    for url, story in session.execute(select(Article.url, Article.story_id)):
        groups.setdefault(story, set()).add(url)
    return {frozenset(urls) for urls in groups.values()}


def times(session: Session) -> dict[str, object]:
    return {url: at for url, at in session.execute(select(Article.url, Article.published_at))}


def test_reprocess_gives_the_same_articles_and_stories(session: Session) -> None:
    listed = saved_listing_dates(find_listings([FIXTURES]))
    replay(Ingestor(session, ClusterSettings()), find_pages([FIXTURES]), listed=listed)
    pages = session.scalar(select(func.count(Page.id)))
    before, dated = grouping(session), times(session)
    summary = reprocess(session, ClusterSettings())
    assert summary.failed == 0
    assert session.scalar(select(func.count(Page.id))) == pages
    assert grouping(session) == before
    assert times(session) == dated  # a listing's date is kept on the page row (pages.listed_at)
    assert session.scalar(select(func.count(Story.id))) == len(before)
