"""Attendance: one record per (child, provider, week Monday), unique — creating a week's records again
inserts nothing twice — with each side's full and half days (0..7), entry and first-opening times.

Revision ID: 0016_attendance
Revises: 0015_audit_log
Create Date: 2026-12-03 16:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016_attendance"
down_revision: str | None = "0015_audit_log"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _side(side: str) -> list[sa.SchemaItem]:
    entered = f"{side}_entered_at IS NULL"
    return [
        sa.Column(f"{side}_full_days", sa.Integer(), nullable=True),
        sa.Column(f"{side}_half_days", sa.Integer(), nullable=True),
        sa.Column(f"{side}_entered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(f"{side}_opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            f"({side}_full_days IS NULL) = ({entered}) AND ({side}_half_days IS NULL) = ({entered})",
            name=op.f(f"ck_attendance_{side}_entered_together"),
        ),
        sa.CheckConstraint(f"{side}_full_days BETWEEN 0 AND 7", name=op.f(f"ck_attendance_{side}_full_days")),
        sa.CheckConstraint(f"{side}_half_days BETWEEN 0 AND 7", name=op.f(f"ck_attendance_{side}_half_days")),
    ]


def upgrade() -> None:
    op.create_table(
        "attendance",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("child_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("provider_id", postgresql.UUID(as_uuid=True), nullable=False),
        *_side("family"),
        *_side("provider"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("extract(isodow from week) = 1", name=op.f("ck_attendance_week_is_monday")),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_attendance_child_id_children"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_attendance_provider_id_providers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance")),
        sa.UniqueConstraint(
            "child_id", "provider_id", "week", name="uq_attendance_child_id_provider_id_week"
        ),
    )
    op.create_index("ix_attendance_provider_id_week", "attendance", ["provider_id", "week"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_attendance_provider_id_week", table_name="attendance")
    op.drop_table("attendance")
