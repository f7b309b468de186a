"""The reclamation table: one row per allocation (UNIQUE), claimed with its amount and idempotency key
before the gateway moves anything (domain/money/reclamation.py says why)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from advanced_alchemy.base import DefaultBase
from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Identity, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from adapters.postgres.money.rows import GATEWAY_ID, KEY
from adapters.postgres.programme.rows import one_of
from domain.money.reclamation import ReclamationStatus


class FundReclamationRow(DefaultBase):
    __tablename__ = "fund_reclamations"
    __table_args__ = (
        CheckConstraint(one_of("status", ReclamationStatus), name="status"),
        CheckConstraint("amount_cents > 0", name="amount_cents"),
        CheckConstraint(
            "(status = 'reclaimed')"
            " = (gateway_transfer_id IS NOT NULL AND ledger_transaction_id IS NOT NULL)",
            name="reclaimed_has_transfer",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(start=1, increment=1), primary_key=True)
    allocation_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("month_allocations.id", ondelete="RESTRICT"), unique=True
    )
    family_id: Mapped[UUID] = mapped_column(GUID, ForeignKey("families.id", ondelete="RESTRICT"))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    idempotency_key: Mapped[str] = mapped_column(String(KEY), unique=True)
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    gateway_transfer_id: Mapped[str | None] = mapped_column(String(GATEWAY_ID), nullable=True)
    ledger_transaction_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("ledger_transactions.id", ondelete="RESTRICT"), nullable=True
    )
    reclaimed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), server_default=func.now())
