"""Reprocessing rebuilds articles and stories from the stored raw pages."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aggregator.dedup.cluster import ClusterSettings
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


def test_reprocess_gives_the_same_articles_and_stories(session: Session) -> None:
    replay(Ingestor(session, ClusterSettings()), find_pages([FIXTURES]))
    pages = session.scalar(select(func.count(Page.id)))
    before = grouping(session)
    summary = reprocess(session, ClusterSettings())
    assert summary.failed == 0
    assert session.scalar(select(func.count(Page.id))) == pages
    assert grouping(session) == before
    assert session.scalar(select(func.count(Story.id))) == len(before)
