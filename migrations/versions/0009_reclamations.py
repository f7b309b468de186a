"""Reclamations: one row per allocation (UNIQUE allocation and idempotency key), claimed with its amount
before the gateway moves anything, and the allocation's own ``reclaimed_cents`` (never above its budget)
that the month view reads.

Revision ID: 0009_reclamations
Revises: 0008_messages
Create Date: 2026-12-03 12:53:30.408782
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009_reclamations"
down_revision: str | None = "0008_messages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fund_reclamations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("allocation_id", sa.BigInteger(), nullable=False),
        sa.Column("family_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("gateway_transfer_id", sa.String(length=100), nullable=True),
        sa.Column("ledger_transaction_id", sa.BigInteger(), nullable=True),
        sa.Column("reclaimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(status = 'reclaimed')"
            " = (gateway_transfer_id IS NOT NULL AND ledger_transaction_id IS NOT NULL)",
            name=op.f("ck_fund_reclamations_reclaimed_has_transfer"),
        ),
        sa.CheckConstraint("status IN ('pending', 'reclaimed')", name=op.f("ck_fund_reclamations_status")),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_fund_reclamations_amount_cents")),
        sa.ForeignKeyConstraint(
            ["allocation_id"],
            ["month_allocations.id"],
            name=op.f("fk_fund_reclamations_allocation_id_month_allocations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["families.id"],
            name=op.f("fk_fund_reclamations_family_id_families"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["ledger_transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_fund_reclamations_ledger_transaction_id_ledger_transactions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_reclamations")),
        sa.UniqueConstraint("allocation_id", name=op.f("uq_fund_reclamations_allocation_id")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_fund_reclamations_idempotency_key")),
    )
    op.add_column(
        "month_allocations", sa.Column("reclaimed_cents", sa.Integer(), server_default="0", nullable=False)
    )
    op.create_check_constraint(
        op.f("ck_month_allocations_reclaimed_cents"),
        "month_allocations",
        "reclaimed_cents BETWEEN 0 AND allocation_cents",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_month_allocations_reclaimed_cents"), "month_allocations", type_="check")
    op.drop_column("month_allocations", "reclaimed_cents")
    op.drop_table("fund_reclamations")
