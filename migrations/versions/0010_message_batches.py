"""Message batches: one row per bulk run (reminders), and each message's batch (NULL for single messages).

Revision ID: 0010_message_batches
Revises: 0009_reclamations
Create Date: 2026-12-03 13:25:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010_message_batches"
down_revision: str | None = "0009_reclamations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "message_batches",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_batches")),
    )
    op.add_column("messages", sa.Column("batch_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        op.f("fk_messages_batch_id_message_batches"),
        "messages",
        "message_batches",
        ["batch_id"],
        ["id"],
        ondelete="RESTRICT",
    )
    op.create_index(op.f("ix_messages_batch_id"), "messages", ["batch_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_messages_batch_id"), table_name="messages")
    op.drop_constraint(op.f("fk_messages_batch_id_message_batches"), "messages", type_="foreignkey")
    op.drop_column("messages", "batch_id")
    op.drop_table("message_batches")
