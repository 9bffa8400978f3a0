"""A story folded into another keeps its address: merges record redirects, readers follow them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from aggregator.store.schema import Story, StoryRedirect
from aggregator.store.stories import create_story, merge_story, record_redirect, resolve_story
from tests.support import NOW, add_article


def test_merge_records_a_redirect(session: Session) -> None:
    into, other = create_story(session, "Into", NOW), create_story(session, "Other", NOW)
    article = add_article(session, story_id=other.id)
    other_id = other.id
    merge_story(session, into, other_id)
    assert article.story_id == into.id
    assert resolve_story(session, other_id) == into.id
    assert resolve_story(session, into.id) == into.id


def test_chains_collapse_and_resolve(session: Session) -> None:
    a, b, c = (create_story(session, name, NOW) for name in "abc")
    a_id, b_id = a.id, b.id
    merge_story(session, b, a_id)
    merge_story(session, c, b_id)
    assert session.get(StoryRedirect, a_id).new_id == c.id  # type: ignore[union-attr]
    assert resolve_story(session, a_id) == c.id


def test_unknown_and_lost_stories_resolve_to_none(session: Session) -> None:
    assert resolve_story(session, 424242) is None
    record_redirect(session, 7001, 7002)  # 7002 was deleted without a redirect
    assert resolve_story(session, 7001) is None


def test_a_story_that_exists_wins_over_a_stale_redirect(session: Session) -> None:
    story = create_story(session, "Reused id", NOW)
    record_redirect(session, story.id, story.id + 1000)
    assert resolve_story(session, story.id) == story.id
    assert session.get(Story, story.id) is not None
