"""indexes the front page reads from, and search text that skips the bigram pass

The front page ranks the articles of its window and sums up the stories of a page; two
covering indexes answer both without reading article rows, which hold the texts (issue 11).
They replace the single-column published_at index and the (story_id, published_at) index,
which are their prefixes.

On PostgreSQL, ``aggregator_search_text`` looks for Chinese and Japanese characters before
running the bigram pass: most bodies have none, and the pass was most of what the search
index cost a write. Its result is unchanged for every input, so the stored search vectors
stay valid.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 00:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RANKING = ["published_at", "story_id", "source_name", "duplicate_of", "language"]
# id last: PostgreSQL's indexes do not carry the row's key as SQLite's do, and a story page
# lists its articles' ids from this index alone.
_COVERAGE = ["story_id", "published_at", "duplicate_of", "source_name", "language", "id"]

# Kept in step with aggregator/store/searchtext.py (CJK_CLASS, INDEXED_CHARS); migrations never
# import the package. 0003 wrote the same function without the first branch.
_CJK_CLASS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_INDEXED_CHARS = 100_000

_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION aggregator_search_text(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURNS NULL ON NULL INPUT AS $$
  SELECT CASE WHEN left(value, {_INDEXED_CHARS}) !~ '[{_CJK_CLASS}]{{2}}'
    THEN left(value, {_INDEXED_CHARS}) || ' '
    ELSE left(value, {_INDEXED_CHARS}) || ' ' || coalesce((
      SELECT string_agg(substr(m.run[1], g.i, 2), ' ' ORDER BY m.n, g.i)
      FROM regexp_matches(left(value, {_INDEXED_CHARS}), '[{_CJK_CLASS}]{{2,}}', 'g')
           WITH ORDINALITY AS m(run, n)
      CROSS JOIN LATERAL generate_series(1, char_length(m.run[1]) - 1) AS g(i)
    ), '')
  END
$$
"""

_PG_FUNCTION_0003 = f"""
CREATE OR REPLACE FUNCTION aggregator_search_text(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURNS NULL ON NULL INPUT AS $$
  SELECT left(value, {_INDEXED_CHARS}) || ' ' || coalesce((
    SELECT string_agg(substr(m.run[1], g.i, 2), ' ' ORDER BY m.n, g.i)
    FROM regexp_matches(left(value, {_INDEXED_CHARS}), '[{_CJK_CLASS}]{{2,}}', 'g')
         WITH ORDINALITY AS m(run, n)
    CROSS JOIN LATERAL generate_series(1, char_length(m.run[1]) - 1) AS g(i)
  ), '')
$$
"""


def upgrade() -> None:
    op.create_index("ix_articles_ranking", "articles", _RANKING, unique=False)
    op.create_index("ix_articles_coverage", "articles", _COVERAGE, unique=False)
    op.drop_index("ix_articles_published_at", table_name="articles")
    op.drop_index("ix_articles_story_id_published_at", table_name="articles")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION_0003)
    op.create_index(
        "ix_articles_story_id_published_at", "articles", ["story_id", "published_at"], unique=False
    )
    op.create_index("ix_articles_published_at", "articles", ["published_at"], unique=False)
    op.drop_index("ix_articles_coverage", table_name="articles")
    op.drop_index("ix_articles_ranking", table_name="articles")
