"""Whose allocation and care day is this? Another family's records look exactly like missing ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.programme.actors import Actor
from domain.programme.allocations import MonthAllocation
from domain.programme.business_time import BusinessCalendar
from domain.programme.care_days import CareDay
from domain.programme.errors import AllocationNotFound, CareDayNotFound
from domain.programme.ports import CareDayUnitOfWork


@dataclass(frozen=True, slots=True)
class CareDayView:
    care_day: CareDay
    locked_date: datetime  # UTC instant after which the day is locked
    is_locked: bool


def view_care_day(care_day: CareDay, calendar: BusinessCalendar) -> CareDayView:
    return CareDayView(care_day, calendar.lock_instant(care_day.date), calendar.is_locked(care_day.date))


async def _owns_child(uow: CareDayUnitOfWork, actor: Actor, child_id: str) -> bool:
    if actor.family_id is None:
        return False
    child = await uow.children.get(child_id)
    return child is not None and actor.is_family(child.family_id)


async def owned_allocation_for_update(
    uow: CareDayUnitOfWork, actor: Actor, allocation_id: int
) -> MonthAllocation:
    # Ownership is checked before the row lock so nobody can hold locks on another family's budget.
    allocation = await uow.allocations.get(allocation_id)
    if allocation is None or not await _owns_child(uow, actor, allocation.child_id):
        raise AllocationNotFound()
    locked = await uow.allocations.get_for_update(allocation_id)
    if locked is None:
        raise AllocationNotFound()
    return locked


async def owned_care_day_for_update(
    uow: CareDayUnitOfWork, actor: Actor, care_day_id: int
) -> tuple[CareDay, MonthAllocation]:
    """The care day as it is once its allocation is locked (read again: it may have changed meanwhile)."""
    care_day = await uow.care_days.get(care_day_id)
    if care_day is None or not await _owns_child(uow, actor, care_day.child_id):
        raise CareDayNotFound()
    allocation = await uow.allocations.get_for_update(care_day.allocation_id)
    fresh = await uow.care_days.get(care_day_id)
    if allocation is None or fresh is None:
        raise CareDayNotFound()
    return fresh, allocation
