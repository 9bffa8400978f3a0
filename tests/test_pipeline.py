"""The pipeline over the shipped fixtures, on every database backend."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aggregator.dedup.cluster import ClusterSettings
from aggregator.listings import find_listings, saved_listing_dates
from aggregator.pipeline import Ingestor, PageInput
from aggregator.replay import find_pages, replay
from aggregator.store.schema import Article, Page, Story
from tests.support import FIXTURES, article_expectations

pytestmark = pytest.mark.skipif(not article_expectations(), reason="fixtures/ has no pages yet")


def replay_fixtures(session: Session) -> Ingestor:
    """The fixtures replayed as ``aggregator replay fixtures/`` does: their saved feeds and
    sitemaps give the pages that declare no date their listing's date."""
    ingestor = Ingestor(session, ClusterSettings())
    listed = saved_listing_dates(find_listings([FIXTURES]))
    summary = replay(ingestor, find_pages([FIXTURES]), listed=listed)
    assert summary.failed == 0, summary.failures
    return ingestor


def stories_by_label(session: Session) -> dict[str, set[int | None]]:
    """For each expected story label, the database stories its pages landed in."""
    found: dict[str, set[int | None]] = defaultdict(set)
    for _page, spec in article_expectations():
        article = session.scalars(select(Article).where(Article.url == spec["url"])).one()
        found[spec["story"]].add(article.story_id)
    return found


def test_fixture_stories_come_out_exactly(session: Session) -> None:
    replay_fixtures(session)
    found = stories_by_label(session)
    for label, story_ids in found.items():
        assert len(story_ids) == 1, f"story {label} split across {story_ids}"
    all_ids = [next(iter(ids)) for ids in found.values()]
    assert len(all_ids) == len(set(all_ids)), "two different events share a story"


def test_seed_story_holds_five_outlets_and_the_copy(session: Session) -> None:
    replay_fixtures(session)
    specs = article_expectations()
    copies = [spec for _page, spec in specs if spec.get("duplicate_of")]
    assert copies, "fixtures must include a syndicated copy"
    for copy in copies:
        article = session.scalars(select(Article).where(Article.url == copy["url"])).one()
        assert article.duplicate_of is not None, f"{copy['url']} not marked as a copy"
        original = session.get(Article, article.duplicate_of)
        assert original is not None and original.url == copy["duplicate_of"]
        assert article.story_id == original.story_id


def test_expected_metadata_is_stored(session: Session) -> None:
    replay_fixtures(session)
    for _page, spec in article_expectations():
        article = session.scalars(select(Article).where(Article.url == spec["url"])).one()
        assert article.title == spec["title"]
        if spec.get("language"):
            assert article.language == spec["language"]


def test_replaying_twice_adds_and_changes_nothing(session: Session) -> None:
    replay_fixtures(session)
    before = snapshot(session)
    ingestor = Ingestor(session, ClusterSettings())
    summary = replay(ingestor, find_pages([FIXTURES]))
    assert summary.articles == 0 and summary.failed == 0
    assert snapshot(session) == before


def snapshot(session: Session) -> dict[str, Any]:
    return {
        "pages": session.scalar(select(func.count(Page.id))),
        "articles": sorted(
            tuple(row)
            for row in session.execute(select(Article.url, Article.story_id, Article.duplicate_of))
        ),
        "stories": sorted(
            tuple(row) for row in session.execute(select(Story.id, Story.article_count))
        ),
    }


def test_index_rebuilt_from_database_gives_the_same_assignment(session: Session) -> None:
    replay_fixtures(session)
    path, copy = next((p, s) for p, s in article_expectations() if s.get("duplicate_of"))
    original = session.scalars(select(Article).where(Article.url == copy["duplicate_of"])).one()
    fresh = Ingestor(session, ClusterSettings())  # rebuilt from what is stored
    page = PageInput(
        url="https://copy.example/again", body=path.read_bytes(), fetched_at=datetime.now(UTC)
    )
    outcome = fresh.process(page)
    assert outcome.story_id == original.story_id


@pytest.mark.parametrize(
    ("name", "body", "kind"),
    [
        ("empty.html", b"", "parse"),
        ("binary.html", bytes(range(256)) * 40, "parse"),
        ("image.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 500, "parse"),
        ("nothing.html", b"<html><body><nav><a href='/'>Home</a></nav></body></html>", None),
    ],
)
def test_bad_files_become_failed_pages_and_the_run_goes_on(
    session: Session, tmp_path: Path, name: str, body: bytes, kind: str | None
) -> None:
    bad = tmp_path / name
    bad.write_bytes(body)
    good = article_expectations()[0][0]
    summary = replay(Ingestor(session, ClusterSettings()), [bad, good])
    assert summary.articles == 1
    assert summary.failed + summary.skipped == 1
    page = session.scalars(select(Page).where(Page.url == bad.resolve().as_uri())).one()
    assert page.outcome in {"failed", "skipped"}
    assert page.error_message
    if kind:
        assert page.error_kind == kind
    assert page.body_size == len(body)  # the raw body is kept for reprocessing


def test_missing_file_is_a_recorded_failure(session: Session, tmp_path: Path) -> None:
    summary = replay(Ingestor(session, ClusterSettings()), [tmp_path / "gone.html"])
    assert summary.failed == 1
    assert "gone.html" in (summary.failures[0].error or "")


def test_recheck_keeps_every_article_in_an_existing_story(session: Session) -> None:
    ingestor = replay_fixtures(session)
    stories_before = session.scalar(select(func.count(Story.id)))
    merged = ingestor.recheck(datetime(2000, 1, 1, tzinfo=UTC))
    assert session.scalar(select(func.count(Story.id))) == stories_before - merged
    orphans = session.scalar(
        select(func.count(Article.id)).where(~Article.story_id.in_(select(Story.id)))
    )
    empty = session.scalar(
        select(func.count(Story.id)).where(~Story.id.in_(select(Article.story_id)))
    )
    assert orphans == 0 and empty == 0


def test_recheck_folds_fragments_and_the_database_follows(session: Session) -> None:
    # Nothing joins on arrival (bar 0.99) and the clock never falls due during the replay:
    # every article starts a story, and the re-check at the replay's end does the folding.
    settings = ClusterSettings(join_threshold=0.99, recheck_minutes=1e9)
    ingestor = Ingestor(session, settings)
    replay(ingestor, find_pages([FIXTURES]))
    articles = session.scalar(select(func.count(Article.id)).where(Article.duplicate_of.is_(None)))
    stories = session.scalar(select(func.count(Story.id)))
    assert stories is not None and articles is not None and stories < articles
    assert sorted(ingestor.index.stories(), key=int) == [
        str(i) for i in session.scalars(select(Story.id).order_by(Story.id))
    ]
    empty = session.scalar(
        select(func.count(Story.id)).where(~Story.id.in_(select(Article.story_id)))
    )
    assert empty == 0
    found = stories_by_label(session)
    assert len(found["boc-rate-cut-2026-06"]) == 1
    assert ingestor.recheck() == 0  # nothing left to fold
