"""the date a feed or sitemap gave a page

A fetched page is stored pending and cleaned later by the extraction stage, which used to know
nothing of the listing that led to it. ``pages.listed_at`` keeps the date that listing gave
(RSS/Atom entry date, ``news:publication_date`` or ``lastmod``); extraction uses it as the
article's time when the page declares none of its own (issue 12). Pages stored before this
revision have none.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 01:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("listed_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.drop_column("listed_at")
