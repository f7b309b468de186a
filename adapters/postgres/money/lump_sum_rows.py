"""The lump-sum table: what a family paid a provider for a month at once (its payment is the intent that
claims it, UNIQUE ``payment_intent_items.lump_sum_id``)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from advanced_alchemy.base import IdentityAuditBase
from advanced_alchemy.types import GUID, DateTimeUTC
from advanced_alchemy.types.identity import BigIntIdentity
from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from domain.money.lump_sums import MAX_DAYS


class LumpSumRow(IdentityAuditBase):
    __tablename__ = "lump_sums"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_cents"),
        CheckConstraint(f"days BETWEEN 0 AND {MAX_DAYS}", name="days"),
        CheckConstraint(f"half_days BETWEEN 0 AND {MAX_DAYS}", name="half_days"),
        CheckConstraint("days + half_days > 0", name="some_days"),
        Index("ix_lump_sums_allocation_id", "allocation_id"),
    )

    allocation_id: Mapped[int] = mapped_column(
        BigIntIdentity, ForeignKey("month_allocations.id", ondelete="RESTRICT")
    )
    provider_id: Mapped[UUID] = mapped_column(GUID, ForeignKey("providers.id", ondelete="RESTRICT"))
    amount_cents: Mapped[int] = mapped_column(Integer)
    days: Mapped[int] = mapped_column(Integer)
    half_days: Mapped[int] = mapped_column(Integer)
    # Set when an operator cancelled its failed payment: it no longer counts in lump_sum_cents.
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
