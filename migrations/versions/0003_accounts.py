"""Accounts: Clerk user id → programme roles; pending accounts; handled webhook deliveries.

Revision ID: 0003_accounts
Revises: 0002_jobs
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003_accounts"
down_revision: str | None = "0002_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _audit_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("clerk_user_id", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("roles", postgresql.ARRAY(sa.String(length=20)), nullable=False),
        # family_id / provider_id get their foreign keys when the families and providers tables exist.
        sa.Column("family_id", sa.String(length=100), nullable=True),
        sa.Column("provider_id", sa.String(length=100), nullable=True),
        sa.Column("deactivated", sa.Boolean(), nullable=False),
        sa.Column("last_seen_at", DateTimeUTC(timezone=True), nullable=True),
        *_audit_columns(),
        sa.PrimaryKeyConstraint("clerk_user_id", name=op.f("pk_accounts")),
        sa.CheckConstraint(
            "roles <@ ARRAY['admin', 'family', 'provider']::varchar[]", name=op.f("ck_accounts_known_roles")
        ),
    )
    op.create_index(op.f("ix_accounts_email"), "accounts", ["email"], unique=False)
    op.create_table(
        "pending_accounts",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("roles", postgresql.ARRAY(sa.String(length=20)), nullable=False),
        *_audit_columns(),
        sa.PrimaryKeyConstraint("email", name=op.f("pk_pending_accounts")),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("received_at", DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_webhook_deliveries")),
    )


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
    op.drop_table("pending_accounts")
    op.drop_index(op.f("ix_accounts_email"), table_name="accounts")
    op.drop_table("accounts")
