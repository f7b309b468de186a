"""Payment history: what families and providers see of their payments — paid ones, and those still in
progress or failed with their real status (upstream listed successful payments only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from domain.money.payments import IntentStatus, PaymentKind
from domain.money.wallets import PaymentMethod
from domain.programme.care_days import CareDayType


@dataclass(frozen=True, slots=True)
class PaidCareDay:
    date: date
    type: CareDayType
    amount_cents: int
    amount_missing_cents: int | None


@dataclass(frozen=True, slots=True)
class PaidLumpSum:
    days: int
    half_days: int
    amount_cents: int


@dataclass(frozen=True, slots=True)
class HistoryLine:
    """One payment intent as the history pages list it."""

    intent_id: str
    payment_id: str | None  # set once paid
    created_at: datetime  # when it was paid, or asked for while not paid
    amount_cents: int
    status: IntentStatus
    kind: PaymentKind
    provider_id: str
    provider_name: str
    child_id: str
    child_first_name: str
    child_last_name: str
    month: date  # the allocation's month (its first day)
    payment_method: PaymentMethod | None
    care_days: tuple[PaidCareDay, ...]
    lump_sum: PaidLumpSum | None

    @property
    def child_name(self) -> str:
        return f"{self.child_first_name} {self.child_last_name}".strip()

    @property
    def shown_status(self) -> str:
        """The frontend's words (``success``/``pending``/``failed``)."""
        if self.status is IntentStatus.PAID:
            return "success"
        return "failed" if self.status is IntentStatus.FAILED else "pending"


@dataclass(frozen=True, slots=True)
class History:
    lines: tuple[HistoryLine, ...]  # newest first

    @property
    def paid_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines if line.status is IntentStatus.PAID)
