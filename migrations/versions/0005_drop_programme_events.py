"""Drop ``programme_events``: allocation events are now ``programme.allocation_created`` jobs.

Events are written as job records in the allocation's transaction (the ``jobs`` table is the outbox),
so the programme's own outbox table has no reader. Any event still unpublished is carried over as a
queued job first: the scheduler's relay sends queued jobs whose message Redis does not hold, so no
allocation loses its event. Downgrading recreates the table empty (the jobs stay jobs).

Revision ID: 0005_drop_programme_events
Revises: 0004_programme
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005_drop_programme_events"
down_revision: str | None = "0004_programme"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        INSERT INTO jobs (id, name, queue, args, kwargs, status, attempts, queued_at, created_at, updated_at)
        SELECT gen_random_uuid(), name, 'default', '[]'::jsonb, payload, 'queued', 0, now(), created_at, now()
        FROM programme_events
        WHERE published_at IS NULL
        ORDER BY id
        """
    )
    op.drop_index("ix_programme_events_unpublished", table_name="programme_events")
    op.drop_table("programme_events")


def downgrade() -> None:
    op.create_table(
        "programme_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_programme_events"),
    )
    op.create_index(
        "ix_programme_events_unpublished",
        "programme_events",
        ["id"],
        postgresql_where=sa.text("published_at IS NULL"),
    )
