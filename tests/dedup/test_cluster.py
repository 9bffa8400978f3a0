from __future__ import annotations

from dataclasses import replace

from aggregator.dedup.cluster import ClusterSettings, Reassignment, RecheckClock, StoryIndex
from aggregator.dedup.features import extract_features
from aggregator.dedup.offline import cluster_items
from aggregator.models import ClusterItem

DAY = 86400.0
T0 = 1_700_000_000.0

QUAKE_CHILE = ClusterItem(
    id="chile-1",
    title="Magnitude 8.8 earthquake strikes central Chile",
    text=(
        "A magnitude 8.8 earthquake struck central Chile early on Saturday, 27 February 2010, "
        "shaking the capital Santiago and the city of Concepcion. Buildings collapsed in "
        "Concepcion and Talcahuano, and the government of President Michelle Bachelet declared "
        "a state of catastrophe in the Maule and Biobio regions. A tsunami warning was issued "
        "across the Pacific. Officials in Santiago said at least 300 people had died."
    ),
    timestamp=T0,
)
# The Chile report lightly edited two minutes later: a near-duplicate of it.
REWRITE_CHILE = ClusterItem(
    id="rewrite",
    title=QUAKE_CHILE.title,
    text=QUAKE_CHILE.text.replace("early on Saturday", "on Saturday morning"),
    timestamp=T0 + 120,
)
QUAKE_CHILE_2 = ClusterItem(
    id="chile-2",
    title="Chile quake: Bachelet declares catastrophe as death toll rises",
    text=(
        "The death toll from the 8.8 magnitude earthquake that hit Chile on 27 February 2010 "
        "rose above 700, President Michelle Bachelet said, declaring a state of catastrophe in "
        "Maule and Biobio. Rescuers searched collapsed buildings in Concepcion, where the "
        "shaking was strongest, while Talcahuano counted damage from the tsunami. Santiago "
        "airport stayed closed."
    ),
    timestamp=T0 + 0.3 * DAY,
)
QUAKE_JAPAN = ClusterItem(
    id="japan-1",
    title="Magnitude 9.0 earthquake strikes north-east Japan",
    text=(
        "A magnitude 9.0 earthquake struck off the coast of Tohoku in north-east Japan on "
        "Friday, 11 March 2011, setting off a tsunami that swept into Sendai and Miyagi. Prime "
        "Minister Naoto Kan said the government had set up an emergency headquarters in Tokyo. "
        "The Fukushima nuclear plant operator TEPCO reported cooling failures. Police in Miyagi "
        "said hundreds of people had died."
    ),
    timestamp=T0 + 0.5 * DAY,
)


def _run(items: list[ClusterItem], settings: ClusterSettings | None = None) -> dict[str, str]:
    rows = cluster_items(items, settings or ClusterSettings())
    return {row["id"]: row["story"] for row in rows}


def test_same_event_in_other_words_joins() -> None:
    stories = _run([QUAKE_CHILE, QUAKE_CHILE_2])
    assert stories["chile-2"] == stories["chile-1"] == "chile-1"


def test_same_kind_of_event_elsewhere_stays_apart() -> None:
    stories = _run([QUAKE_CHILE, QUAKE_JAPAN, QUAKE_CHILE_2])
    assert stories["japan-1"] != stories["chile-1"]
    assert stories["chile-2"] == stories["chile-1"]


def test_exact_copy_points_to_first_seen_original() -> None:
    copy = ClusterItem(
        id="copy", title="Chile earthquake", text=QUAKE_CHILE.text.upper(), timestamp=T0 + 60
    )
    index = StoryIndex()
    index.insert(QUAKE_CHILE, "s1", None)
    decision = index.decide(copy)
    assert decision.story == "s1"
    assert decision.duplicate_of == "chile-1"


def test_lightly_edited_rewrite_is_a_near_duplicate_of_the_root() -> None:
    rewrite = REWRITE_CHILE
    second = ClusterItem(
        id="second",
        title=QUAKE_CHILE.title,
        text=rewrite.text.replace("at least 300", "more than 300"),
        timestamp=T0 + 180,
    )
    rows = list(cluster_items([QUAKE_CHILE, rewrite, second], ClusterSettings()))
    assert [row["duplicate_of"] for row in rows] == [None, "chile-1", "chile-1"]
    assert {row["story"] for row in rows} == {"chile-1"}


def test_headline_duplicates_only_when_exact() -> None:
    a = ClusterItem(id="a", title="Stocks fall at the open", text="", timestamp=T0)
    b = ClusterItem(id="b", title="Stocks fall at the open", text="", timestamp=T0 + 10)
    c = ClusterItem(id="c", title="Stocks rise at the open", text="", timestamp=T0 + 20)
    rows = {row["id"]: row for row in cluster_items([a, b, c], ClusterSettings())}
    assert rows["b"]["duplicate_of"] == "a"
    assert rows["c"]["duplicate_of"] is None


def test_chinese_and_japanese_headlines_cluster_by_character_bigrams() -> None:
    items = [
        ClusterItem(
            id="zh-1", title="日本东北地区发生9级强烈地震并引发海啸", text="", timestamp=T0
        ),
        ClusterItem(
            id="zh-2", title="日本东北发生强烈地震 海啸袭击仙台", text="", timestamp=T0 + 600
        ),
        ClusterItem(id="zh-3", title="欧洲央行宣布维持利率不变", text="", timestamp=T0 + 900),
        ClusterItem(id="ja-1", title="東北地方で震度7の地震、津波警報", text="", timestamp=T0 + 60),
        ClusterItem(id="ja-2", title="東北地方の地震 津波警報を発表", text="", timestamp=T0 + 120),
    ]
    stories = _run(items)
    assert stories["zh-2"] == stories["zh-1"]
    assert stories["zh-3"] != stories["zh-1"]
    assert stories["ja-2"] == stories["ja-1"]


def test_window_eviction_forgets_old_stories() -> None:
    # keep_recent=1: only the story of the very latest article outlives the window
    settings = ClusterSettings(window_days=3.0, keep_recent=1)
    index = StoryIndex(settings)
    index.insert(QUAKE_CHILE, "chile", None)
    later = ClusterItem(id="later", title="Unrelated", text="", timestamp=T0 + 10 * DAY)
    index.insert(later, "later", None)
    assert index.stories() == ["later"]
    again = ClusterItem(
        id="again", title=QUAKE_CHILE_2.title, text=QUAKE_CHILE_2.text, timestamp=T0 + 10 * DAY
    )
    assert index.decide(again).story is None
    assert index.decide(QUAKE_CHILE).duplicate_of is None


def test_candidates_come_from_the_time_window_around_the_article() -> None:
    index = StoryIndex(ClusterSettings(window_days=3.0))
    index.insert(QUAKE_CHILE, "chile", None)
    far = ClusterItem(
        id="far", title=QUAKE_CHILE_2.title, text=QUAKE_CHILE_2.text, timestamp=T0 - 5 * DAY
    )
    assert index.decide(far).score == 0.0  # the story is no candidate at all
    assert index.decide(QUAKE_CHILE_2).score > 0.3


def test_insert_follows_the_callers_choice_and_merge_folds_stories() -> None:
    index = StoryIndex()
    index.insert(QUAKE_CHILE, "a", None)
    index.insert(QUAKE_CHILE_2, "b", None)  # the caller's choice is kept, not re-decided
    assert sorted(index.stories()) == ["a", "b"]
    index.merge("a", "b")
    assert index.stories() == ["a"]
    index.insert(QUAKE_JAPAN, "b", None)  # an old key resolves to the story it was merged into
    assert index.stories() == ["a"]
    assert index.story_title("b") in {QUAKE_CHILE.title, QUAKE_CHILE_2.title, QUAKE_JAPAN.title}


def test_headline_joining_two_headline_stories_folds_them() -> None:
    index = StoryIndex()
    for key, title, offset in (
        ("a", "Oil prices jump as Opec cuts output", 0),
        ("b", "Opec output cut sends oil prices higher", 600),
    ):
        index.insert(ClusterItem(id=key, title=title, text="", timestamp=T0 + offset), key, None)
    decision = index.decide(
        ClusterItem(
            id="c", title="Oil prices jump after Opec output cut", text="", timestamp=T0 + 1200
        )
    )
    assert decision.story == "a"
    assert decision.merge == ("b",)


def test_bare_headline_does_not_fold_two_full_text_stories() -> None:
    # The headline fits both quakes; only the bodies tell the events apart, and they differ.
    index = StoryIndex()
    index.insert(QUAKE_CHILE, "chile", None)
    index.insert(QUAKE_JAPAN, "japan", None)
    bare = ClusterItem(
        id="bare", title="Magnitude earthquake strikes", text="", timestamp=T0 + 0.6 * DAY
    )
    decision = index.decide(bare)
    assert decision.story in {"chile", "japan"}
    assert decision.merge == ()


def test_story_title_is_the_most_typical_headline() -> None:
    index = StoryIndex()
    titles = [
        "Bank of England holds rates at 5.25 percent",
        "Bank of England holds interest rates at 5.25 percent",
        "Markets shrug as the central bank waits",
    ]
    for n, title in enumerate(titles):
        index.insert(ClusterItem(id=str(n), title=title, text="", timestamp=T0 + n), "s", None)
    assert index.story_title("s") in titles[:2]


def test_recheck_suggests_moving_a_misplaced_article() -> None:
    index = StoryIndex()
    index.insert(QUAKE_CHILE, "chile", None)
    index.insert(QUAKE_CHILE_2, "chile", None)
    index.insert(QUAKE_JAPAN, "japan", None)
    stray = ClusterItem(
        id="stray", title=QUAKE_CHILE_2.title, text=QUAKE_CHILE_2.text + " Update.", timestamp=T0
    )
    index.insert(stray, "japan", None)
    moves = index.recheck(T0 - DAY)
    assert Reassignment("stray", "japan", "chile", moves[0].score) in moves
    assert all(m.item != "chile-2" for m in moves)


def test_decide_reads_only() -> None:
    index = StoryIndex()
    index.insert(QUAKE_CHILE, "chile", None)
    first = index.decide(QUAKE_CHILE_2)
    assert index.decide(QUAKE_CHILE_2) == first
    assert index.stories() == ["chile"]


def test_copy_of_a_copy_points_to_the_first_original() -> None:
    rewrite = REWRITE_CHILE
    copy = ClusterItem(id="copy", title="Chile", text=rewrite.text, timestamp=T0 + 240)
    rows = list(cluster_items([QUAKE_CHILE, rewrite, copy], ClusterSettings()))
    assert [row["duplicate_of"] for row in rows] == [None, "chile-1", "chile-1"]


def test_backfilled_older_articles_still_cluster_among_themselves() -> None:
    """A source's archive arriving after newer news must not be evicted on arrival."""
    index = StoryIndex(ClusterSettings())
    june = 1_780_000_000.0
    april = june - 60 * 86400
    stream = [
        ClusterItem(
            "new",
            "Central bank cuts rates to two percent",
            "The central bank cut its key rate to two percent on Wednesday.",
            "a",
            "",
            june,
        ),
        ClusterItem(
            "old-1",
            "Volcano erupts on Iceland's Reykjanes peninsula",
            "A volcano erupted near Grindavik on the Reykjanes peninsula, Iceland's "
            "meteorological office said, sending lava towards the evacuated town.",
            "b",
            "",
            april,
        ),
        ClusterItem(
            "old-2",
            "Reykjanes volcano eruption sends lava toward Grindavik",
            "Lava from a volcano on Iceland's Reykjanes peninsula flowed towards the "
            "evacuated town of Grindavik after the eruption, the meteorological office "
            "said.",
            "c",
            "",
            april + 3600,
        ),
    ]
    stories = {}
    for item in stream:
        decision = index.decide(item)
        stories[item.id] = decision.story or item.id
        index.insert(item, stories[item.id], decision.duplicate_of)
    assert stories["old-2"] == stories["old-1"]
    assert stories["new"] != stories["old-1"]


def test_a_fragment_folds_into_the_story_it_now_fits() -> None:
    # Each report started a story of its own (as one that misses the arrival bar does); the
    # re-check folds the second Chile report into the Chile story, not the Japan one.
    index = StoryIndex()
    for item in (QUAKE_CHILE, QUAKE_JAPAN, QUAKE_CHILE_2):
        index.insert(item, item.id, None)
    folds = index.fold_fragments()
    assert [(f.source, f.target) for f in folds] == [("chile-2", "chile-1")]
    assert folds[0].score >= ClusterSettings().fragment_threshold
    assert sorted(index.stories()) == ["chile-1", "japan-1"]
    assert index.fold_fragments() == []


def test_a_fragment_below_the_bar_stays_on_its_own() -> None:
    index = StoryIndex(ClusterSettings(fragment_threshold=0.9))
    index.insert(QUAKE_CHILE, "chile-1", None)
    index.insert(QUAKE_CHILE_2, "chile-2", None)
    assert index.fold_fragments() == []
    assert sorted(index.stories()) == ["chile-1", "chile-2"]


def test_only_fragments_are_refolded_and_only_recent_ones() -> None:
    index = StoryIndex(ClusterSettings(fragment_size=1))
    index.insert(QUAKE_CHILE, "chile-1", None)
    index.insert(QUAKE_CHILE_2, "chile-2", None)
    index.insert(
        replace(QUAKE_CHILE_2, id="c3", text=QUAKE_CHILE_2.text + " More."), "chile-2", None
    )
    # "chile-2" holds two originals now: no fragment at fragment_size 1; "chile-1" is one.
    assert index.fold_fragments(since=T0 + DAY) == []  # nothing touched since then
    folds = index.fold_fragments(since=T0 - DAY)
    assert [(f.source, f.target) for f in folds] == [("chile-1", "chile-2")]


def test_headline_fragments_meet_the_headline_bar() -> None:
    index = StoryIndex()
    titles = ("Oil prices jump as Opec cuts output", "Opec output cut sends oil prices higher")
    for n, title in enumerate(titles):
        index.insert(ClusterItem(id=str(n), title=title, text="", timestamp=T0 + n), "oil", None)
    stray = ClusterItem(id="s", title="Oil prices jump after Opec cut", text="", timestamp=T0)
    index.insert(stray, "stray", None)
    other = ClusterItem(id="o", title="Storm closes ports in Texas", text="", timestamp=T0)
    index.insert(other, "storm", None)
    folds = index.fold_fragments()
    assert [(f.source, f.target) for f in folds] == [("stray", "oil")]


def test_converged_stories_merge_only_when_both_hold_bodies() -> None:
    index = StoryIndex()
    index.insert(QUAKE_CHILE, "a", None)
    index.insert(QUAKE_CHILE_2, "b", None)
    index.insert(replace(QUAKE_CHILE, id="a2", text=QUAKE_CHILE.text + " More."), "b", None)
    assert [(m.source, m.target) for m in index.converged(None)] in (
        [("a", "b")],
        [("b", "a")],
    )
    headlines = StoryIndex()
    for key in ("x", "y"):
        item = ClusterItem(id=key, title="Opec cuts output as oil prices jump", text="")
        headlines.insert(item, key, None)
    assert headlines.converged(None) == []


def test_a_released_key_names_a_new_story() -> None:
    index = StoryIndex()
    index.insert(QUAKE_CHILE, "6", None)
    index.insert(QUAKE_CHILE_2, "7", None)
    index.merge("6", "7")
    index.insert(QUAKE_JAPAN, "7", None)  # an old key still means the story it went into
    assert index.stories() == ["6"]
    index.release("7")  # the store handed id 7 to a new story
    index.insert(ClusterItem(id="j2", title="Japan", text=QUAKE_JAPAN.text), "7", None)
    assert sorted(index.stories()) == ["6", "7"]


def test_recheck_clock_falls_due_on_the_articles_own_time() -> None:
    clock = RecheckClock(ClusterSettings(recheck_minutes=10.0, window_days=3.0))
    assert clock.tick(None) is None
    assert clock.tick(T0) is None  # the first dated article starts the clock
    assert clock.tick(T0 + 599) is None
    assert clock.tick(T0 + 600) == T0 + 600 - 3 * DAY
    assert clock.tick(T0 + 900) is None
    assert clock.tick(T0 + 1200) == T0 + 1200 - 3 * DAY


def test_offline_clustering_ends_with_the_recheck() -> None:
    stories = _run([QUAKE_CHILE, QUAKE_JAPAN, QUAKE_CHILE_2])
    assert stories["chile-2"] == stories["chile-1"] == "chile-1"
    assert stories["japan-1"] == "japan-1"


def test_features_do_not_depend_on_the_body_repeating_its_headline() -> None:
    title = "Central bank cuts rates for the third time"
    body = "The Bank of Canada cut its rate by a quarter point on Wednesday. " * 12
    pairs = [
        (f"{title}\n{body}", body),
        (f"{title} {body}", body),
        (f"Economy\n{title}.\n{body}", f"Economy\n{body}"),
    ]
    for repeated, plain in pairs:
        assert extract_features(title, repeated) == extract_features(title, plain)
