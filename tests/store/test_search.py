"""Full-text search: the query language, the index the database keeps, ranking and CJK words."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import Session

from aggregator.store.engine import alembic_config
from aggregator.store.filters import Filters
from aggregator.store.search import search, snippet
from aggregator.store.searchtext import (
    QueryError,
    fts5_match,
    parse_query,
    search_text,
    tsquery,
)
from tests.support import NOW, add_article


def ids(session: Session, query: str, **kwargs: object) -> list[int]:
    page = search(session, query, now=NOW, **kwargs)  # type: ignore[arg-type]
    return [article.id for hit in page.results for article in hit.articles]


def test_search_text_appends_cjk_bigrams() -> None:
    assert search_text("東京都に行く") == "東京都に行く 東京 京都 都に に行 行く"
    assert search_text("plain words") == "plain words "


@pytest.mark.parametrize(
    "value",
    ["plain words", "東京都に行く", "one 字 alone", "mixed 梅雨明け and 台風", "", "x" * 100_050],
)
def test_search_text_is_the_same_in_sql(session: Session, value: str) -> None:
    """PostgreSQL's aggregator_search_text (migrations 0003 and 0004) must index exactly what
    SQLite's Python twin does, or one backend finds what the other misses."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite calls search_text itself")
    found = session.scalar(text("SELECT aggregator_search_text(:value)"), {"value": value})
    assert found == search_text(value)


@pytest.mark.parametrize(
    ("typed", "fts5", "ts"),
    [
        ("rate cut", '"rate" AND "cut"', "'rate' & 'cut'"),
        ('"bank of canada"', '"bank of canada"', "('bank' <-> 'of' <-> 'canada')"),
        ("distill*", '"distill"*', "'distill':*"),
        (
            "rhein OR rhine -flood",
            '(("rhein" OR "rhine")) NOT "flood"',
            "('rhein' | 'rhine') & !'flood'",
        ),
        ("梅雨明け", '"梅雨 雨明 明け"', "('梅雨' <-> '雨明' <-> '明け')"),
        ("NEAR( x", '"near" AND "x"', "'near' & 'x'"),
        ("'; DROP TABLE articles; --", '"drop" AND "table" AND "articles"', None),
    ],
)
def test_queries_compile_to_letters_and_digits_only(typed: str, fts5: str, ts: str | None) -> None:
    query = parse_query(typed)
    assert fts5_match(query) == fts5
    if ts is not None:
        assert tsquery(query) == ts


@pytest.mark.parametrize("typed", ["", "   ", "*", '"', 'say "hello', "-only", "x" * 10_000, "()"])
def test_unsearchable_queries_say_why(typed: str) -> None:
    with pytest.raises(QueryError, match=r"^search: "):
        parse_query(typed)


def test_snippet_marks_matches_case_insensitively() -> None:
    parts = snippet("The Bank of Canada cut its rate.", ["canada", "rate"])
    assert [p.text for p in parts if p.hit] == ["Canada", "rate"]
    assert "".join(p.text for p in parts) == "The Bank of Canada cut its rate."


def test_search_finds_titles_and_bodies_ranked(session: Session) -> None:
    body_only = add_article(session, title="Markets", text="The central bank cut rates today.")
    title_hit = add_article(session, title="Central bank cuts rates", text="Markets moved.")
    add_article(session, title="Unrelated", text="Weather is fine.")
    assert ids(session, "bank") == [title_hit.id, body_only.id]
    assert ids(session, "weather -fine") == []


def test_recency_breaks_ties(session: Session) -> None:
    old = add_article(session, title="Flood warning", published_at=NOW - timedelta(days=30))
    new = add_article(session, title="Flood warning", published_at=NOW - timedelta(hours=1))
    assert ids(session, "flood") == [new.id, old.id]


def test_chinese_and_japanese_words_of_two_characters(session: Session) -> None:
    zh = add_article(
        session, title="长江中游迎来强降雨", text="武汉启动防汛四级应急响应", language="zh"
    )
    ja = add_article(session, title="関東甲信が梅雨明け", text="各地で猛暑日に", language="ja")
    assert ids(session, "降雨") == [zh.id]
    assert ids(session, "武汉") == [zh.id]
    assert ids(session, "梅雨明け") == [ja.id]
    assert ids(session, "猛暑") == [ja.id]
    assert ids(session, "雨明け 関東") == [ja.id]


def test_filters_apply_to_search(session: Session) -> None:
    de = add_article(session, title="Rhein Pegel", language="de", source_name="rhein.de")
    en = add_article(session, title="Rhein level", language="en", source_name="wire.com")
    assert ids(session, "rhein", filters=Filters(language="de")) == [de.id]
    assert ids(session, "rhein", filters=Filters(source="wire.com")) == [en.id]
    assert ids(session, "rhein", filters=Filters(since=NOW + timedelta(days=1))) == []


def test_a_common_word_ranks_the_newest_matches(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    import aggregator.store.search as module

    monkeypatch.setattr(module, "MAX_MATCHES", 2)
    stored = [add_article(session, title=f"Flood number {n}").id for n in range(3)]
    other = add_article(session, title="Flood elsewhere", language="de")
    assert sorted(ids(session, "flood")) == sorted([stored[2], other.id])
    # Filters choose the matches before the cut.
    assert sorted(ids(session, "flood", filters=Filters(language="en"))) == stored[1:]


def test_results_group_by_story_and_page(session: Session) -> None:
    for number in range(5):
        add_article(session, title=f"Storm number {number}")
    first = search(session, "storm", now=NOW, limit=2)
    second = search(session, "storm", now=NOW, limit=2, offset=2)
    last = search(session, "storm", now=NOW, limit=2, offset=4)
    assert len(first.results) == 2 and first.has_more
    assert len(second.results) == 2 and second.has_more
    assert len(last.results) == 1 and not last.has_more
    seen = [hit.articles[0].id for page in (first, second, last) for hit in page.results]
    assert len(set(seen)) == 5


def test_index_follows_updates_and_deletes(session: Session) -> None:
    article = add_article(session, title="Original headline", text="first words")
    assert ids(session, "original") == [article.id]
    article.title = "Corrected headline"
    session.flush()
    assert ids(session, "original") == []
    assert ids(session, "corrected") == [article.id]
    session.delete(article)
    session.flush()
    assert ids(session, "corrected") == []


def test_migration_indexes_rows_stored_before_it(engine: Engine) -> None:
    config = alembic_config(engine)
    command.downgrade(config, "0001")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO pages (url, fetched_at, outcome, origin, body_size) "
                "VALUES ('https://e.com/a', '2026-01-01 00:00:00', 'article', 'fetch', 0)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO articles (page_id, source_name, url, title, authors, first_seen, "
                "text, content_hash, simhash, removals) SELECT id, 'e.com', url, 'Backfilled "
                "title', '[]', fetched_at, '台風が上陸', 'h', 0, '[]' FROM pages"
            )
        )
    command.upgrade(config, "head")
    with Session(engine) as session:
        assert len(ids(session, "backfilled")) == 1
        assert len(ids(session, "台風")) == 1


def test_search_structures_exist_at_head(engine: Engine) -> None:
    """A later migration that rebuilds ``articles`` (SQLite batch mode) drops its triggers:
    this fails then, instead of the index silently going stale."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            triggers = connection.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            ).scalars()
            assert {"articles_fts_insert", "articles_fts_delete", "articles_fts_update"} <= set(
                triggers
            )
        else:
            columns = {c["name"] for c in inspect(connection).get_columns("articles")}
            assert "search_vector" in columns


def test_engine_refusal_is_a_query_error(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    # Should our compiler ever emit something the engine refuses, readers get a QueryError.
    import aggregator.store.search as module

    monkeypatch.setattr(module, "fts5_match", lambda _q: 'NEAR("a"')
    monkeypatch.setattr(module, "tsquery", lambda _q: "a & (")
    with pytest.raises(QueryError, match="could not read"):
        search(session, "anything", now=NOW)


def test_now_in_the_future_is_harmless(session: Session) -> None:
    article = add_article(session, title="Future dated", published_at=NOW + timedelta(days=2))
    assert ids(session, "future") == [article.id]
    assert search(session, "future", now=datetime(2000, 1, 1)).results
