"""What families and providers read: a child's month, and a provider's scheduled days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.programme.actors import Actor
from domain.programme.allocations import AllocationFigures, MonthAllocation, allocation_figures
from domain.programme.business_time import BusinessCalendar
from domain.programme.errors import (
    AllocationNotFound,
    ChildNotFound,
    InvalidDateRange,
    InvalidField,
    ProviderNotFound,
)
from domain.programme.ports import ChildMonthReads, ProgrammeUnitOfWork
from domain.programme.use_cases.care_day_access import CareDayView, view_care_day


@dataclass(frozen=True, slots=True)
class ChildAllocationView:
    allocation: MonthAllocation
    figures: AllocationFigures
    care_days: tuple[CareDayView, ...]  # removed ones included: the calendar shows them as such


def requested_month(month: int, year: int) -> date:
    """The first day of the month a path names (1-based month, four-digit year)."""
    if not 1 <= month <= 12:
        raise InvalidField("month", "must be between 1 and 12")
    if not 1 <= year <= 9999:
        raise InvalidField("year", "must be a four-digit year")
    return date(year, month, 1)


async def get_child_allocation(
    uow: ChildMonthReads,
    calendar: BusinessCalendar,
    actor: Actor,
    *,
    child_id: str,
    month: int,
    year: int,
    provider_id: str | None = None,
) -> ChildAllocationView:
    """The month's allocation with its figures; ``provider_id`` narrows the listed days, not the figures."""
    month_start = requested_month(month, year)
    async with uow:
        child = await uow.children.get(child_id)
        if child is None or not (actor.is_admin or actor.is_family(child.family_id)):
            raise ChildNotFound()
        allocation = await uow.allocations.get_for_child_month(child_id, month_start)
        if allocation is None:
            raise AllocationNotFound()
        days = await uow.care_days.list_for_allocation(allocation.id)
    shown = [day for day in days if provider_id is None or day.provider_id == provider_id]
    return ChildAllocationView(
        allocation=allocation,
        figures=allocation_figures(allocation, days, calendar),
        care_days=tuple(view_care_day(day, calendar) for day in shown),
    )


async def get_provider_care_days(
    uow: ProgrammeUnitOfWork,
    calendar: BusinessCalendar,
    actor: Actor,
    *,
    provider_id: str,
    child_id: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> dict[str, list[CareDayView]]:
    """The provider's own care days grouped by child id; nobody else may list them (upstream let any
    provider read any other provider's days)."""
    if not actor.is_provider(provider_id):
        raise ProviderNotFound()
    if start is not None and end is not None and start > end:
        raise InvalidDateRange()
    async with uow:
        days = await uow.care_days.list_for_provider(provider_id, child_id=child_id, start=start, end=end)
    by_child: dict[str, list[CareDayView]] = {}
    for day in days:
        by_child.setdefault(day.child_id, []).append(view_care_day(day, calendar))
    return by_child
