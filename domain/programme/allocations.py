"""Monthly allocations: one child's budget for one month, and the figures families see."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from domain.programme.business_time import BusinessCalendar
from domain.programme.care_days import CareDay
from domain.programme.config import ProgrammeRules
from domain.programme.errors import (
    AllocationAboveMaximum,
    AllocationAmountMissing,
    AllocationMonthNotAllowed,
    ChildNotPaymentEnabled,
    ProgramEnded,
)
from domain.programme.families import Child


@dataclass(frozen=True, slots=True)
class MonthAllocation:
    id: int
    child_id: str
    month: date  # the first day of the month
    allocation_cents: int
    created_at: datetime
    updated_at: datetime
    # Sums kept on the allocation's row by the records that change them, under its row lock: paid_cents
    # when an intent is paid, lump_sum_cents when a lump sum is created, reclaimed_cents by a reclamation.
    reclaimed_cents: int = 0
    paid_cents: int = 0
    lump_sum_cents: int = 0

    @property
    def net_allocation_cents(self) -> int:
        return self.allocation_cents - self.reclaimed_cents


def selected_cents(allocation: MonthAllocation, care_days: Iterable[CareDay]) -> int:
    return sum(day.amount_cents for day in care_days if not day.is_deleted) + allocation.lump_sum_cents


def remaining_unselected_cents(allocation: MonthAllocation, care_days: Iterable[CareDay]) -> int:
    # Measured against the net budget: money reclaimed from the family can no longer be scheduled.
    return allocation.net_allocation_cents - selected_cents(allocation, care_days)


@dataclass(frozen=True, slots=True)
class AllocationFigures:
    allocation_cents: int
    reclaimed_cents: int
    net_allocation_cents: int
    selected_cents: int
    paid_cents: int
    remaining_unselected_cents: int
    remaining_unpaid_cents: int
    selected_over_allocation: bool
    locked_until_date: date
    locked_past_date: date


def allocation_figures(
    allocation: MonthAllocation, care_days: Iterable[CareDay], calendar: BusinessCalendar
) -> AllocationFigures:
    days = list(care_days)
    selected = selected_cents(allocation, days)
    net = allocation.net_allocation_cents
    return AllocationFigures(
        allocation_cents=allocation.allocation_cents,
        reclaimed_cents=allocation.reclaimed_cents,
        net_allocation_cents=net,
        selected_cents=selected,
        paid_cents=allocation.paid_cents,
        remaining_unselected_cents=net - selected,
        remaining_unpaid_cents=net - allocation.paid_cents,
        selected_over_allocation=selected > net,
        locked_until_date=calendar.locked_until_date(),
        locked_past_date=calendar.locked_past_date(),
    )


def check_month_in_window(month: date, calendar: BusinessCalendar) -> None:
    # Only the current and the next business month: budgets are funded a month ahead, never further.
    if month not in (calendar.current_month(), calendar.next_month()):
        raise AllocationMonthNotAllowed()


def check_month_open_for_allocations(month: date, calendar: BusinessCalendar, rules: ProgrammeRules) -> None:
    check_month_in_window(month, calendar)
    if not rules.allows_allocations_for(month):
        raise ProgramEnded()


def allocation_amount_cents(child: Child, *, is_first: bool, rules: ProgrammeRules) -> int:
    """The prorated amount for the child's first allocation (they join mid-month), the monthly one after."""
    if not child.payment_enabled:
        raise ChildNotPaymentEnabled()
    if not child.monthly_allocation_cents:
        raise AllocationAmountMissing()
    amount = child.prorated_allocation_cents if is_first else child.monthly_allocation_cents
    if amount is None:
        raise AllocationAmountMissing()
    if amount > rules.max_allocation_cents:
        raise AllocationAboveMaximum(amount, rules.max_allocation_cents)
    return amount
