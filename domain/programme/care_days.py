"""Care days: one scheduled day of care for a child with a provider, paid from the month's allocation."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date, datetime

from domain.programme.business_time import BusinessCalendar
from domain.programme.errors import CareDayLocked, CareDaySubmitted
from domain.programme.rates import PaymentRate


class CareDayType(enum.StrEnum):
    FULL_DAY = "Full Day"
    HALF_DAY = "Half Day"

    @property
    def day_count(self) -> float:
        return 1.0 if self is CareDayType.FULL_DAY else 0.5


class CareDayStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    DELETED = "deleted"
    NEEDS_SUBMISSION = "needs_submission"


@dataclass(frozen=True, slots=True)
class CareDay:
    id: int
    allocation_id: int
    child_id: str  # the allocation's child, read through the allocation
    provider_id: str
    date: date
    type: CareDayType
    amount_cents: int
    # Set only when the allocation could not cover the whole rate: the part the family still owes.
    amount_missing_cents: int | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None
    # Written by the payments capability when the day is paid.
    payment_id: str | None = None
    payment_distribution_requested: bool = False
    last_submitted_at: datetime | None = None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_submitted(self) -> bool:
        paid = self.payment_id is not None or self.last_submitted_at is not None
        return paid or self.payment_distribution_requested

    @property
    def is_partial_payment(self) -> bool:
        return self.amount_missing_cents is not None and self.amount_missing_cents > 0

    @property
    def status(self) -> CareDayStatus:
        if self.is_submitted:
            return CareDayStatus.SUBMITTED
        if self.is_deleted:
            return CareDayStatus.DELETED
        return CareDayStatus.NEEDS_SUBMISSION


@dataclass(frozen=True, slots=True)
class Coverage:
    amount_cents: int
    amount_missing_cents: int | None


def cost_cents(rate: PaymentRate, day_type: CareDayType) -> int:
    return rate.full_day_rate_cents if day_type is CareDayType.FULL_DAY else rate.half_day_rate_cents


def coverage(cost: int, available_cents: int) -> Coverage | None:
    """How much of a day's cost the allocation can carry; None when nothing is left to carry any of it."""
    if available_cents <= 0:
        return None
    covered = min(cost, available_cents)
    return Coverage(amount_cents=covered, amount_missing_cents=(cost - covered) or None)


def check_changeable(care_day: CareDay, calendar: BusinessCalendar) -> None:
    """Paid days are history, and a locked week's schedule is what gets paid: neither may change."""
    if care_day.is_submitted:
        raise CareDaySubmitted()
    if calendar.is_locked(care_day.date):
        raise CareDayLocked()


def covered(care_day: CareDay, day_type: CareDayType, cover: Coverage, now: datetime) -> CareDay:
    return replace(
        care_day,
        type=day_type,
        amount_cents=cover.amount_cents,
        amount_missing_cents=cover.amount_missing_cents,
        deleted_at=None,
        updated_at=now,
    )


def soft_deleted(care_day: CareDay, now: datetime) -> CareDay:
    return replace(care_day, deleted_at=now, updated_at=now)
