"""Lump sums: what a family paid a provider for a month at once (amount, days, half days), and the
foreign key from ``payment_intent_items.lump_sum_id`` (the UNIQUE claim of its payment) to them.

Revision ID: 0014_lump_sums
Revises: 0013_invitations
Create Date: 2026-12-03 13:40:34.566121
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014_lump_sums"
down_revision: str | None = "0013_invitations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lump_sums",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("allocation_id", sa.BigInteger(), nullable=False),
        sa.Column("provider_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("half_days", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_lump_sums_amount_cents")),
        sa.CheckConstraint("days + half_days > 0", name=op.f("ck_lump_sums_some_days")),
        sa.CheckConstraint("days BETWEEN 0 AND 31", name=op.f("ck_lump_sums_days")),
        sa.CheckConstraint("half_days BETWEEN 0 AND 31", name=op.f("ck_lump_sums_half_days")),
        sa.ForeignKeyConstraint(
            ["allocation_id"],
            ["month_allocations.id"],
            name=op.f("fk_lump_sums_allocation_id_month_allocations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_lump_sums_provider_id_providers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lump_sums")),
    )
    op.create_index("ix_lump_sums_allocation_id", "lump_sums", ["allocation_id"], unique=False)
    op.create_foreign_key(
        op.f("fk_payment_intent_items_lump_sum_id_lump_sums"),
        "payment_intent_items",
        "lump_sums",
        ["lump_sum_id"],
        ["id"],
        ondelete="RESTRICT",
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_payment_intent_items_lump_sum_id_lump_sums"), "payment_intent_items", type_="foreignkey"
    )
    op.drop_index("ix_lump_sums_allocation_id", table_name="lump_sums")
    op.drop_table("lump_sums")
