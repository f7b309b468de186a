from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from domain.errors import Forbidden, RuleRefused
from domain.programme.actors import Actor
from domain.programme.business_time import BusinessCalendar
from domain.programme.care_days import CareDayStatus, CareDayType
from domain.programme.errors import (
    AllocationExceeded,
    AllocationNotFound,
    CareDayExists,
    CareDayInPast,
    CareDayLocked,
    CareDayOutsideAllocationMonth,
    CareDaySubmitted,
    PaymentRateNotSet,
    ProviderNotLinked,
)
from domain.programme.use_cases.care_days import CareDayRequest, create_care_day
from tests.fakes import FakeProgrammeUnitOfWork, FixedClock
from tests.fields import AllocationSums
from tests.unit.programme.builders import (
    CHILD,
    FAMILY,
    FULL,
    HALF,
    OTHER_FAMILY,
    OTHER_PROVIDER,
    PROVIDER,
    SECOND_PROVIDER,
    WEDNESDAY,
    World,
    add_allocation,
    add_care_day,
    add_child,
    add_provider,
    denver,
)

NEXT_MONDAY = date(2025, 1, 20)  # the open week after WEDNESDAY
FAMILY_ACTOR = Actor.family(FAMILY)


def request(
    world: World,
    day: date = NEXT_MONDAY,
    *,
    provider: str = PROVIDER,
    allocation_id: int | None = None,
    type: CareDayType = CareDayType.HALF_DAY,
) -> CareDayRequest:
    allocation = world.allocation.id if allocation_id is None else allocation_id
    return CareDayRequest(allocation_id=allocation, provider_id=provider, date=day, type=type)


async def test_a_family_schedules_a_day_at_the_providers_rate(
    world: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    view = await create_care_day(uow, calendar, FAMILY_ACTOR, request(world, type=CareDayType.FULL_DAY))

    day = view.care_day
    assert uow.state.care_days[day.id] == day
    assert (day.amount_cents, day.amount_missing_cents, day.type) == (FULL, None, CareDayType.FULL_DAY)
    assert (day.child_id, day.provider_id, day.created_at) == (CHILD, PROVIDER, WEDNESDAY)
    assert day.status is CareDayStatus.NEEDS_SUBMISSION
    assert not view.is_locked
    assert view.locked_date == denver(2025, 1, 20, 23, 59, 59)
    assert uow.commits == 1
    # The allocation's row lock is what keeps concurrent requests from over-selecting it.
    assert uow.allocations.locked == [world.allocation.id]


async def test_half_day_costs_the_half_day_rate(
    world: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    view = await create_care_day(uow, calendar, FAMILY_ACTOR, request(world))
    assert view.care_day.amount_cents == HALF
    assert view.care_day.type.day_count == 0.5


async def test_another_provider_may_have_the_same_day(
    world: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    await create_care_day(uow, calendar, FAMILY_ACTOR, request(world))
    second = await create_care_day(uow, calendar, FAMILY_ACTOR, request(world, provider=SECOND_PROVIDER))
    assert second.care_day.amount_cents == 3_000
    assert len(uow.state.care_days) == 2


async def test_one_live_day_per_allocation_provider_and_date(
    world: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    await create_care_day(uow, calendar, FAMILY_ACTOR, request(world))
    with pytest.raises(CareDayExists) as refused:
        await create_care_day(uow, calendar, FAMILY_ACTOR, request(world))
    assert refused.value.message == "Care day already exists for this date"
    assert uow.commits == 1


@pytest.mark.parametrize(
    ("day", "error"),
    [
        (date(2025, 2, 3), CareDayOutsideAllocationMonth),
        (date(2024, 12, 30), CareDayOutsideAllocationMonth),
        (date(2025, 1, 14), CareDayInPast),  # yesterday
        (date(2025, 1, 15), CareDayLocked),  # today, but its week locked on Monday night
        (date(2025, 1, 19), CareDayLocked),  # this week's Sunday
    ],
)
async def test_the_date_must_be_in_the_month_not_past_and_not_locked(
    world: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar, day: date, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await create_care_day(uow, calendar, FAMILY_ACTOR, request(world, day))
    assert uow.state.care_days == {}
    assert uow.commits == 0


async def test_locked_is_403_and_the_rest_are_400(
    world: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    assert issubclass(CareDayLocked, Forbidden)
    assert issubclass(CareDaySubmitted, Forbidden)
    for refusal in (CareDayExists, CareDayInPast, AllocationExceeded, AllocationNotFound, PaymentRateNotSet):
        assert issubclass(refusal, RuleRefused)


async def test_the_provider_must_care_for_the_child(
    world: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    with pytest.raises(ProviderNotLinked):
        await create_care_day(uow, calendar, FAMILY_ACTOR, request(world, provider=OTHER_PROVIDER))


async def test_the_provider_must_have_set_rates(
    world: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    add_provider(uow, "provider-new")
    uow.state.links.add(("provider-new", CHILD))
    with pytest.raises(PaymentRateNotSet):
        await create_care_day(uow, calendar, FAMILY_ACTOR, request(world, provider="provider-new"))


@pytest.mark.parametrize(
    "actor",
    [Actor.family(OTHER_FAMILY), Actor.provider(PROVIDER), Actor.admin(), Actor()],
    ids=["other family", "provider", "admin", "nobody"],
)
async def test_only_the_childs_family_may_schedule(
    world: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar, actor: Actor
) -> None:
    with pytest.raises(AllocationNotFound) as refused:
        await create_care_day(uow, calendar, actor, request(world))
    assert refused.value.message == "Allocation not found"
    assert uow.allocations.locked == []  # no lock taken on somebody else's budget
    assert uow.state.care_days == {}


async def test_an_unknown_allocation_is_not_found(
    world: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    with pytest.raises(AllocationNotFound):
        await create_care_day(uow, calendar, FAMILY_ACTOR, request(world, allocation_id=999_999))


async def test_partial_coverage_records_the_shortfall(
    world: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    small = add_allocation(uow, "child-small", cents=10_000)
    add_child(uow, "child-small", FAMILY)
    uow.state.links.add((PROVIDER, "child-small"))
    uow.state.rates[(PROVIDER, "child-small")] = uow.state.rates[(PROVIDER, CHILD)]
    add_care_day(uow, small, date(2025, 1, 21), 7_000)

    view = await create_care_day(
        uow, calendar, FAMILY_ACTOR, request(world, allocation_id=small.id, type=CareDayType.FULL_DAY)
    )

    assert (view.care_day.amount_cents, view.care_day.amount_missing_cents) == (3_000, 5_000)
    assert view.care_day.is_partial_payment


async def test_nothing_left_is_refused(
    world: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    add_care_day(uow, world.allocation, date(2025, 1, 21), 100_000)
    with pytest.raises(AllocationExceeded) as refused:
        await create_care_day(uow, calendar, FAMILY_ACTOR, request(world))
    assert refused.value.code == "allocation_exceeded"


async def test_removed_days_free_their_budget(
    world: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    add_care_day(uow, world.allocation, date(2025, 1, 21), 100_000, deleted_at=WEDNESDAY)
    view = await create_care_day(uow, calendar, FAMILY_ACTOR, request(world))
    assert view.care_day.amount_cents == HALF


@pytest.mark.parametrize(
    ("spent", "expected_amount"),
    [({"reclaimed_cents": 98_000}, 2_000), ({"lump_sum_cents": 97_000}, 3_000)],
)
async def test_reclaimed_money_and_lump_sums_are_not_available(
    world: World,
    uow: FakeProgrammeUnitOfWork,
    calendar: BusinessCalendar,
    spent: AllocationSums,
    expected_amount: int,
) -> None:
    uow.state.allocations[world.allocation.id] = replace(world.allocation, **spent)
    view = await create_care_day(uow, calendar, FAMILY_ACTOR, request(world))
    assert view.care_day.amount_cents == expected_amount


async def test_scheduling_a_removed_day_again_restores_it(
    world: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    removed = add_care_day(uow, world.allocation, NEXT_MONDAY, HALF, deleted_at=WEDNESDAY)

    view = await create_care_day(uow, calendar, FAMILY_ACTOR, request(world, type=CareDayType.FULL_DAY))

    assert view.care_day.id == removed.id
    assert view.care_day.deleted_at is None
    assert (view.care_day.type, view.care_day.amount_cents) == (CareDayType.FULL_DAY, FULL)
    assert len(uow.state.care_days) == 1


async def test_a_removed_day_in_a_locked_week_stays_removed(
    world: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    # Upstream restored it without checking the lock, reopening a week that was already paid for.
    removed = add_care_day(uow, world.allocation, date(2025, 1, 16), HALF, deleted_at=WEDNESDAY)
    with pytest.raises(CareDayLocked):
        await create_care_day(uow, calendar, FAMILY_ACTOR, request(world, date(2025, 1, 16)))
    assert uow.state.care_days[removed.id].is_deleted


@pytest.mark.parametrize(
    ("now", "care_date", "allocation_month"),
    [
        (denver(2025, 1, 13, 23, 59, 58), date(2025, 1, 15), date(2025, 1, 1)),
        (denver(2026, 3, 9, 23, 59, 58), date(2026, 3, 11), date(2026, 3, 1)),  # first MDT week
        (denver(2026, 11, 2, 23, 59, 58), date(2026, 11, 4), date(2026, 11, 1)),  # first MST week
    ],
)
async def test_creation_lock_boundary(
    world: World,
    uow: FakeProgrammeUnitOfWork,
    clock: FixedClock,
    calendar: BusinessCalendar,
    now: datetime,
    care_date: date,
    allocation_month: date,
) -> None:
    allocation = world.allocation
    if allocation_month != allocation.month:
        allocation = add_allocation(uow, CHILD, allocation_month)
    allocation_id = allocation.id
    clock.current = now + timedelta(seconds=2)  # Tuesday 00:00:00
    with pytest.raises(CareDayLocked):
        await create_care_day(
            uow, calendar, FAMILY_ACTOR, request(world, care_date, allocation_id=allocation_id)
        )
    clock.current = now  # Monday 23:59:58
    view = await create_care_day(
        uow, calendar, FAMILY_ACTOR, request(world, care_date, allocation_id=allocation_id)
    )
    assert not view.is_locked
