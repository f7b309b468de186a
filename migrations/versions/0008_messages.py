"""Messages: the record of every email and text (kind, recipient, status, attempts, provider id), one per
cause and recipient (a UNIQUE idempotency key).

Revision ID: 0008_messages
Revises: 0007_ledger_and_wallets
Create Date: 2026-12-03 09:18:42.608353
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008_messages"
down_revision: str | None = "0007_ledger_and_wallets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "messages",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("recipient_name", sa.String(length=200), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("about_type", sa.String(length=64), nullable=False),
        sa.Column("about_id", sa.String(length=100), nullable=False),
        sa.Column("idempotency_key", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("provider", sa.String(length=32), nullable=True),
        sa.Column("provider_message_id", sa.String(length=200), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_to", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("channel IN ('email', 'sms')", name=op.f("ck_messages_channel")),
        sa.CheckConstraint("language IN ('en', 'es', 'ru', 'ar')", name=op.f("ck_messages_language")),
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name=op.f("ck_messages_status")),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_messages_attempts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_messages_idempotency_key")),
    )
    op.create_index("ix_messages_about", "messages", ["about_type", "about_id"], unique=False)
    op.create_index("ix_messages_status_created_at", "messages", ["status", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_messages_status_created_at", table_name="messages")
    op.drop_index("ix_messages_about", table_name="messages")
    op.drop_table("messages")
