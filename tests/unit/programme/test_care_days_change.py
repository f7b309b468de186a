from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from domain.programme.actors import Actor
from domain.programme.business_time import BusinessCalendar
from domain.programme.care_days import CareDayStatus, CareDayType
from domain.programme.errors import CareDayLocked, CareDayNotFound, CareDaySubmitted
from domain.programme.use_cases.care_days import change_care_day_type, delete_care_day
from tests.fakes import FakeProgrammeUnitOfWork, FixedClock
from tests.fields import CareDayFields
from tests.unit.programme.builders import (
    FAMILY,
    FULL,
    HALF,
    OTHER_FAMILY,
    PROVIDER,
    WEDNESDAY,
    World,
    add_allocation,
    add_care_day,
    denver,
)

NEXT_MONDAY = date(2025, 1, 20)
FAMILY_ACTOR = Actor.family(FAMILY)


async def test_changing_the_type_reprices_the_day(
    world: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    day = add_care_day(uow, world.allocation, NEXT_MONDAY, HALF)

    view = await change_care_day_type(uow, calendar, FAMILY_ACTOR, day.id, CareDayType.FULL_DAY)

    stored = uow.state.care_days[day.id]
    assert view.care_day == stored
    assert (stored.type, stored.amount_cents, stored.amount_missing_cents) == (
        CareDayType.FULL_DAY,
        FULL,
        None,
    )
    assert stored.updated_at == WEDNESDAY
    assert uow.commits == 1
    assert uow.allocations.locked == [world.allocation.id]


async def test_the_days_own_amount_counts_as_available(
    world: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    # Budget 9,000: 3,000 elsewhere and this half day's 4,000 leave 2,000, so the full day may use 6,000.
    uow.state.allocations[world.allocation.id] = replace(world.allocation, allocation_cents=9_000)
    add_care_day(uow, world.allocation, date(2025, 1, 21), 3_000)
    day = add_care_day(uow, world.allocation, NEXT_MONDAY, HALF)

    view = await change_care_day_type(uow, calendar, FAMILY_ACTOR, day.id, CareDayType.FULL_DAY)

    assert (view.care_day.amount_cents, view.care_day.amount_missing_cents) == (6_000, 2_000)
    assert view.care_day.is_partial_payment


async def test_a_partial_day_becomes_whole_again_when_cheaper(
    world: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    day = add_care_day(
        uow, world.allocation, NEXT_MONDAY, 6_000, type=CareDayType.FULL_DAY, amount_missing_cents=2_000
    )
    view = await change_care_day_type(uow, calendar, FAMILY_ACTOR, day.id, CareDayType.HALF_DAY)
    assert (view.care_day.amount_cents, view.care_day.amount_missing_cents) == (HALF, None)
    assert not view.care_day.is_partial_payment


async def test_a_day_nothing_can_cover_is_removed_instead(
    world: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    # Reclaimed money leaves nothing for this day, not even its own old amount.
    uow.state.allocations[world.allocation.id] = replace(world.allocation, reclaimed_cents=100_000)
    day = add_care_day(uow, world.allocation, NEXT_MONDAY, HALF)

    view = await change_care_day_type(uow, calendar, FAMILY_ACTOR, day.id, CareDayType.FULL_DAY)

    assert view.care_day.is_deleted
    assert view.care_day.status is CareDayStatus.DELETED
    assert uow.state.care_days[day.id].deleted_at == WEDNESDAY
    assert uow.commits == 1


async def test_changing_a_removed_day_restores_it(
    world: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    day = add_care_day(uow, world.allocation, NEXT_MONDAY, HALF, deleted_at=WEDNESDAY)
    view = await change_care_day_type(uow, calendar, FAMILY_ACTOR, day.id, CareDayType.FULL_DAY)
    assert not view.care_day.is_deleted
    assert view.care_day.amount_cents == FULL


@pytest.mark.parametrize(
    "paid",
    [{"payment_id": "pay-1"}, {"last_submitted_at": WEDNESDAY}, {"payment_distribution_requested": True}],
)
async def test_submitted_days_cannot_change_or_be_removed(
    world: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar, paid: CareDayFields
) -> None:
    day = add_care_day(uow, world.allocation, NEXT_MONDAY, HALF, **paid)
    assert day.status is CareDayStatus.SUBMITTED
    with pytest.raises(CareDaySubmitted):
        await change_care_day_type(uow, calendar, FAMILY_ACTOR, day.id, CareDayType.FULL_DAY)
    with pytest.raises(CareDaySubmitted):
        await delete_care_day(uow, calendar, FAMILY_ACTOR, day.id)
    assert uow.state.care_days[day.id] == day
    assert uow.commits == 0


async def test_locked_days_cannot_change_or_be_removed(
    world: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    day = add_care_day(uow, world.allocation, date(2025, 1, 16), HALF)  # this week, locked since Monday night
    with pytest.raises(CareDayLocked):
        await change_care_day_type(uow, calendar, FAMILY_ACTOR, day.id, CareDayType.FULL_DAY)
    with pytest.raises(CareDayLocked):
        await delete_care_day(uow, calendar, FAMILY_ACTOR, day.id)
    assert uow.state.care_days[day.id] == day


@pytest.mark.parametrize(
    ("last_open", "care_date", "month"),
    [
        (denver(2025, 1, 13, 23, 59, 58), date(2025, 1, 17), date(2025, 1, 1)),
        (denver(2026, 3, 9, 23, 59, 58), date(2026, 3, 15), date(2026, 3, 1)),
        (denver(2026, 11, 2, 23, 59, 58), date(2026, 11, 8), date(2026, 11, 1)),
    ],
)
async def test_change_and_delete_lock_boundary(
    world: World,
    uow: FakeProgrammeUnitOfWork,
    clock: FixedClock,
    calendar: BusinessCalendar,
    last_open: datetime,
    care_date: date,
    month: date,
) -> None:
    allocation = add_allocation(uow, world.allocation.child_id, month, cents=100_000)
    day = add_care_day(uow, allocation, care_date, HALF)
    clock.current = last_open + timedelta(seconds=2)
    with pytest.raises(CareDayLocked):
        await change_care_day_type(uow, calendar, FAMILY_ACTOR, day.id, CareDayType.FULL_DAY)
    with pytest.raises(CareDayLocked):
        await delete_care_day(uow, calendar, FAMILY_ACTOR, day.id)
    clock.current = last_open
    await change_care_day_type(uow, calendar, FAMILY_ACTOR, day.id, CareDayType.FULL_DAY)
    await delete_care_day(uow, calendar, FAMILY_ACTOR, day.id)
    assert uow.state.care_days[day.id].is_deleted


@pytest.mark.parametrize(
    "actor",
    [Actor.family(OTHER_FAMILY), Actor.provider(PROVIDER), Actor.admin(), Actor()],
    ids=["other family", "provider", "admin", "nobody"],
)
async def test_only_the_childs_family_may_change_or_remove(
    world: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar, actor: Actor
) -> None:
    day = add_care_day(uow, world.allocation, NEXT_MONDAY, HALF)
    with pytest.raises(CareDayNotFound):
        await change_care_day_type(uow, calendar, actor, day.id, CareDayType.FULL_DAY)
    with pytest.raises(CareDayNotFound):
        await delete_care_day(uow, calendar, actor, day.id)
    assert uow.state.care_days[day.id] == day
    assert uow.allocations.locked == []


async def test_unknown_care_day_is_not_found(
    world: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    with pytest.raises(CareDayNotFound) as missing:
        await change_care_day_type(uow, calendar, FAMILY_ACTOR, 424242, CareDayType.FULL_DAY)
    assert missing.value.code == "care_day_not_found"
    with pytest.raises(CareDayNotFound):
        await delete_care_day(uow, calendar, FAMILY_ACTOR, 424242)


async def test_removing_a_day_is_a_soft_delete(
    world: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    day = add_care_day(uow, world.allocation, NEXT_MONDAY, HALF)

    await delete_care_day(uow, calendar, FAMILY_ACTOR, day.id)

    stored = uow.state.care_days[day.id]
    assert stored.deleted_at == WEDNESDAY
    assert stored.status is CareDayStatus.DELETED
    assert uow.commits == 1
    assert uow.allocations.locked == [world.allocation.id]


async def test_removing_a_removed_day_changes_nothing(
    world: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    earlier = WEDNESDAY - timedelta(days=1)
    day = add_care_day(uow, world.allocation, NEXT_MONDAY, HALF, deleted_at=earlier)
    await delete_care_day(uow, calendar, FAMILY_ACTOR, day.id)
    assert uow.state.care_days[day.id].deleted_at == earlier
    assert uow.commits == 0
