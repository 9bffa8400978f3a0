"""Writes of ``stories``: creation, counts and merges."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from aggregator.store.schema import Article, Story, StoryRedirect

__all__ = ["create_story", "merge_story", "record_redirect", "refresh_story", "resolve_story"]

# Longer chains than this are a loop or a bug: stop following rather than spin.
_MAX_REDIRECT_HOPS = 32


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
    record_redirect(session, other_id, into.id)
    session.flush()


def record_redirect(session: Session, old_id: int, new_id: int) -> None:
    """Remember that story ``old_id`` now lives on as ``new_id`` (its links keep working).

    Redirects that pointed at ``old_id`` are moved on to ``new_id`` so chains stay one hop.
    """
    if old_id == new_id:
        return
    session.execute(
        update(StoryRedirect).where(StoryRedirect.new_id == old_id).values(new_id=new_id)
    )
    existing = session.get(StoryRedirect, old_id)
    if existing is None:
        session.add(StoryRedirect(old_id=old_id, new_id=new_id))
    else:
        existing.new_id = new_id
    session.flush()


def resolve_story(session: Session, story_id: int) -> int | None:
    """The id under which story ``story_id`` lives now, or None when it is gone.

    A story that exists wins over a redirect: SQLite may hand a deleted story's id to a new one.
    """
    current = story_id
    for _ in range(_MAX_REDIRECT_HOPS):
        if session.get(Story, current) is not None:
            return current
        target = session.scalar(select(StoryRedirect.new_id).where(StoryRedirect.old_id == current))
        if target is None:
            return None
        current = target
    return None
