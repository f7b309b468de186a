"""ORM rows of the programme's tables. They never leave this package: repositories map them by hand.

Money is integer cents guarded by CHECK constraints that repeat the domain's bounds, so a bug (or a
hand-written SQL fix) cannot store a budget the rules would refuse. Families, guardians, children and
providers use the domain's uuid4 ids as native UUIDs; allocations, care days and payment rates get
BIGINT identities (JSON integers). Enumerations are stored by their domain value, checked in SQL.

``migrations/versions/0004_programme.py`` creates exactly this (``0005_drop_programme_events`` then
drops the event table that allocation jobs replaced); a test compares the two.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.base import DefaultBase, IdentityAuditBase
from advanced_alchemy.mixins import AuditColumns
from advanced_alchemy.types import GUID, DateTimeUTC
from advanced_alchemy.types.identity import BigIntIdentity
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.programme.care_days import CareDayType
from domain.programme.families import GuardianType
from domain.programme.providers import ProviderType
from domain.programme.rates import MAX_RATE_CENTS, MIN_RATE_CENTS
from domain.programme.statuses import ApplicationStatus, Language

NAME = 200  # domain.programme.validation.MAX_NAME_LENGTH
PHONE = 16  # E.164: '+' and at most 15 digits


def one_of(column: str, values: type[Any]) -> str:
    """SQL for "column holds one of the enumeration's values"."""
    listed = ", ".join("'" + member.value.replace("'", "''") + "'" for member in values)
    return f"{column} IN ({listed})"


class FamilyRow(AuditColumns, DefaultBase):
    __tablename__ = "families"
    __table_args__ = (
        CheckConstraint(one_of("language", Language), name="language"),
        CheckConstraint("household_size >= 1", name="household_size"),
        CheckConstraint("yearly_income_cents >= 0", name="yearly_income_cents"),
    )

    id: Mapped[UUID] = mapped_column(GUID, primary_key=True)
    language: Mapped[str] = mapped_column(String(2))
    zip_code: Mapped[str | None] = mapped_column(String(NAME))
    household_size: Mapped[int | None] = mapped_column(Integer)
    yearly_income_cents: Mapped[int | None] = mapped_column(BigInteger)
    link_id: Mapped[str | None] = mapped_column(String(NAME))
    external_id: Mapped[str | None] = mapped_column(String(NAME), unique=True)

    guardians: Mapped[list[GuardianRow]] = relationship(
        lazy="raise", order_by="GuardianRow.position", passive_deletes=True
    )


class GuardianRow(AuditColumns, DefaultBase):
    """A family's guardians in order: position 0 is the primary guardian, and only it."""

    __tablename__ = "guardians"
    __table_args__ = (
        UniqueConstraint("family_id", "position", name="uq_guardians_family_id_position"),
        CheckConstraint("position >= 0", name="position"),
        CheckConstraint(one_of("type", GuardianType), name="type"),
        CheckConstraint("(type = 'primary') = (position = 0)", name="primary_first"),
    )

    id: Mapped[UUID] = mapped_column(GUID, primary_key=True)
    family_id: Mapped[UUID] = mapped_column(GUID, ForeignKey("families.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(SmallInteger)
    type: Mapped[str] = mapped_column(String(16))
    first_name: Mapped[str] = mapped_column(String(NAME))
    last_name: Mapped[str] = mapped_column(String(NAME))
    email: Mapped[str | None] = mapped_column(String(NAME))
    phone_number: Mapped[str | None] = mapped_column(String(PHONE))
    address_line_1: Mapped[str | None] = mapped_column(Text)
    address_line_2: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str | None] = mapped_column(Text)
    zip_code: Mapped[str | None] = mapped_column(Text)
    # Matched within the family only (a re-push keeps the guardian's id), so not unique across families.
    external_id: Mapped[str | None] = mapped_column(String(NAME))


class ChildRow(AuditColumns, DefaultBase):
    __tablename__ = "children"
    __table_args__ = (
        CheckConstraint(one_of("status", ApplicationStatus), name="status"),
        CheckConstraint("monthly_allocation_cents >= 0", name="monthly_allocation_cents"),
        CheckConstraint("prorated_allocation_cents >= 0", name="prorated_allocation_cents"),
    )

    id: Mapped[UUID] = mapped_column(GUID, primary_key=True)
    family_id: Mapped[UUID] = mapped_column(GUID, ForeignKey("families.id", ondelete="CASCADE"), index=True)
    first_name: Mapped[str] = mapped_column(String(NAME))
    middle_name: Mapped[str | None] = mapped_column(String(NAME))
    last_name: Mapped[str] = mapped_column(String(NAME))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(32))
    payment_enabled: Mapped[bool] = mapped_column(Boolean, server_default=false())
    monthly_allocation_cents: Mapped[int | None] = mapped_column(Integer)
    prorated_allocation_cents: Mapped[int | None] = mapped_column(Integer)
    external_id: Mapped[str | None] = mapped_column(String(NAME), unique=True)


class ProviderRow(AuditColumns, DefaultBase):
    __tablename__ = "providers"
    __table_args__ = (
        CheckConstraint(one_of("type", ProviderType), name="type"),
        CheckConstraint(one_of("status", ApplicationStatus), name="status"),
        CheckConstraint(one_of("preferred_language", Language), name="preferred_language"),
    )

    id: Mapped[UUID] = mapped_column(GUID, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME))
    type: Mapped[str] = mapped_column(String(8))
    first_name: Mapped[str | None] = mapped_column(String(NAME))
    last_name: Mapped[str | None] = mapped_column(String(NAME))
    email: Mapped[str | None] = mapped_column(String(NAME))
    phone_number: Mapped[str | None] = mapped_column(String(PHONE))
    status: Mapped[str] = mapped_column(String(32))
    payment_enabled: Mapped[bool] = mapped_column(Boolean, server_default=false())
    care_location_address_1: Mapped[str | None] = mapped_column(Text)
    care_location_address_2: Mapped[str | None] = mapped_column(Text)
    care_location_city: Mapped[str | None] = mapped_column(Text)
    care_location_state: Mapped[str | None] = mapped_column(Text)
    care_location_zip: Mapped[str | None] = mapped_column(Text)
    preferred_language: Mapped[str] = mapped_column(String(2))
    link_id: Mapped[str | None] = mapped_column(String(NAME))
    external_id: Mapped[str | None] = mapped_column(String(NAME), unique=True)


class ProviderChildLinkRow(DefaultBase):
    """Which children a provider cares for; the pair is the key, so a link exists at most once."""

    __tablename__ = "provider_child_links"

    provider_id: Mapped[UUID] = mapped_column(
        GUID, ForeignKey("providers.id", ondelete="CASCADE"), primary_key=True
    )
    child_id: Mapped[UUID] = mapped_column(
        GUID, ForeignKey("children.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), server_default=text("now()"))


class PaymentRateRow(IdentityAuditBase):
    __tablename__ = "payment_rates"
    __table_args__ = (
        UniqueConstraint("provider_id", "child_id", name="uq_payment_rates_provider_id_child_id"),
        CheckConstraint(
            f"half_day_rate_cents BETWEEN {MIN_RATE_CENTS} AND {MAX_RATE_CENTS}", name="half_day_rate_cents"
        ),
        CheckConstraint(
            f"full_day_rate_cents BETWEEN {MIN_RATE_CENTS} AND {MAX_RATE_CENTS}", name="full_day_rate_cents"
        ),
        CheckConstraint("half_day_rate_cents <= full_day_rate_cents", name="half_not_above_full"),
    )

    provider_id: Mapped[UUID] = mapped_column(GUID, ForeignKey("providers.id", ondelete="CASCADE"))
    child_id: Mapped[UUID] = mapped_column(GUID, ForeignKey("children.id", ondelete="CASCADE"), index=True)
    half_day_rate_cents: Mapped[int] = mapped_column(Integer)
    full_day_rate_cents: Mapped[int] = mapped_column(Integer)


class MonthAllocationRow(IdentityAuditBase):
    """One child's budget for one month. Money records are never removed by a cascade (RESTRICT)."""

    __tablename__ = "month_allocations"
    __table_args__ = (
        UniqueConstraint("child_id", "month", name="uq_month_allocations_child_id_month"),
        CheckConstraint("EXTRACT(DAY FROM month) = 1", name="first_of_month"),
        CheckConstraint("allocation_cents >= 0", name="allocation_cents"),
        CheckConstraint("reclaimed_cents BETWEEN 0 AND allocation_cents", name="reclaimed_cents"),
        CheckConstraint("paid_cents >= 0", name="paid_cents"),
        CheckConstraint("lump_sum_cents >= 0", name="lump_sum_cents"),
        CheckConstraint("paid_cents + reclaimed_cents <= allocation_cents", name="paid_and_reclaimed_fit"),
    )

    child_id: Mapped[UUID] = mapped_column(GUID, ForeignKey("children.id", ondelete="RESTRICT"))
    month: Mapped[date] = mapped_column(Date)
    allocation_cents: Mapped[int] = mapped_column(Integer)
    # What reclamation took back, kept with the allocation in the reclamation's own transaction so the
    # month view reads it with the allocation (no extra statement); `cap-portal ledger check` proves it
    # equals the reclamation rows and the ledger.
    reclaimed_cents: Mapped[int] = mapped_column(Integer, server_default="0")
    # Kept the same way by the payment of an intent (``paid_cents``, under this row's lock) and by a lump
    # sum's creation (``lump_sum_cents``); the ledger check proves them against the payments and lump sums.
    paid_cents: Mapped[int] = mapped_column(Integer, server_default="0")
    lump_sum_cents: Mapped[int] = mapped_column(Integer, server_default="0")


class CareDayRow(IdentityAuditBase):
    """A scheduled day. Unique over every row, removed ones included: scheduling a removed day again
    restores that row (the domain never inserts a second one)."""

    __tablename__ = "care_days"
    __table_args__ = (
        UniqueConstraint(
            "allocation_id", "provider_id", "date", name="uq_care_days_allocation_id_provider_id_date"
        ),
        Index("ix_care_days_provider_id_date", "provider_id", "date"),
        CheckConstraint(one_of("type", CareDayType), name="type"),
        CheckConstraint("amount_cents > 0", name="amount_cents"),
        CheckConstraint(
            "amount_missing_cents IS NULL OR amount_missing_cents > 0", name="amount_missing_cents"
        ),
    )

    allocation_id: Mapped[int] = mapped_column(
        BigIntIdentity, ForeignKey("month_allocations.id", ondelete="RESTRICT")
    )
    provider_id: Mapped[UUID] = mapped_column(GUID, ForeignKey("providers.id", ondelete="RESTRICT"))
    date: Mapped[date] = mapped_column(Date)
    type: Mapped[str] = mapped_column(String(8))
    amount_cents: Mapped[int] = mapped_column(Integer)
    amount_missing_cents: Mapped[int | None] = mapped_column(Integer)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    # Set when the intent that claimed the day is paid (migrations/versions/0012_payments.py).
    payment_id: Mapped[UUID | None] = mapped_column(GUID, ForeignKey("payments.id", ondelete="RESTRICT"))
    payment_distribution_requested: Mapped[bool] = mapped_column(Boolean, server_default=false())
    last_submitted_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))

    allocation: Mapped[MonthAllocationRow] = relationship(lazy="raise")
