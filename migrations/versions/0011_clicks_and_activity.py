"""Clicks (one count per person and tracking id) and hourly activity (one row per person and UTC hour).

Revision ID: 0011_clicks_and_activity
Revises: 0010_message_batches
Create Date: 2026-12-03 13:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_clicks_and_activity"
down_revision: str | None = "0010_message_batches"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "clicks",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("clerk_user_id", sa.String(length=100), nullable=False),
        sa.Column("tracking_id", sa.String(length=128), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("family_id", sa.String(length=100), nullable=True),
        sa.Column("provider_id", sa.String(length=100), nullable=True),
        sa.Column("click_count", sa.Integer(), server_default="1", nullable=False),
        sa.Column("first_clicked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_clicked_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("click_count > 0", name=op.f("ck_clicks_click_count_positive")),
        sa.ForeignKeyConstraint(
            ["clerk_user_id"],
            ["accounts.clerk_user_id"],
            name=op.f("fk_clicks_clerk_user_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clicks")),
        sa.UniqueConstraint("clerk_user_id", "tracking_id", name="uq_clicks_person_tracking_id"),
    )
    op.create_table(
        "hourly_activity",
        sa.Column("clerk_user_id", sa.String(length=100), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("family_id", sa.String(length=100), nullable=True),
        sa.Column("provider_id", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["clerk_user_id"],
            ["accounts.clerk_user_id"],
            name=op.f("fk_hourly_activity_clerk_user_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("clerk_user_id", "hour", name=op.f("pk_hourly_activity")),
    )
    op.create_index(op.f("ix_hourly_activity_hour"), "hourly_activity", ["hour"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_hourly_activity_hour"), table_name="hourly_activity")
    op.drop_table("hourly_activity")
    op.drop_table("clicks")
