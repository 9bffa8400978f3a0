"""Front-page ranking: breadth of coverage (copies once) and how recent the news itself is."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from aggregator.store.filters import Filters
from aggregator.store.frontpage import front_page, lead_sentence
from aggregator.store.stories import create_story
from tests.support import NOW, add_article

HOUR = timedelta(hours=1)


def ranked_ids(session: Session, **kwargs: object) -> list[int]:
    page = front_page(session, now=NOW, **kwargs)  # type: ignore[arg-type]
    return [story.id for story in page.stories]


def story_with(session: Session, outlets: int, age: timedelta, copies: int = 0) -> int:
    story = create_story(session, f"{outlets} outlets", NOW)
    first = None
    for number in range(outlets):
        article = add_article(
            session,
            story_id=story.id,
            source_name=f"outlet{number}.example",
            published_at=NOW - age,
        )
        first = first or article
    for number in range(copies):
        add_article(
            session,
            story_id=story.id,
            source_name=f"copier{number}.example",
            published_at=NOW - age,
            duplicate_of=first.id if first else None,
        )
    return story.id


def test_breadth_beats_a_little_recency(session: Session) -> None:
    wide = story_with(session, outlets=4, age=6 * HOUR)
    narrow = story_with(session, outlets=1, age=1 * HOUR)
    assert ranked_ids(session) == [wide, narrow]


def test_old_news_sinks_however_wide(session: Session) -> None:
    old = story_with(session, outlets=5, age=timedelta(days=4))
    fresh = story_with(session, outlets=1, age=1 * HOUR)
    assert ranked_ids(session) == [fresh, old]


def test_syndicated_copies_add_no_breadth(session: Session) -> None:
    copied = story_with(session, outlets=1, age=2 * HOUR, copies=5)
    two = story_with(session, outlets=2, age=2 * HOUR)
    assert ranked_ids(session) == [two, copied]


def test_storage_time_does_not_count(session: Session) -> None:
    refetched = create_story(session, "refetched today, published last week", NOW)
    add_article(
        session, story_id=refetched.id, published_at=NOW - timedelta(days=7), first_seen=NOW
    )
    recent = story_with(session, outlets=1, age=3 * HOUR)
    assert ranked_ids(session) == [recent, refetched.id]


def test_summary_and_pages(session: Session) -> None:
    ids = [story_with(session, outlets=1, age=n * HOUR) for n in range(1, 6)]
    first = front_page(session, now=NOW, limit=2)
    assert [s.id for s in first.stories] == ids[:2] and first.has_more
    after = (first.stories[-1].score, first.stories[-1].id)
    rest = front_page(session, now=NOW, limit=10, after=after, reference=first.reference)
    assert [s.id for s in rest.stories] == ids[2:] and not rest.has_more
    summary = first.stories[0]
    assert summary.outlets == ("outlet0.example",) and summary.languages == ("en",)
    assert summary.lead == "A body."  # short, but the only line there is


def test_filters_apply(session: Session) -> None:
    story_with(session, outlets=2, age=HOUR)
    assert ranked_ids(session, filters=Filters(language="fr")) == []
    assert len(ranked_ids(session, filters=Filters(source="outlet1.example"))) == 1


def test_lead_sentence() -> None:
    assert lead_sentence("Mr. Smith went to Washington. Then he left.") == (
        "Mr. Smith went to Washington."
    )
    assert lead_sentence("长江中游迎来强降雨。武汉启动") == "长江中游迎来强降雨。"
    assert lead_sentence("") == ""
    lead = "The storm reached the coast at dawn on Monday."
    text = f"Storm hits coast\nBrief · 4 min read\n{lead} More."
    assert lead_sentence(text, "Storm hits coast") == lead
