"""full-text search and story redirects

Full-text search over article titles and bodies, kept current by the database itself so no
writer has to know about it: SQLite gets a contentless FTS5 table filled by triggers, PostgreSQL
a generated tsvector column with a GIN index. Both index the text followed by the bigrams of its
Chinese and Japanese runs (``aggregator_search_text``: a registered Python function on SQLite, the
SQL function below on PostgreSQL; aggregator/store/searchtext.py explains why). Existing rows are
indexed here.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Kept in step with aggregator/store/searchtext.py (CJK_CLASS, INDEXED_CHARS); migrations never
# import the package.
_CJK_CLASS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_INDEXED_CHARS = 100_000

_PG_FUNCTION = f"""
CREATE FUNCTION aggregator_search_text(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURNS NULL ON NULL INPUT AS $$
  SELECT left(value, {_INDEXED_CHARS}) || ' ' || coalesce((
    SELECT string_agg(substr(m.run[1], g.i, 2), ' ' ORDER BY m.n, g.i)
    FROM regexp_matches(left(value, {_INDEXED_CHARS}), '[{_CJK_CLASS}]{{2,}}', 'g')
         WITH ORDINALITY AS m(run, n)
    CROSS JOIN LATERAL generate_series(1, char_length(m.run[1]) - 1) AS g(i)
  ), '')
$$
"""

_PG_COLUMN = """
ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('simple'::regconfig, aggregator_search_text(title)), 'A') ||
  setweight(to_tsvector('simple'::regconfig, aggregator_search_text(text)), 'B')
) STORED
"""

_SQLITE_INDEX = (
    # content='': the index keeps no copy of the text (snippets are cut from articles.text).
    "CREATE VIRTUAL TABLE articles_fts USING fts5("
    "title, body, content='', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN "
    "INSERT INTO articles_fts(rowid, title, body) VALUES "
    "(new.id, aggregator_search_text(new.title), aggregator_search_text(new.text)); END",
    # A contentless table forgets a row only when given the exact values it indexed.
    "CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, body) VALUES "
    "('delete', old.id, aggregator_search_text(old.title), aggregator_search_text(old.text)); END",
    "CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, text ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, body) VALUES "
    "('delete', old.id, aggregator_search_text(old.title), aggregator_search_text(old.text)); "
    "INSERT INTO articles_fts(rowid, title, body) VALUES "
    "(new.id, aggregator_search_text(new.title), aggregator_search_text(new.text)); END",
    "INSERT INTO articles_fts(rowid, title, body) "
    "SELECT id, aggregator_search_text(title), aggregator_search_text(text) FROM articles",
)


def upgrade() -> None:
    op.create_table(
        "story_redirects",
        sa.Column("old_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("new_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("old_id", name=op.f("pk_story_redirects")),
    )
    op.create_index(op.f("ix_story_redirects_new_id"), "story_redirects", ["new_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(_PG_COLUMN)  # computes the column for every existing row
        op.execute("CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)")
    else:
        for statement in _SQLITE_INDEX:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_articles_search_vector")
        op.execute("ALTER TABLE articles DROP COLUMN search_vector")
        op.execute("DROP FUNCTION aggregator_search_text(text)")
    else:
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER articles_fts_{trigger}")
        op.execute("DROP TABLE articles_fts")
    op.drop_index(op.f("ix_story_redirects_new_id"), table_name="story_redirects")
    op.drop_table("story_redirects")
