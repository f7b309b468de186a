"""Payments: intent → attempt → payment, the claims on care days and lump sums, the allocation's sums.

- ``payment_intents``: what is paid (provider, child, allocation, amount, kind) and how far it got: status,
  attempts, the next retry, the last error and the gateway's transfer id of each recorded step.
- ``payment_intent_items``: the claims. UNIQUE ``care_day_id`` and UNIQUE ``lump_sum_id`` make the
  database the judge: a care day or lump sum belongs to at most one intent, ever. ``lump_sum_id`` gets its
  foreign key when the lump-sum table exists.
- ``payment_attempts``: one per try (UNIQUE intent and number), with the instruments and transfer ids.
- ``payments``: one per paid intent (UNIQUE ``intent_id``); ``care_days.payment_id`` now refers to it.
- ``month_allocations.paid_cents``, ``lump_sum_cents``: sums kept by the payments and lump sums in their
  own transactions (as ``reclaimed_cents`` by reclamations), so the month view reads them with the
  allocation; ``paid_cents + reclaimed_cents`` never exceeds the budget.

Revision ID: 0012_payments
Revises: 0011_clicks_and_activity
Create Date: 2026-12-03 12:54:50.822324
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012_payments"
down_revision: str | None = "0011_clicks_and_activity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


MONTH_ALLOCATION_CHECKS = {
    "paid_cents": "paid_cents >= 0",
    "lump_sum_cents": "lump_sum_cents >= 0",
    "paid_and_reclaimed_fit": "paid_cents + reclaimed_cents <= allocation_cents",
}


def upgrade() -> None:
    op.create_table(
        "payment_intents",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("family_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("child_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("provider_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("allocation_id", sa.BigInteger(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error_code", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("family_to_provider_transfer_id", sa.String(length=100), nullable=True),
        sa.Column("payout_transfer_id", sa.String(length=100), nullable=True),
        sa.Column("payment_method", sa.String(length=8), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('care_days', 'lump_sum')", name=op.f("ck_payment_intents_kind")),
        sa.CheckConstraint(
            "payment_method IS NULL OR payment_method IN ('card', 'ach')",
            name=op.f("ck_payment_intents_payment_method"),
        ),
        sa.CheckConstraint(
            "status <> 'paid' OR (payout_transfer_id IS NOT NULL AND family_to_provider_transfer_id IS NOT NULL AND paid_at IS NOT NULL)",
            name=op.f("ck_payment_intents_paid_has_transfers"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'processing', 'retrying', 'paid', 'failed')",
            name=op.f("ck_payment_intents_status"),
        ),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_payment_intents_amount_cents")),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_payment_intents_attempts")),
        sa.ForeignKeyConstraint(
            ["allocation_id"],
            ["month_allocations.id"],
            name=op.f("fk_payment_intents_allocation_id_month_allocations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["children.id"],
            name=op.f("fk_payment_intents_child_id_children"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["families.id"],
            name=op.f("fk_payment_intents_family_id_families"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_payment_intents_provider_id_providers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_intents")),
    )
    op.create_index("ix_payment_intents_allocation_id", "payment_intents", ["allocation_id"], unique=False)
    op.create_index(
        "ix_payment_intents_family_id_created_at",
        "payment_intents",
        ["family_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_payment_intents_open",
        "payment_intents",
        ["status", "updated_at"],
        unique=False,
        postgresql_where="status <> 'paid'",
    )
    op.create_index(
        "ix_payment_intents_provider_id_created_at",
        "payment_intents",
        ["provider_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "payment_attempts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("intent_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("payment_method", sa.String(length=8), nullable=True),
        sa.Column("family_gateway_user_id", sa.String(length=100), nullable=True),
        sa.Column("provider_gateway_user_id", sa.String(length=100), nullable=True),
        sa.Column("card_id", sa.String(length=100), nullable=True),
        sa.Column("family_to_provider_transfer_id", sa.String(length=100), nullable=True),
        sa.Column("payout_transfer_id", sa.String(length=100), nullable=True),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('processing', 'succeeded', 'failed')", name=op.f("ck_payment_attempts_outcome")
        ),
        sa.CheckConstraint(
            "payment_method IS NULL OR payment_method IN ('card', 'ach')",
            name=op.f("ck_payment_attempts_payment_method"),
        ),
        sa.CheckConstraint("number >= 1", name=op.f("ck_payment_attempts_number")),
        sa.ForeignKeyConstraint(
            ["intent_id"],
            ["payment_intents.id"],
            name=op.f("fk_payment_attempts_intent_id_payment_intents"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_attempts")),
        sa.UniqueConstraint("intent_id", "number", name="uq_payment_attempts_intent_id_number"),
    )
    op.create_table(
        "payments",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("intent_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("attempt_id", sa.BigInteger(), nullable=False),
        sa.Column("family_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("child_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("provider_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("allocation_id", sa.BigInteger(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("payment_method", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("payment_method IN ('card', 'ach')", name=op.f("ck_payments_payment_method")),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_payments_amount_cents")),
        sa.ForeignKeyConstraint(
            ["allocation_id"],
            ["month_allocations.id"],
            name=op.f("fk_payments_allocation_id_month_allocations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["payment_attempts.id"],
            name=op.f("fk_payments_attempt_id_payment_attempts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_payments_child_id_children"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["family_id"], ["families.id"], name=op.f("fk_payments_family_id_families"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["intent_id"],
            ["payment_intents.id"],
            name=op.f("fk_payments_intent_id_payment_intents"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_payments_provider_id_providers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("intent_id", name="uq_payments_intent_id"),
    )
    op.create_index(op.f("ix_payments_allocation_id"), "payments", ["allocation_id"], unique=False)
    op.create_table(
        "payment_intent_items",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("intent_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("care_day_id", sa.BigInteger(), nullable=True),
        sa.Column("lump_sum_id", sa.BigInteger(), nullable=True),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "(care_day_id IS NULL) <> (lump_sum_id IS NULL)", name=op.f("ck_payment_intent_items_one_item")
        ),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_payment_intent_items_amount_cents")),
        sa.ForeignKeyConstraint(
            ["care_day_id"],
            ["care_days.id"],
            name=op.f("fk_payment_intent_items_care_day_id_care_days"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["intent_id"],
            ["payment_intents.id"],
            name=op.f("fk_payment_intent_items_intent_id_payment_intents"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_intent_items")),
        sa.UniqueConstraint("care_day_id", name="uq_payment_intent_items_care_day_id"),
        sa.UniqueConstraint("lump_sum_id", name="uq_payment_intent_items_lump_sum_id"),
    )
    op.create_index(
        op.f("ix_payment_intent_items_intent_id"), "payment_intent_items", ["intent_id"], unique=False
    )
    op.create_foreign_key(
        op.f("fk_care_days_payment_id_payments"),
        "care_days",
        "payments",
        ["payment_id"],
        ["id"],
        ondelete="RESTRICT",
    )
    op.add_column(
        "month_allocations", sa.Column("paid_cents", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column(
        "month_allocations", sa.Column("lump_sum_cents", sa.Integer(), server_default="0", nullable=False)
    )
    for name, rule in MONTH_ALLOCATION_CHECKS.items():
        op.create_check_constraint(op.f(f"ck_month_allocations_{name}"), "month_allocations", rule)


def downgrade() -> None:
    for name in MONTH_ALLOCATION_CHECKS:
        op.drop_constraint(op.f(f"ck_month_allocations_{name}"), "month_allocations", type_="check")
    op.drop_column("month_allocations", "lump_sum_cents")
    op.drop_column("month_allocations", "paid_cents")
    op.drop_constraint(op.f("fk_care_days_payment_id_payments"), "care_days", type_="foreignkey")
    op.drop_index(op.f("ix_payment_intent_items_intent_id"), table_name="payment_intent_items")
    op.drop_table("payment_intent_items")
    op.drop_index(op.f("ix_payments_allocation_id"), table_name="payments")
    op.drop_table("payments")
    op.drop_table("payment_attempts")
    op.drop_index("ix_payment_intents_provider_id_created_at", table_name="payment_intents")
    op.drop_index(
        "ix_payment_intents_open", table_name="payment_intents", postgresql_where="status <> 'paid'"
    )
    op.drop_index("ix_payment_intents_family_id_created_at", table_name="payment_intents")
    op.drop_index("ix_payment_intents_allocation_id", table_name="payment_intents")
    op.drop_table("payment_intents")
