"""Lump sums (upstream §2.3): a family pays a provider an amount for a month at once — how centers are
paid — recording how many days and half days it covers.

Upstream's defects fixed here: the amount had to fit only what was *paid*, so a lump sum could spend money
already scheduled for care days; now it must fit the allocation's **unselected** remainder (scheduled but
unpaid days count), checked under the allocation's row lock so concurrent lump sums take turns. Upstream
allowed any month; now only the current month or a past month that is still open (not reached by
reclamation: the month before the current one). And upstream kept a lump sum whose payment failed at
once; here a refused payment rolls the lump sum back with it, and one whose gateway call failed stays
claimed by its payment intent, which a job retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from domain.errors import RuleRefused
from domain.money.reclamation import is_reclaimable_month
from domain.programme.business_time import month_start
from domain.programme.errors import InvalidField

MAX_DAYS = 31


class LumpSumExceedsAllocation(RuleRefused):
    code = "lump_sum_exceeds_allocation"
    default_message = "Adding this lump sum would exceed monthly allocation"


class LumpSumMonthClosed(RuleRefused):
    code = "lump_sum_month_closed"
    default_message = "Lump sums are paid only for the current month or last month"


@dataclass(frozen=True, slots=True)
class LumpSumRequest:
    allocation_id: int
    provider_id: str
    amount_cents: int
    days: int = 0
    half_days: int = 0


@dataclass(frozen=True, slots=True)
class LumpSum:
    id: int
    allocation_id: int
    provider_id: str
    amount_cents: int
    days: int
    half_days: int
    created_at: datetime


def check_request(request: LumpSumRequest, *, max_payment_cents: int) -> None:
    for name in ("amount_cents", "days", "half_days"):
        value = getattr(request, name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidField(name, "must be a whole number")
    if request.amount_cents <= 0:
        raise InvalidField("amount_cents", "must be positive")
    if request.amount_cents > max_payment_cents:
        raise InvalidField("amount_cents", f"must be at most {max_payment_cents}")
    for name, value in (("days", request.days), ("half_days", request.half_days)):
        if not 0 <= value <= MAX_DAYS:
            raise InvalidField(name, f"must be between 0 and {MAX_DAYS}")
    if request.days == 0 and request.half_days == 0:
        raise InvalidField("days", "days or half_days must be more than 0")


def check_month_open(month: date, today: date) -> None:
    """The current month, or a past one reclamation has not reached (the month before the current one)."""
    if month_start(month) > month_start(today) or is_reclaimable_month(month, today):
        raise LumpSumMonthClosed(details={"month": month.isoformat()[:7]})


def check_fits_unselected(amount_cents: int, remaining_unselected_cents: int) -> None:
    if amount_cents > remaining_unselected_cents:
        raise LumpSumExceedsAllocation(
            details={"amount_cents": amount_cents, "remaining_unselected_cents": remaining_unselected_cents}
        )
