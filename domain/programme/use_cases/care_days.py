"""Families schedule, change and remove care days, spending the month's allocation.

Every write locks the allocation's row first, so the remaining budget each request sees is the one
it spends: twenty requests at once cannot over-select an allocation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.programme.actors import Actor
from domain.programme.allocations import remaining_unselected_cents
from domain.programme.business_time import BusinessCalendar, in_same_month
from domain.programme.care_days import (
    CareDay,
    CareDayType,
    check_changeable,
    cost_cents,
    coverage,
    covered,
    soft_deleted,
)
from domain.programme.errors import (
    AllocationExceeded,
    CareDayExists,
    CareDayInPast,
    CareDayLocked,
    CareDayOutsideAllocationMonth,
    PaymentRateNotSet,
    ProviderNotLinked,
)
from domain.programme.ports import CareDayUnitOfWork
from domain.programme.rates import PaymentRate
from domain.programme.records import UNSAVED_ID
from domain.programme.use_cases.care_day_access import (
    CareDayView,
    owned_allocation_for_update,
    owned_care_day_for_update,
    view_care_day,
)


@dataclass(frozen=True, slots=True)
class CareDayRequest:
    allocation_id: int
    provider_id: str
    date: date
    type: CareDayType


async def _rate(uow: CareDayUnitOfWork, provider_id: str, child_id: str) -> PaymentRate:
    rate = await uow.rates.get(provider_id, child_id)
    if rate is None:
        raise PaymentRateNotSet()
    return rate


async def create_care_day(
    uow: CareDayUnitOfWork, calendar: BusinessCalendar, actor: Actor, request: CareDayRequest
) -> CareDayView:
    """Schedules the day, or restores it when the same day was scheduled and removed before."""
    async with uow:
        allocation = await owned_allocation_for_update(uow, actor, request.allocation_id)
        if not await uow.links.is_linked(request.provider_id, allocation.child_id):
            raise ProviderNotLinked()
        rate = await _rate(uow, request.provider_id, allocation.child_id)
        if not in_same_month(request.date, allocation.month):
            raise CareDayOutsideAllocationMonth()
        if request.date < calendar.today():
            raise CareDayInPast()
        # Also for restoring a removed day: upstream restored without this check, reopening locked weeks.
        if calendar.is_locked(request.date):
            raise CareDayLocked()
        twin = await uow.care_days.find(allocation.id, request.provider_id, request.date)
        if twin is not None and not twin.is_deleted:
            raise CareDayExists()
        if twin is not None:
            check_changeable(twin, calendar)
        days = await uow.care_days.list_for_allocation(allocation.id)
        cover = coverage(cost_cents(rate, request.type), remaining_unselected_cents(allocation, days))
        if cover is None:
            raise AllocationExceeded()
        now = calendar.now()
        if twin is not None:
            care_day = covered(twin, request.type, cover, now)
            await uow.care_days.save(care_day)
        else:
            draft = CareDay(
                id=UNSAVED_ID,
                allocation_id=allocation.id,
                child_id=allocation.child_id,
                provider_id=request.provider_id,
                date=request.date,
                type=request.type,
                amount_cents=cover.amount_cents,
                amount_missing_cents=cover.amount_missing_cents,
                created_at=now,
                updated_at=now,
            )
            care_day = await uow.care_days.add(draft)
        await uow.commit()
    return view_care_day(care_day, calendar)


async def change_care_day_type(
    uow: CareDayUnitOfWork,
    calendar: BusinessCalendar,
    actor: Actor,
    care_day_id: int,
    day_type: CareDayType,
) -> CareDayView:
    """Re-prices the day for its new type (restoring it if it was removed); when the allocation cannot
    cover any of it, the day is removed instead."""
    async with uow:
        care_day, allocation = await owned_care_day_for_update(uow, actor, care_day_id)
        check_changeable(care_day, calendar)
        rate = await _rate(uow, care_day.provider_id, care_day.child_id)
        days = await uow.care_days.list_for_allocation(allocation.id)
        # The day's own current amount is available to it again.
        available = remaining_unselected_cents(allocation, days) + (
            0 if care_day.is_deleted else care_day.amount_cents
        )
        cover = coverage(cost_cents(rate, day_type), available)
        now = calendar.now()
        if cover is not None:
            care_day = covered(care_day, day_type, cover, now)
        elif not care_day.is_deleted:
            care_day = soft_deleted(care_day, now)
        await uow.care_days.save(care_day)
        await uow.commit()
    return view_care_day(care_day, calendar)


async def delete_care_day(
    uow: CareDayUnitOfWork, calendar: BusinessCalendar, actor: Actor, care_day_id: int
) -> None:
    """Soft delete: the day stays visible as removed, and scheduling it again restores it."""
    async with uow:
        care_day, _ = await owned_care_day_for_update(uow, actor, care_day_id)
        check_changeable(care_day, calendar)
        if care_day.is_deleted:
            return
        await uow.care_days.save(soft_deleted(care_day, calendar.now()))
        await uow.commit()
