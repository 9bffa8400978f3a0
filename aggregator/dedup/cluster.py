"""Online story clustering: each article joins the best live story or starts one.

Shape of the algorithm (single-pass clustering as in TDT, Allan et al. 1998; feature set after
Miranda et al. 2018, "Multilingual Clustering of Streaming News"):

* duplicates first: an exact hash of the normalised text, then SimHash bands (4 x 16 bits, so
  any two fingerprints at most 3 bits apart share a band) find copies of a first-seen original;
* candidates come from an inverted index over each member's most salient terms, restricted to
  stories alive within ``window_days`` of the article, so the work per article is bounded;
* similarity is TF-IDF cosine (sublinear tf, idf from document frequencies counted incrementally
  over the whole stream) against the story centroid and its closest member, for the whole text
  and the headline, plus agreement on entity-ish terms (names, places, numbers), damped by time;
* on arrival an article joins only a story it clearly fits; the periodic re-check
  (:meth:`StoryIndex.fold_fragments`) re-decides small stories once their neighbours have taken
  shape, so an article that came early is not left on its own (a single pass with one loose bar
  would instead have to let the other event of the same kind in).

The index is in-memory state derived from stored articles: the caller rebuilds it on start by
calling :meth:`StoryIndex.insert` for the last window's articles in time order.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from aggregator.dedup.features import Features, extract_features
from aggregator.dedup.fingerprint import hamming
from aggregator.models import ClusterItem, StoryDecision

__all__ = ["ClusterSettings", "Reassignment", "RecheckClock", "StoryIndex", "rebuild_order"]

_DAY = 86400.0
_BANDS = 4
_BAND_BITS = 16


@dataclass(frozen=True, slots=True)
class ClusterSettings:
    """Operator settings for clustering; one set for every kind of corpus.

    Scores are cosines in [0, 1]. Articles with a body are compared on headline + lead + body
    (``join_threshold``, ``merge_threshold``); bare headlines on headlines only, whose cosines
    run lower (``headline_threshold``, ``headline_merge_threshold``).
    """

    #: Days around an article's time in which stories are candidates; older ones are evicted.
    window_days: float = 3.0
    #: Minimum score for an article with a body to join a story as it arrives.
    join_threshold: float = 0.40
    #: Minimum full-text centroid cosine for two stories the same article joins to be merged,
    #: when either holds an article with a body (whatever joined them: a headline too).
    merge_threshold: float = 0.70
    #: Minimum score for a bare headline to join a story.
    headline_threshold: float = 0.23
    #: Minimum headline-centroid cosine for two headline-only stories to be merged.
    headline_merge_threshold: float = 0.30
    #: Stories of at most this many articles are fragments, re-decided by the periodic re-check.
    fragment_size: int = 3
    #: Minimum mean score of a fragment's articles with a body for it to fold into a story.
    fragment_threshold: float = 0.25
    #: Minimum mean score of a fragment's bare headlines for it to fold into a story.
    headline_fragment_threshold: float = 0.23
    #: SimHash bits two bodies may differ by and still be copies (at most 3: 4 bands of 16).
    near_duplicate_bits: int = 3
    #: TF-IDF cosine of two bodies above which the later one is a rewrite of the earlier.
    near_duplicate_cosine: float = 0.9
    #: Term-count multiplier for headline words in the full-text vector.
    title_weight: float = 2.0
    #: Term-count multiplier for the lead (first 60 words) in the full-text vector.
    lead_weight: float = 1.5
    #: Share of the score given to agreement on names, places and numbers.
    entity_weight: float = 0.2
    #: Score multiplier when article and story mention years and none in common.
    date_conflict_factor: float = 0.75
    #: Half-width (days) of the time kernel around a story's mean publication time.
    time_scale_days: float = 0.5
    #: Salient terms of an article looked up in the inverted index.
    query_terms: int = 12
    #: Stories scored by centroid cosine per article (the best by shared salient terms).
    max_candidates: int = 40
    #: Best stories by centroid cosine that are also compared member by member.
    refine: int = 6
    #: Most recently updated stories kept per index term.
    posting_cap: int = 64
    #: Terms kept in a story centroid.
    centroid_terms: int = 300
    #: Most recent members of a story compared with a new article.
    member_sample: int = 16
    #: Minutes between re-checks: of wall time in the daemon, of article time in offline runs.
    recheck_minutes: float = 10.0
    #: How much closer another story must be before recheck suggests moving an article.
    recheck_margin: float = 0.05
    #: Stories that took an article among the last this many are kept past the window, so a
    #: backfill of older articles (a new source's archive) still clusters among itself.
    keep_recent: int = 2000


@dataclass(frozen=True, slots=True)
class Reassignment:
    """A suggestion from :meth:`StoryIndex.recheck`.

    With ``item`` set, move that article from ``source`` to ``target``; with ``item`` None, fold
    story ``source`` into story ``target``.
    """

    item: str | None
    source: str
    target: str
    score: float


@dataclass(slots=True)
class RecheckClock:
    """When the re-check is due on the articles' own clock.

    It falls due with an article dated ``recheck_minutes`` past the last re-check (or the first
    dated article): a replay, a backfill and the offline command then re-check at the same
    points of a stream, and a live feed, whose articles arrive as they are published, about
    as often as the daemon's periodic job. Undated articles never make it due.
    """

    settings: ClusterSettings
    due: float | None = None

    def tick(self, timestamp: float | None) -> float | None:
        """Note an article's time; when the re-check is due, where it starts (a window back)."""
        if timestamp is None:
            return None
        ready = self.due is not None and timestamp >= self.due
        if self.due is None or ready:
            self.due = timestamp + self.settings.recheck_minutes * 60
        return timestamp - self.settings.window_days * _DAY if ready else None


@dataclass(slots=True)
class _Member:
    id: str
    title: str
    doc: dict[str, float]
    title_terms: dict[str, float]
    title_unit: dict[str, float]
    timestamp: float | None
    duplicate_of: str | None
    # Raw counts, so the re-check can weigh the article again with today's idf.
    terms: dict[str, float] = field(default_factory=dict)  # what a probe compares: doc or title
    entities: dict[str, float] = field(default_factory=dict)
    years: frozenset[str] = frozenset()
    headline: bool = False  # came without a body


@dataclass(slots=True)
class _Story:
    key: str
    doc: dict[str, float] = field(default_factory=dict)
    title: dict[str, float] = field(default_factory=dict)
    entities: dict[str, float] = field(default_factory=dict)
    members: list[_Member] = field(default_factory=list)
    fingerprints: list[tuple[str, str, int | None]] = field(default_factory=list)
    posted: set[str] = field(default_factory=set)
    norms: dict[str, tuple[int, float]] = field(default_factory=dict)
    aliases: set[str] = field(default_factory=set)
    size: int = 0
    bodies: int = 0  # members that came with a body, not just a headline
    years: set[str] = field(default_factory=set)
    first: float | None = None
    time_sum: float = 0.0
    time_count: int = 0
    last: float | None = None
    arrival: int = 0  # insert sequence number of the latest member


@dataclass(frozen=True, slots=True)
class _Original:
    id: str
    story: str
    simhash: int | None


@dataclass(frozen=True, slots=True)
class _Probe:
    """One article's weighted vectors, computed once per decision.

    ``field`` is the story centroid compared against: ``doc`` (headline, lead and body) when the
    article has a body, else ``title``, so a bare headline meets headlines, not long bodies.
    """

    field: str
    unit: dict[str, float]
    unit_idf: dict[str, float]
    entities: dict[str, float]
    years: frozenset[str]
    timestamp: float | None


@dataclass(frozen=True, slots=True)
class _Scored:
    story: str
    score: float
    near: str | None = None


def _add(target: dict[str, float], terms: dict[str, float], scale: float = 1.0) -> None:
    for term, weight in terms.items():
        target[term] = target.get(term, 0.0) + weight * scale


def _cap(terms: dict[str, float], size: int) -> dict[str, float]:
    if len(terms) <= size:
        return terms
    return dict(heapq.nlargest(size, terms.items(), key=lambda kv: kv[1]))


def _combine(features: Features, settings: ClusterSettings) -> dict[str, float]:
    doc: dict[str, float] = {}
    _add(doc, features.body)
    _add(doc, features.lead, settings.lead_weight)
    _add(doc, features.title, settings.title_weight)
    return doc


class StoryIndex:
    """Live stories of the last window, their inverted index and duplicate fingerprints."""

    def __init__(self, settings: ClusterSettings | None = None) -> None:
        self.settings = settings or ClusterSettings()
        self._df: Counter[str] = Counter()
        self._docs = 0
        self._stories: dict[str, _Story] = {}
        self._alias: dict[str, str] = {}
        self._postings: dict[str, dict[str, None]] = {}
        self._exact: dict[str, _Original] = {}
        self._bands: list[dict[int, list[_Original]]] = [{} for _ in range(_BANDS)]
        self._expiry: list[tuple[float, str]] = []
        # Stories past the window but still recent in arrival order, oldest arrival first.
        self._aging: deque[tuple[int, str]] = deque()
        self._arrivals = 0
        self._settled_at = 0  # arrivals when the last re-check ran
        self._newest: float | None = None
        self._roots: dict[str, str] = {}
        self._memo: tuple[ClusterItem, Features] | None = None

    def _features(self, item: ClusterItem) -> Features:
        """Features of ``item``; the last one is kept, as ``insert`` usually follows ``decide``."""
        if self._memo is not None and self._memo[0] == item:
            return self._memo[1]
        features = extract_features(item.title, item.text)
        self._memo = (item, features)
        return features

    # ----------------------------------------------------------------- weighting
    def _idf(self, term: str) -> float:
        """Smoothed idf, counting the article being decided as one more document that has it."""
        return math.log((self._docs + 2) / (self._df.get(term, 0) + 2)) + 1.0

    def _idf_weighted(self, terms: dict[str, float]) -> dict[str, float]:
        """``weight * idf`` for every term (the hot loop, so :meth:`_idf` is inlined)."""
        base, df, log = math.log(self._docs + 2) + 1.0, self._df, math.log
        return {t: w * (base - log(df.get(t, 0) + 2)) for t, w in terms.items()}

    def _weigh(self, terms: dict[str, float]) -> dict[str, float]:
        weighted = self._idf_weighted(terms)
        norm = math.sqrt(sum(w * w for w in weighted.values())) or 1.0
        return {t: w / norm for t, w in weighted.items()}

    def _probe(self, terms: dict[str, float]) -> dict[str, float]:
        """Unit TF-IDF weights times idf once more: dotted with raw counts, gives a cosine."""
        return self._idf_weighted(self._weigh(terms))

    def _norm(self, record: _Story, name: str, terms: dict[str, float]) -> float:
        """Idf-weighted norm of a centroid, cached until it changes or the corpus grows 2%."""
        cached = record.norms.get(name)
        if cached is not None and self._docs <= cached[0] * 1.02 + 1:
            return cached[1]
        norm = math.sqrt(sum(w * w for w in self._idf_weighted(terms).values()))
        record.norms[name] = (self._docs, norm)
        return norm

    def _cosine(self, probe: dict[str, float], record: _Story, name: str) -> float:
        """Cosine of a probe against the story's centroid ``name`` weighted by current idf."""
        terms: dict[str, float] = getattr(record, name)
        if not probe or not terms:
            return 0.0
        norm = self._norm(record, name, terms)
        return _dot(probe, terms) / norm if norm else 0.0

    # ----------------------------------------------------------------- public API
    def decide(self, item: ClusterItem, features: Features | None = None) -> StoryDecision:
        """Where ``item`` belongs; reads the index, changes nothing.

        ``features`` are the item's own, when the caller has them already (the extraction
        stage stores them beside each article).
        """
        features = features or self._features(item)
        original = self._find_duplicate(features)
        if original is not None:
            story = self._resolve(original.story)
            root = self._root(original.id)
            return StoryDecision(story=story, duplicate_of=root, score=1.0)
        doc = _combine(features, self.settings)
        probe = self._item_probe(item, features, doc)
        scored = self._score_candidates(doc, probe)
        near = next((s for s in scored if s.near is not None), None)
        if near is not None and near.near is not None:
            return StoryDecision(story=near.story, duplicate_of=self._root(near.near), score=1.0)
        if not scored or scored[0].score < self._threshold(probe, merge=False):
            best = scored[0].score if scored else 0.0
            return StoryDecision(story=None, score=best)
        return StoryDecision(
            story=scored[0].story, merge=self._converging(scored, probe), score=scored[0].score
        )

    def _converging(self, scored: list[_Scored], probe: _Probe) -> tuple[str, ...]:
        """Other stories this article also joins whose centroids have grown alike the best one's."""
        joined = [s for s in scored[1:] if s.score >= self._threshold(probe, merge=False)]
        if not joined:
            return ()
        best = self._stories[scored[0].story]
        return tuple(s.story for s in joined if self._alike(best, self._stories[s.story], probe))

    def _alike(self, best: _Story, other: _Story, probe: _Probe) -> bool:
        """Whether two stories' centroids have converged enough to fold them into one.

        A story with a body is judged on full text whatever brought the two together: a bare
        headline (or a one-line item) that clears the loose headline bar against two full-text
        stories shows that they are of one kind, not that they report one event.
        """
        if best.bodies or other.bodies:
            field, floor = "doc", self.settings.merge_threshold
        else:
            field, floor = probe.field, self._threshold(probe, merge=True)
        return self._cosine(self._probe(getattr(best, field)), other, field) >= floor

    def _threshold(self, probe: _Probe, *, merge: bool) -> float:
        settings = self.settings
        if probe.field == "title":
            return settings.headline_merge_threshold if merge else settings.headline_threshold
        return settings.merge_threshold if merge else settings.join_threshold

    def insert(
        self,
        item: ClusterItem,
        story: str,
        duplicate_of: str | None,
        features: Features | None = None,
    ) -> None:
        """Add ``item`` to story ``story`` (created when new); decides nothing."""
        features = features or self._features(item)
        self._count(features)
        key = self._resolve(story)
        record = self._stories.get(key)
        if record is None:
            record = self._stories[key] = _Story(key=key)
        self._arrivals += 1
        record.arrival = self._arrivals
        self._attach(record, item, features, duplicate_of)
        self._evict()

    def merge(self, into: str, other: str) -> None:
        """Fold story ``other`` into story ``into``."""
        target_key, other_key = self._resolve(into), self._resolve(other)
        if target_key == other_key or other_key not in self._stories:
            return
        target = self._stories.get(target_key)
        if target is None:
            target = self._stories[target_key] = _Story(key=target_key)
        source = self._stories.pop(other_key)
        target.arrival = max(target.arrival, source.arrival)
        self._fold(target, source)

    def release(self, key: str) -> None:
        """Let a new story take ``key``, which a merged-away story had.

        A store may hand out a deleted story's id again (SQLite reuses the highest freed
        rowid); the key must then stop resolving to the story it was merged into.
        """
        target = self._alias.pop(key, None)
        if target is not None and target in self._stories:
            self._stories[target].aliases.discard(key)

    def story_title(self, story: str) -> str:
        """The headline closest to the story's headline centroid (its most typical wording)."""
        record = self._stories[self._resolve(story)]
        best = max(
            record.members, key=lambda m: self._cosine(self._probe(m.title_terms), record, "title")
        )
        return best.title

    def stories(self) -> list[str]:
        """Keys of the live stories."""
        return list(self._stories)

    def recheck(self, since: float | None) -> list[Reassignment]:
        """Re-score what changed at or after ``since`` against today's statistics; suggest fixes.

        Returns story merges first (:meth:`converged`), then :meth:`moves`. Changes nothing.
        """
        suggestions = self.converged(since)
        return suggestions + self.moves(since, skip={s.source for s in suggestions})

    def moves(self, since: float | None, skip: set[str] | None = None) -> list[Reassignment]:
        """Single articles, of stories touched at or after ``since``, that now sit clearly
        closer (by ``recheck_margin``) to another story's centroid than to their own."""
        found = []
        for record in self._stories.values():
            if (skip and record.key in skip) or not self._touched(record, since):
                continue
            for member in record.members:
                if since is None or member.timestamp is None or member.timestamp >= since:
                    found.extend(self._recheck_member(record, member))
        return found

    def settle(self, since: float | None = None) -> list[Reassignment]:
        """The re-check's changes: merge converged stories, then fold fragments.

        Returns every fold made (``source`` into ``target``), in order, for the caller to
        record as it records the merges of :meth:`decide`. Changes the index.
        """
        made = []
        for merge in self.converged(since):
            source, target = self._resolve(merge.source), self._resolve(merge.target)
            if source != target and source in self._stories:
                self.merge(target, source)
                made.append(Reassignment(None, source, target, merge.score))
        made += self.fold_fragments(since)
        self._settled_at = self._arrivals
        return made

    def _touched(self, record: _Story, since: float | None) -> bool:
        """Whether ``record`` is the re-check's business: an article joined it at or after
        ``since`` (every story when None).

        An undated story has no place in time; it counts as touched when an article joined it
        since the last re-check. Counting every undated story at every re-check made a stream
        with many undated pages cost a pass over all of them per re-check (quadratic); the
        re-check with ``since`` None (after a replay, in the daemon's first pass) still sees
        them all.
        """
        if since is None:
            return True
        if record.last is None:
            return record.arrival > self._settled_at
        return record.last >= since

    def converged(self, since: float | None) -> list[Reassignment]:
        """Pairs of live stories with bodies, one touched at or after ``since``, whose
        centroids now meet ``merge_threshold``: fold ``source`` into ``target``. Changes
        nothing."""
        return self._recheck_merges([r for r in self._stories.values() if self._touched(r, since)])

    def fold_fragments(self, since: float | None = None) -> list[Reassignment]:
        """Fold small stories into the story their articles now fit; returns the folds made.

        An article joins a story on arrival only when it clearly fits (``join_threshold``),
        so one that comes before its story has taken shape starts a fragment of its own.
        Here each fragment (at most ``fragment_size`` articles, touched at or after ``since``;
        all when None) is re-decided as if its articles arrived now, with today's idf and
        today's stories: it folds into the story its articles score best against on average,
        when that mean clears the fragment bar. The best-scoring fragments fold first, each
        re-scored just before, as earlier folds change the stories. Unlike :meth:`recheck`,
        this changes the index; the caller records the folds (``source`` into ``target``).
        """
        fragments = [
            r for r in self._stories.values() if self._fragment(r) and self._touched(r, since)
        ]
        ranked = [fold for r in fragments if (fold := self._fragment_fold(r)) is not None]
        ranked.sort(key=lambda fold: fold.score, reverse=True)
        folds = []
        for first_look in ranked:
            record = self._stories.get(first_look.source)
            if record is None or not self._fragment(record):
                continue
            fold = self._fragment_fold(record)
            if fold is not None:
                self.merge(fold.target, fold.source)
                folds.append(fold)
        return folds

    def _fragment(self, record: _Story) -> bool:
        return bool(record.members) and len(record.members) <= self.settings.fragment_size

    def _fragment_fold(self, record: _Story) -> Reassignment | None:
        """The story a fragment's articles score best against on average, when that mean
        clears the mean of their bars (``fragment_threshold`` for an article with a body,
        ``headline_fragment_threshold`` for a bare headline); else None."""
        totals: dict[str, float] = {}
        bar = 0.0
        for member in record.members:
            probe = self._make_probe(
                member.terms,
                member.entities,
                member.years,
                member.timestamp,
                headline=member.headline,
            )
            bar += self._fragment_bar(member.headline)
            # A story missing from one member's candidates adds nothing: it scored too low.
            for scored in self._score_candidates(member.terms, probe, exclude=record.key):
                totals[scored.story] = totals.get(scored.story, 0.0) + scored.score
        if not totals:
            return None
        target, total = max(totals.items(), key=_second)
        if total < bar:
            return None
        return Reassignment(None, record.key, target, total / len(record.members))

    def _fragment_bar(self, headline: bool) -> float:
        settings = self.settings
        return settings.headline_fragment_threshold if headline else settings.fragment_threshold

    # ----------------------------------------------------------------- duplicates
    def _find_duplicate(self, features: Features) -> _Original | None:
        exact = self._exact.get(features.exact)
        if exact is not None:
            return exact
        if features.simhash is None:
            return None
        best: _Original | None = None
        for band, table in enumerate(self._bands):
            for original in table.get(_band(features.simhash, band), ()):
                assert original.simhash is not None
                distance = hamming(original.simhash, features.simhash)
                if distance <= self.settings.near_duplicate_bits and (best is None):
                    best = original
        return best

    def _root(self, item_id: str) -> str:
        """The first-seen original that ``item_id`` copies (itself when it is an original)."""
        return self._roots.get(item_id, item_id)

    # ----------------------------------------------------------------- candidates
    def _salient(self, doc: dict[str, float]) -> list[str]:
        ranked = heapq.nlargest(
            self.settings.query_terms, doc.items(), key=lambda kv: kv[1] * self._idf(kv[0])
        )
        return [term for term, _ in ranked]

    def _in_window(self, record: _Story, timestamp: float | None) -> bool:
        if timestamp is None or record.first is None or record.last is None:
            return True
        span = self.settings.window_days * _DAY
        return record.first - span <= timestamp <= record.last + span

    def _candidates(self, doc: dict[str, float], timestamp: float | None) -> list[_Story]:
        votes: dict[str, float] = {}
        for term in self._salient(doc):
            idf = self._idf(term)
            for key in self._postings.get(term, ()):
                votes[key] = votes.get(key, 0.0) + idf
        found = []
        for key, _ in heapq.nlargest(self.settings.max_candidates, votes.items(), key=_second):
            record = self._stories.get(key)
            if record is not None and self._in_window(record, timestamp):
                found.append(record)
        return found

    def _make_probe(
        self,
        terms: dict[str, float],
        entities: dict[str, float],
        years: frozenset[str],
        timestamp: float | None,
        *,
        headline: bool,
    ) -> _Probe:
        unit = self._weigh(terms)
        return _Probe(
            field="title" if headline else "doc",
            unit=unit,
            unit_idf=self._idf_weighted(unit),
            entities=self._probe(entities),
            years=years,
            timestamp=timestamp,
        )

    def _item_probe(self, item: ClusterItem, features: Features, doc: dict[str, float]) -> _Probe:
        """``doc`` is the article's combined counts, used as the probe when it has a body."""
        headline = not features.lead
        terms = features.title if headline else doc
        return self._make_probe(
            terms, features.entities, features.years, item.timestamp, headline=headline
        )

    def _score_candidates(
        self, doc: dict[str, float], probe: _Probe, exclude: str | None = None
    ) -> list[_Scored]:
        candidates = [r for r in self._candidates(doc, probe.timestamp) if r.key != exclude]
        # Centroid cosine first; the costlier member comparisons only for the closest few.
        rough = [(self._cosine(probe.unit_idf, r, probe.field), r) for r in candidates]
        rough = heapq.nlargest(self.settings.refine, rough, key=lambda pair: pair[0])
        scored = [self._similarity(r, probe, centroid) for centroid, r in rough]
        scored.sort(key=lambda s: s.score, reverse=True)
        return scored

    def _similarity(self, record: _Story, probe: _Probe, centroid: float) -> _Scored:
        recent = record.members[-self.settings.member_sample :]
        closest, member = None, 0.0
        for candidate in recent:
            vector = candidate.title_unit if probe.field == "title" else candidate.doc
            similarity = _dot(probe.unit, vector)
            if similarity > member:
                closest, member = candidate, similarity
        text = max(centroid, member)
        if probe.entities and record.entities:
            agree = self._cosine(probe.entities, record, "entities")
            text = (1 - self.settings.entity_weight) * text + self.settings.entity_weight * agree
        if probe.years and record.years and probe.years.isdisjoint(record.years):
            # The article and the story name different years: likely another event of the kind.
            text *= self.settings.date_conflict_factor
        score = text * self._decay(record, probe.timestamp)
        # A rewrite keeps nearly all of its original's weighted vocabulary (bodies only: two
        # outlets may well write the same short headline about different things).
        near = member >= self.settings.near_duplicate_cosine and probe.field == "doc"
        return _Scored(record.key, score, closest.id if near and closest else None)

    def _decay(self, record: _Story, timestamp: float | None) -> float:
        """Damp by the distance to the story's mean time: a story that has run for days
        grows old even while it keeps receiving articles (news attention fades)."""
        if timestamp is None or not record.time_count:
            return 1.0
        gap = abs(timestamp - record.time_sum / record.time_count)
        # A Cauchy kernel: flat for follow-ups within the scale, falling fast beyond it.
        return 1.0 / (1.0 + (gap / (self.settings.time_scale_days * _DAY)) ** 2)

    # ----------------------------------------------------------------- updates
    def _count(self, features: Features) -> None:
        self._docs += 1
        terms = set(features.title) | set(features.lead) | set(features.body)
        self._df.update(terms | set(features.entities))

    def _attach(
        self, record: _Story, item: ClusterItem, features: Features, duplicate_of: str | None
    ) -> None:
        doc = _combine(features, self.settings)
        member = _Member(
            id=item.id,
            title=item.title,
            doc=self._weigh(doc),
            title_terms=features.title,
            title_unit=self._weigh(features.title),
            timestamp=item.timestamp,
            duplicate_of=duplicate_of,
            terms=doc if features.lead else features.title,
            entities=features.entities,
            years=features.years,
            headline=not features.lead,
        )
        record.fingerprints.append((item.id, features.exact, features.simhash))
        if duplicate_of is not None:
            self._roots[item.id] = self._root(duplicate_of)
        self._register(record.key, item.id, features)
        if duplicate_of is None or not record.members:
            self._absorb(record, member, doc, features)
        record.size += 1
        record.bodies += bool(features.lead)
        if item.timestamp is not None:
            record.time_sum += item.timestamp
            record.time_count += 1
        self._touch(record, item.timestamp)

    def _absorb(
        self, record: _Story, member: _Member, doc: dict[str, float], features: Features
    ) -> None:
        settings = self.settings
        record.members.append(member)
        record.norms.clear()
        if len(record.members) > 4 * settings.member_sample:
            del record.members[: settings.member_sample]
        record.doc = _cap(_merged(record.doc, doc), settings.centroid_terms)
        record.years |= features.years
        record.title = _cap(_merged(record.title, features.title), settings.centroid_terms)
        record.entities = _cap(_merged(record.entities, features.entities), settings.centroid_terms)
        for term in self._salient(doc):
            self._post(term, record)

    def _post(self, term: str, record: _Story) -> None:
        posting = self._postings.setdefault(term, {})
        posting.pop(record.key, None)
        posting[record.key] = None
        record.posted.add(term)
        if len(posting) > self.settings.posting_cap:
            del posting[next(iter(posting))]

    def _register(self, story: str, item_id: str, features: Features) -> None:
        original = _Original(item_id, story, features.simhash)
        self._exact.setdefault(features.exact, original)
        if features.simhash is not None:
            for band, table in enumerate(self._bands):
                table.setdefault(_band(features.simhash, band), []).append(original)

    def _touch(self, record: _Story, timestamp: float | None) -> None:
        if timestamp is None:
            return
        record.first = timestamp if record.first is None else min(record.first, timestamp)
        record.last = timestamp if record.last is None else max(record.last, timestamp)
        self._newest = timestamp if self._newest is None else max(self._newest, timestamp)
        heapq.heappush(self._expiry, (record.last, record.key))

    def _resolve(self, key: str) -> str:
        while key in self._alias:
            key = self._alias[key]
        return key

    def _fold(self, target: _Story, source: _Story) -> None:
        settings = self.settings
        target.doc = _cap(_merged(target.doc, source.doc), settings.centroid_terms)
        target.years |= source.years
        target.title = _cap(_merged(target.title, source.title), settings.centroid_terms)
        target.entities = _cap(_merged(target.entities, source.entities), settings.centroid_terms)
        target.members.extend(source.members)
        target.norms.clear()
        target.fingerprints.extend(source.fingerprints)
        target.size += source.size
        target.bodies += source.bodies
        target.time_sum += source.time_sum
        target.time_count += source.time_count
        target.aliases |= source.aliases | {source.key}
        for alias in source.aliases | {source.key}:  # one hop, so a key can be released
            self._alias[alias] = target.key
        for term in source.posted:
            posting = self._postings.get(term)
            if posting is not None:
                posting.pop(source.key, None)
            self._post(term, target)
        for stamp in (source.first, source.last):
            self._touch(target, stamp)

    # ----------------------------------------------------------------- eviction
    def _evict(self) -> None:
        if self._newest is None:
            return
        # A story leaves when it is older than the window AND no recent article joined it:
        # the newest timestamp alone would evict an out-of-order (backfilled) story the moment
        # it was created.
        horizon = self._newest - self.settings.window_days * _DAY
        recent = self._arrivals - self.settings.keep_recent
        while self._expiry and self._expiry[0][0] < horizon:
            last, key = heapq.heappop(self._expiry)
            record = self._stories.get(key)
            if record is None or record.last != last:
                continue
            if record.arrival > recent:
                self._aging.append((record.arrival, key))
            else:
                self._drop(record)
        while self._aging and self._aging[0][0] <= recent:
            arrival, key = self._aging.popleft()
            record = self._stories.get(key)
            if record is None or (record.last or 0.0) >= horizon:
                continue
            if record.arrival == arrival:
                self._drop(record)
            else:  # an article joined since: wait until that arrival is old too
                self._aging.append((record.arrival, key))

    def _drop(self, record: _Story) -> None:
        del self._stories[record.key]
        for term in record.posted:
            posting = self._postings.get(term)
            if posting is not None:
                posting.pop(record.key, None)
                if not posting:
                    del self._postings[term]
        for item_id, exact, fingerprint in record.fingerprints:
            self._roots.pop(item_id, None)
            if self._exact.get(exact, None) is not None and self._exact[exact].id == item_id:
                del self._exact[exact]
            if fingerprint is not None:
                self._unband(item_id, fingerprint)
        for alias in record.aliases:
            self._alias.pop(alias, None)

    def _unband(self, item_id: str, fingerprint: int) -> None:
        for band, table in enumerate(self._bands):
            value = _band(fingerprint, band)
            kept = [o for o in table.get(value, ()) if o.id != item_id]
            if kept:
                table[value] = kept
            else:
                table.pop(value, None)

    # ----------------------------------------------------------------- recheck
    def _recheck_merges(self, recent: list[_Story]) -> list[Reassignment]:
        # Only stories with bodies: bare headlines share too few words for their centroids'
        # likeness to mean one event (they merge when one article joins both, see _alike).
        found: list[Reassignment] = []
        folded: set[str] = set()
        for record in recent:
            if record.key in folded or not record.bodies:
                continue
            probe = self._probe(record.doc)
            for other in self._nearby(record):
                if other.key in folded or other.key == record.key or not other.bodies:
                    continue
                score = self._cosine(probe, other, "doc")
                if score >= self.settings.merge_threshold:
                    found.append(Reassignment(None, other.key, record.key, score))
                    folded.add(other.key)
        return found

    def _nearby(self, record: _Story) -> list[_Story]:
        keys = {k for term in record.posted for k in self._postings.get(term, ())}
        return [self._stories[k] for k in keys if k in self._stories]

    def _recheck_member(self, record: _Story, member: _Member) -> list[Reassignment]:
        if len(record.members) < 2:
            return []
        probe = self._idf_weighted(member.doc)
        own = self._cosine(probe, record, "doc")
        best: tuple[float, str] | None = None
        for other in self._nearby(record):
            if other.key != record.key and self._in_window(other, member.timestamp):
                score = self._cosine(probe, other, "doc")
                if best is None or score > best[0]:
                    best = (score, other.key)
        if best is None or best[0] < own + self.settings.recheck_margin:
            return []
        return [Reassignment(member.id, record.key, best[1], best[0])]


def _second(pair: tuple[str, float]) -> float:
    return pair[1]


def _band(fingerprint: int, band: int) -> int:
    return (fingerprint >> (band * _BAND_BITS)) & ((1 << _BAND_BITS) - 1)


def _dot(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(t, 0.0) for t, w in a.items())


def _merged(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    out = dict(a)
    _add(out, b)
    return out


def rebuild_order(items: Iterable[ClusterItem]) -> list[ClusterItem]:
    """Items sorted by timestamp (None last): the order in which a rebuild inserts them."""
    return sorted(items, key=lambda i: (i.timestamp is None, i.timestamp or 0.0))
