"""Invitations: one row and one public token per invite (`invitations`), and the children it names
(`invitation_children`).

Revision ID: 0013_invitations
Revises: 0012_payments
Create Date: 2026-12-03 13:31:17.947290
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013_invitations"
down_revision: str | None = "0012_payments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "invitations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("token", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("direction", sa.String(length=32), nullable=False),
        sa.Column("family_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("provider_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("cell", sa.String(length=20), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(direction = 'family_invites_provider' AND family_id IS NOT NULL) OR (direction = 'provider_invites_family' AND provider_id IS NOT NULL)",
            name=op.f("ck_invitations_inviter_named"),
        ),
        sa.CheckConstraint(
            "direction IN ('family_invites_provider', 'provider_invites_family')",
            name=op.f("ck_invitations_direction"),
        ),
        sa.CheckConstraint("language IN ('en', 'es', 'ru', 'ar')", name=op.f("ck_invitations_language")),
        sa.ForeignKeyConstraint(
            ["family_id"], ["families.id"], name=op.f("fk_invitations_family_id_families"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_invitations_provider_id_providers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("token", name=op.f("uq_invitations_token")),
    )
    op.create_table(
        "invitation_children",
        sa.Column("invitation_id", sa.BigInteger(), nullable=False),
        sa.Column("child_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["children.id"],
            name=op.f("fk_invitation_children_child_id_children"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitations.id"],
            name=op.f("fk_invitation_children_invitation_id_invitations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("invitation_id", "child_id", name=op.f("pk_invitation_children")),
    )
    op.create_index(
        op.f("ix_invitation_children_child_id"), "invitation_children", ["child_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_invitation_children_child_id"), table_name="invitation_children")
    op.drop_table("invitation_children")
    op.drop_table("invitations")
