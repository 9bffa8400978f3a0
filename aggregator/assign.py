"""The story stage: the only writer of story assignments, duplicate links and merges.

It takes articles that have no story yet in arrival (id) order, decides each against the
in-memory story index, and writes a batch of decisions in one transaction. The index is
derived state: on start, and after any failed write, it is rebuilt from the stored articles of
the last window, so a process that takes the stage over continues exactly where the last one
stopped. The re-check runs when the articles' own clock says it is due (``RecheckClock``) and
periodically in the daemon; its folds are story merges in the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from aggregator.dedup.cluster import ClusterSettings, Reassignment, RecheckClock, StoryIndex
from aggregator.dedup.features import Features, decode_features, extract_features
from aggregator.models import ClusterItem
from aggregator.store.articles import (
    IndexedArticle,
    indexed,
    pending_articles,
    recent_articles,
)
from aggregator.store.schema import Article, Story
from aggregator.store.stories import create_story, merge_story, refresh_story

__all__ = ["Assignment", "StoryAssigner"]

log = logging.getLogger("aggregator.assign")

#: Articles decided per transaction: large enough that the commit is cheap per article,
#: small enough that a failed batch costs little to redo.
BATCH = 500


@dataclass(frozen=True, slots=True)
class Assignment:
    """The story stage's decision for one article, as stored."""

    article_id: int
    story_id: int
    duplicate_of: int | None


class StoryAssigner:
    """Keeps the story index in step with the database and writes every story change.

    ``fence`` runs at the start of each write transaction and returns False when this process
    no longer holds the story role; the batch is then abandoned (nothing is written).
    """

    def __init__(
        self,
        session: Session,
        settings: ClusterSettings,
        *,
        clock: Callable[[], datetime] | None = None,
        fence: Callable[[Session], bool] | None = None,
    ) -> None:
        self.session = session
        self.settings = settings
        self.clock = clock or _utcnow
        self.fence = fence
        self.index = StoryIndex(settings)
        self._recheck_clock = RecheckClock(settings)
        self.rebuild()

    def rebuild(self) -> None:
        """Clustering state from the stored articles of the last window."""
        self.index = StoryIndex(self.settings)
        self._recheck_clock = RecheckClock(self.settings)
        window = timedelta(days=self.settings.window_days)
        for stored in recent_articles(self.session, window):
            if stored.story_id is None:
                continue
            item, features = _cluster_view(stored)
            duplicate_of = str(stored.duplicate_of) if stored.duplicate_of else None
            self.index.insert(item, str(stored.story_id), duplicate_of, features)
        self.session.commit()  # end the read transaction: a rebuild may be long

    def assign_pending(self, limit: int = BATCH) -> list[Assignment]:
        """Decide up to ``limit`` articles that have no story yet; one transaction.

        Returns what was stored; an empty list when nothing was pending or the role was lost.
        On any failure the transaction is rolled back and the index rebuilt.
        """
        try:
            rows = pending_articles(self.session, limit)
            if not rows:
                self.session.commit()
                return []
            if self.fence is not None and not self.fence(self.session):
                self.session.rollback()
                return []
            done = self._assign(rows)
            self.session.commit()
        except Exception:
            self.session.rollback()
            self.rebuild()
            raise
        return done

    def _assign(self, rows: list[Article]) -> list[Assignment]:
        now = self.clock().replace(tzinfo=None)
        touched: dict[int, Story] = {}
        done = []
        for article in rows:
            item, features = _cluster_view(indexed(article))
            story = self._place(article, item, features, now)
            touched[story.id] = story
            done.append(Assignment(article.id, story.id, article.duplicate_of))
            since = self._recheck_clock.tick(item.timestamp)
            if since is not None:
                self._settle(since, touched)
        self._refresh(touched, now)
        log.info("stage=stories assigned=%d stories=%d", len(done), len(touched))
        return done

    def _place(
        self, article: Article, item: ClusterItem, features: Features, now: datetime
    ) -> Story:
        decision = self.index.decide(item, features)
        story = self._story_for(decision.story, article, now)
        article.story_id = story.id
        article.duplicate_of = int(decision.duplicate_of) if decision.duplicate_of else None
        self.index.insert(item, str(story.id), decision.duplicate_of, features)
        for other in decision.merge:
            if other != str(story.id):
                merge_story(self.session, story, int(other))
                self.index.merge(str(story.id), other)
        return story

    def recheck(self, since: datetime | None = None) -> int:
        """The re-check: fold together stories the index now finds to be one.

        Stories touched at or after ``since`` (every live story when None) are re-scored with
        today's statistics: converged stories merge, then fragments fold into the story they
        now fit (:meth:`StoryIndex.settle`). One transaction; returns the folds applied.
        """
        try:
            if self.fence is not None and not self.fence(self.session):
                self.session.rollback()
                return 0
            touched: dict[int, Story] = {}
            applied = self._settle(_stamp(since), touched)
            self._refresh(touched, self.clock().replace(tzinfo=None))
            self.session.commit()
        except Exception:
            self.session.rollback()
            self.rebuild()
            raise
        return applied

    def _refresh(self, touched: dict[int, Story], now: datetime) -> None:
        """Recount and retitle the stories a batch changed, once each (merged-away ones are
        gone from the database after the flush)."""
        self.session.flush()
        for story_id in touched:
            story = self.session.get(Story, story_id)
            if story is not None:
                refresh_story(self.session, story, title=self._story_title(story), now=now)

    def _settle(self, since: float | None, touched: dict[int, Story]) -> int:
        """Apply the index's re-check folds to the database (inside the caller's transaction)."""
        applied = 0
        for fold in self.index.settle(since):
            if self._fold_stored(fold, touched):
                applied += 1
        return applied

    def _fold_stored(self, fold: Reassignment, touched: dict[int, Story]) -> bool:
        into = self.session.get(Story, int(fold.target))
        source = self.session.get(Story, int(fold.source))
        if into is None or source is None:
            log.warning("stage=recheck fold=%s into=%s error=missing", fold.source, fold.target)
            return False
        merge_story(self.session, into, int(fold.source))
        touched.pop(int(fold.source), None)
        touched[into.id] = into
        log.info("stage=recheck merged=%s into=%s", fold.source, fold.target)
        return True

    def suggest_moves(self, since: datetime | None = None) -> None:
        """Log single articles that now sit clearly closer to another story than to their own
        (suggestions for the operator: a move is not applied)."""
        for move in self.index.moves(_stamp(since)):
            log.info(
                "stage=recheck suggest_move=%s from=%s to=%s", move.item, move.source, move.target
            )

    def _story_title(self, story: Story) -> str:
        # A story whose articles are all older than the window has left the index; its
        # stored title stands.
        try:
            return self.index.story_title(str(story.id))
        except KeyError:
            return story.title

    def _story_for(self, key: str | None, article: Article, now: datetime) -> Story:
        story = self.session.get(Story, int(key)) if key else None
        if story is not None:
            return story
        story = create_story(self.session, article.title, now)
        self.index.release(str(story.id))
        return story


def _cluster_view(stored: IndexedArticle) -> tuple[ClusterItem, Features]:
    item = ClusterItem(
        id=str(stored.id),
        title=stored.title,
        text=stored.text,
        source=stored.source_name,
        url=stored.url,
        timestamp=stored.timestamp.replace(tzinfo=UTC).timestamp() if stored.timestamp else None,
    )
    return item, _features(stored)


def _features(stored: IndexedArticle) -> Features:
    # Articles stored before features were kept (or with a damaged blob) are featurised here.
    if stored.features:
        try:
            return decode_features(stored.features)
        except ValueError:
            log.warning("stage=stories article=%s error=unreadable features", stored.id)
    return extract_features(stored.title, stored.text)


def _stamp(moment: datetime | None) -> float | None:
    return None if moment is None else moment.replace(tzinfo=UTC).timestamp()


def _utcnow() -> datetime:
    return datetime.now(UTC)
