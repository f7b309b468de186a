"""Programme: families, guardians, children, providers and their links, payment rates, monthly
allocations, care days, and the programme's event outbox.

Money is integer cents with CHECK constraints repeating the domain's bounds. Families, guardians,
children and providers keep the domain's uuid4 ids (native UUID); allocations, care days, rates and
events get BIGINT identities. Enumerations are stored by their domain value and checked. Reference data
owned by a record goes with it (CASCADE); money records are never removed by a cascade (RESTRICT).

Revision ID: 0004_programme
Revises: 0003_accounts
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004_programme"
down_revision: str | None = "0003_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LANGUAGES = "('en', 'es', 'ru', 'ar')"
STATUSES = (
    "('Approved', 'Not Eligible', 'Pending', 'Hold', 'Duplicate', 'Waitlist', 'Test', 'Need More Info', "
    "'Expired', 'Under Review', 'Application Withdrawn', 'Discontinued', 'Disenrolled')"
)


def _uuid(name: str, **kwargs: object) -> sa.Column:
    return sa.Column(name, postgresql.UUID(as_uuid=True), **kwargs)


def _identity() -> sa.Column:
    return sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False)


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "families",
        _uuid("id", nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("zip_code", sa.String(length=200), nullable=True),
        sa.Column("household_size", sa.Integer(), nullable=True),
        sa.Column("yearly_income_cents", sa.BigInteger(), nullable=True),
        sa.Column("link_id", sa.String(length=200), nullable=True),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        *_timestamps(),
        sa.CheckConstraint(f"language IN {LANGUAGES}", name="ck_families_language"),
        sa.CheckConstraint("household_size >= 1", name="ck_families_household_size"),
        sa.CheckConstraint("yearly_income_cents >= 0", name="ck_families_yearly_income_cents"),
        sa.PrimaryKeyConstraint("id", name="pk_families"),
        sa.UniqueConstraint("external_id", name="uq_families_external_id"),
    )
    op.create_table(
        "guardians",
        _uuid("id", nullable=False),
        _uuid("family_id", nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("first_name", sa.String(length=200), nullable=False),
        sa.Column("last_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("phone_number", sa.String(length=16), nullable=True),
        sa.Column("address_line_1", sa.Text(), nullable=True),
        sa.Column("address_line_2", sa.Text(), nullable=True),
        sa.Column("city", sa.Text(), nullable=True),
        sa.Column("state", sa.Text(), nullable=True),
        sa.Column("zip_code", sa.Text(), nullable=True),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        *_timestamps(),
        sa.CheckConstraint("position >= 0", name="ck_guardians_position"),
        sa.CheckConstraint("type IN ('primary', 'secondary')", name="ck_guardians_type"),
        sa.CheckConstraint("(type = 'primary') = (position = 0)", name="ck_guardians_primary_first"),
        sa.ForeignKeyConstraint(
            ["family_id"], ["families.id"], name="fk_guardians_family_id_families", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_guardians"),
        sa.UniqueConstraint("family_id", "position", name="uq_guardians_family_id_position"),
    )
    op.create_table(
        "children",
        _uuid("id", nullable=False),
        _uuid("family_id", nullable=False),
        sa.Column("first_name", sa.String(length=200), nullable=False),
        sa.Column("middle_name", sa.String(length=200), nullable=True),
        sa.Column("last_name", sa.String(length=200), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("payment_enabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("monthly_allocation_cents", sa.Integer(), nullable=True),
        sa.Column("prorated_allocation_cents", sa.Integer(), nullable=True),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        *_timestamps(),
        sa.CheckConstraint(f"status IN {STATUSES}", name="ck_children_status"),
        sa.CheckConstraint("monthly_allocation_cents >= 0", name="ck_children_monthly_allocation_cents"),
        sa.CheckConstraint("prorated_allocation_cents >= 0", name="ck_children_prorated_allocation_cents"),
        sa.ForeignKeyConstraint(
            ["family_id"], ["families.id"], name="fk_children_family_id_families", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_children"),
        sa.UniqueConstraint("external_id", name="uq_children_external_id"),
    )
    op.create_index("ix_children_family_id", "children", ["family_id"])
    op.create_table(
        "providers",
        _uuid("id", nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=8), nullable=False),
        sa.Column("first_name", sa.String(length=200), nullable=True),
        sa.Column("last_name", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("phone_number", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("payment_enabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("care_location_address_1", sa.Text(), nullable=True),
        sa.Column("care_location_address_2", sa.Text(), nullable=True),
        sa.Column("care_location_city", sa.Text(), nullable=True),
        sa.Column("care_location_state", sa.Text(), nullable=True),
        sa.Column("care_location_zip", sa.Text(), nullable=True),
        sa.Column("preferred_language", sa.String(length=2), nullable=False),
        sa.Column("link_id", sa.String(length=200), nullable=True),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        *_timestamps(),
        sa.CheckConstraint("type IN ('ffn', 'lhb', 'center')", name="ck_providers_type"),
        sa.CheckConstraint(f"status IN {STATUSES}", name="ck_providers_status"),
        sa.CheckConstraint(f"preferred_language IN {LANGUAGES}", name="ck_providers_preferred_language"),
        sa.PrimaryKeyConstraint("id", name="pk_providers"),
        sa.UniqueConstraint("external_id", name="uq_providers_external_id"),
    )
    op.create_table(
        "provider_child_links",
        _uuid("provider_id", nullable=False),
        _uuid("child_id", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name="fk_provider_child_links_provider_id_providers",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["children.id"],
            name="fk_provider_child_links_child_id_children",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("provider_id", "child_id", name="pk_provider_child_links"),
    )
    op.create_index("ix_provider_child_links_child_id", "provider_child_links", ["child_id"])
    op.create_table(
        "payment_rates",
        _identity(),
        _uuid("provider_id", nullable=False),
        _uuid("child_id", nullable=False),
        sa.Column("half_day_rate_cents", sa.Integer(), nullable=False),
        sa.Column("full_day_rate_cents", sa.Integer(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint(
            "half_day_rate_cents BETWEEN 100 AND 16000", name="ck_payment_rates_half_day_rate_cents"
        ),
        sa.CheckConstraint(
            "full_day_rate_cents BETWEEN 100 AND 16000", name="ck_payment_rates_full_day_rate_cents"
        ),
        sa.CheckConstraint(
            "half_day_rate_cents <= full_day_rate_cents", name="ck_payment_rates_half_not_above_full"
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name="fk_payment_rates_provider_id_providers",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name="fk_payment_rates_child_id_children", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_payment_rates"),
        sa.UniqueConstraint("provider_id", "child_id", name="uq_payment_rates_provider_id_child_id"),
    )
    op.create_index("ix_payment_rates_child_id", "payment_rates", ["child_id"])
    op.create_table(
        "month_allocations",
        _identity(),
        _uuid("child_id", nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("allocation_cents", sa.Integer(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint("EXTRACT(DAY FROM month) = 1", name="ck_month_allocations_first_of_month"),
        sa.CheckConstraint("allocation_cents >= 0", name="ck_month_allocations_allocation_cents"),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name="fk_month_allocations_child_id_children", ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_month_allocations"),
        sa.UniqueConstraint("child_id", "month", name="uq_month_allocations_child_id_month"),
    )
    op.create_table(
        "care_days",
        _identity(),
        sa.Column("allocation_id", sa.BigInteger(), nullable=False),
        _uuid("provider_id", nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("type", sa.String(length=8), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("amount_missing_cents", sa.Integer(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        _uuid("payment_id", nullable=True),
        sa.Column("payment_distribution_requested", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("last_submitted_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.CheckConstraint("type IN ('Full Day', 'Half Day')", name="ck_care_days_type"),
        sa.CheckConstraint("amount_cents > 0", name="ck_care_days_amount_cents"),
        sa.CheckConstraint(
            "amount_missing_cents IS NULL OR amount_missing_cents > 0",
            name="ck_care_days_amount_missing_cents",
        ),
        sa.ForeignKeyConstraint(
            ["allocation_id"],
            ["month_allocations.id"],
            name="fk_care_days_allocation_id_month_allocations",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name="fk_care_days_provider_id_providers", ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_care_days"),
        # Over every row, removed ones included: scheduling a removed day again restores that row.
        sa.UniqueConstraint(
            "allocation_id", "provider_id", "date", name="uq_care_days_allocation_id_provider_id_date"
        ),
    )
    op.create_index("ix_care_days_provider_id_date", "care_days", ["provider_id", "date"])
    op.create_table(
        "programme_events",
        _identity(),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_programme_events"),
    )
    op.create_index(
        "ix_programme_events_unpublished",
        "programme_events",
        ["id"],
        postgresql_where=sa.text("published_at IS NULL"),
    )


def downgrade() -> None:
    for table in (
        "programme_events",
        "care_days",
        "month_allocations",
        "payment_rates",
        "provider_child_links",
        "providers",
        "guardians",
        "children",
        "families",
    ):
        op.drop_table(table)
