"""Writes of ``stories``: creation, counts and merges."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from aggregator.store.schema import Article, Story

__all__ = ["create_story", "merge_story", "refresh_story"]


def create_story(session: Session, title: str, seen: datetime) -> Story:
    story = Story(title=title, first_seen=seen, last_updated=seen, article_count=0)
    session.add(story)
    session.flush()
    return story


def refresh_story(session: Session, story: Story, *, title: str, now: datetime) -> None:
    """Recount the story's distinct articles (copies count through their original)."""
    story.article_count = (
        session.scalar(
            select(func.count(Article.id)).where(
                Article.story_id == story.id, Article.duplicate_of.is_(None)
            )
        )
        or 0
    )
    if title:
        story.title = title
    story.last_updated = now


def merge_story(session: Session, into: Story, other_id: int) -> None:
    """Move every article of story ``other_id`` into ``into`` and delete the emptied story."""
    session.execute(update(Article).where(Article.story_id == other_id).values(story_id=into.id))
    other = session.get(Story, other_id)
    if other is not None:
        into.first_seen = min(into.first_seen, other.first_seen)
        session.delete(other)
    session.flush()
