"""Cancelled payment intents: an operator releases a failed intent's claims so the family can pay again.

- ``payment_intents.status`` may be ``cancelled``, with ``cancelled_at``; a cancelled intent never moved
  money (no ``family_to_provider_transfer_id``: the database refuses otherwise), so the ledger has nothing
  to undo.
- ``payment_intent_items.released_at``: a released claim. The UNIQUE claims become partial unique
  indexes (same names) over the unreleased items: a care day belongs to at most one *live* intent, and
  a released day can be claimed again by a new one.
- ``lump_sums.cancelled_at``: a lump sum whose intent was cancelled no longer counts in the
  allocation's ``lump_sum_cents`` (nor in the ledger check's sum of lump sums).

Revision ID: 0017_cancelled_intents
Revises: 0016_attendance
Create Date: 2026-12-03 17:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_cancelled_intents"
down_revision: str | None = "0016_attendance"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = "status IN ('pending', 'processing', 'retrying', 'paid', 'failed')"
NEW_STATUSES = "status IN ('pending', 'processing', 'retrying', 'paid', 'failed', 'cancelled')"
CANCELLED_MOVED_NOTHING = (
    "status <> 'cancelled' OR (cancelled_at IS NOT NULL AND family_to_provider_transfer_id IS NULL)"
)
CLAIMS = {
    "uq_payment_intent_items_care_day_id": "care_day_id",
    "uq_payment_intent_items_lump_sum_id": "lump_sum_id",
}


def upgrade() -> None:
    op.add_column("payment_intents", sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
    op.drop_constraint(op.f("ck_payment_intents_status"), "payment_intents", type_="check")
    op.create_check_constraint(op.f("ck_payment_intents_status"), "payment_intents", NEW_STATUSES)
    op.create_check_constraint(
        op.f("ck_payment_intents_cancelled_moved_nothing"), "payment_intents", CANCELLED_MOVED_NOTHING
    )
    op.add_column("payment_intent_items", sa.Column("released_at", sa.DateTime(timezone=True), nullable=True))
    for name, column in CLAIMS.items():
        op.drop_constraint(name, "payment_intent_items", type_="unique")
        op.create_index(
            name, "payment_intent_items", [column], unique=True, postgresql_where="released_at IS NULL"
        )
    op.add_column("lump_sums", sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("lump_sums", "cancelled_at")
    for name, column in CLAIMS.items():
        op.drop_index(name, table_name="payment_intent_items", postgresql_where="released_at IS NULL")
        op.create_unique_constraint(name, "payment_intent_items", [column])
    op.drop_column("payment_intent_items", "released_at")
    op.drop_constraint(op.f("ck_payment_intents_cancelled_moved_nothing"), "payment_intents", type_="check")
    op.drop_constraint(op.f("ck_payment_intents_status"), "payment_intents", type_="check")
    op.create_check_constraint(op.f("ck_payment_intents_status"), "payment_intents", OLD_STATUSES)
    op.drop_column("payment_intents", "cancelled_at")
