from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from domain.errors import NotFound, RuleRefused
from domain.programme.actors import Actor
from domain.programme.business_time import BusinessCalendar
from domain.programme.care_days import CareDayStatus
from domain.programme.errors import (
    AllocationNotFound,
    ChildNotFound,
    InvalidDateRange,
    InvalidField,
    ProviderNotFound,
)
from domain.programme.use_cases.reading import get_child_allocation, get_provider_care_days
from tests.fakes import FakeProgrammeUnitOfWork
from tests.unit.programme.builders import (
    CHILD,
    FAMILY,
    OTHER_CHILD,
    OTHER_FAMILY,
    OTHER_PROVIDER,
    PROVIDER,
    SECOND_PROVIDER,
    WEDNESDAY,
    World,
    add_care_day,
)


@pytest.fixture
def scheduled(world: World, uow: FakeProgrammeUnitOfWork) -> World:
    allocation = replace(world.allocation, reclaimed_cents=10_000, paid_cents=4_000, lump_sum_cents=1_000)
    uow.state.allocations[allocation.id] = allocation
    add_care_day(uow, allocation, date(2025, 1, 14), 4_000, payment_id="pay-1")
    add_care_day(uow, allocation, date(2025, 1, 20), 8_000)
    add_care_day(uow, allocation, date(2025, 1, 21), 4_000, deleted_at=WEDNESDAY)
    add_care_day(uow, allocation, date(2025, 1, 22), 3_000, provider_id=SECOND_PROVIDER)
    add_care_day(uow, world.other_allocation, date(2025, 1, 20), 4_000, provider_id=OTHER_PROVIDER)
    return replace(world, allocation=allocation)


async def test_the_family_reads_its_childs_month_with_figures(
    scheduled: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    view = await get_child_allocation(uow, calendar, Actor.family(FAMILY), child_id=CHILD, month=1, year=2025)

    figures = view.figures
    assert view.allocation == scheduled.allocation
    assert figures.allocation_cents == 100_000
    assert figures.reclaimed_cents == 10_000
    assert figures.net_allocation_cents == 90_000
    # Selected: live days 4,000 + 8,000 + 3,000 and the 1,000 lump sum; the removed day does not count.
    assert figures.selected_cents == 16_000
    assert figures.remaining_unselected_cents == 74_000
    assert figures.remaining_unpaid_cents == 86_000
    assert not figures.selected_over_allocation
    assert (figures.locked_until_date, figures.locked_past_date) == (date(2025, 1, 19), date(2025, 1, 27))
    statuses = [(v.care_day.date.day, v.care_day.status, v.is_locked) for v in view.care_days]
    assert statuses == [
        (14, CareDayStatus.SUBMITTED, True),
        (20, CareDayStatus.NEEDS_SUBMISSION, False),
        (21, CareDayStatus.DELETED, False),
        (22, CareDayStatus.NEEDS_SUBMISSION, False),
    ]
    assert uow.commits == 0


async def test_a_provider_filter_narrows_the_days_not_the_figures(
    scheduled: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    view = await get_child_allocation(
        uow, calendar, Actor.family(FAMILY), child_id=CHILD, month=1, year=2025, provider_id=SECOND_PROVIDER
    )
    assert [v.care_day.amount_cents for v in view.care_days] == [3_000]
    assert view.figures.selected_cents == 16_000


async def test_over_selection_is_visible_when_money_was_reclaimed(
    scheduled: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    uow.state.allocations[scheduled.allocation.id] = replace(scheduled.allocation, reclaimed_cents=99_000)
    view = await get_child_allocation(uow, calendar, Actor.family(FAMILY), child_id=CHILD, month=1, year=2025)
    assert view.figures.selected_over_allocation
    assert view.figures.remaining_unselected_cents == 1_000 - 16_000


@pytest.mark.parametrize(
    "actor",
    [Actor.family(OTHER_FAMILY), Actor.provider(PROVIDER), Actor()],
    ids=["other family", "provider", "nobody"],
)
async def test_another_familys_child_is_not_found(
    scheduled: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar, actor: Actor
) -> None:
    with pytest.raises(ChildNotFound) as missing:
        await get_child_allocation(uow, calendar, actor, child_id=CHILD, month=1, year=2025)
    assert isinstance(missing.value, NotFound)


async def test_a_missing_month_is_allocation_not_found_which_is_400(
    scheduled: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    with pytest.raises(AllocationNotFound) as missing:
        await get_child_allocation(uow, calendar, Actor.family(FAMILY), child_id=CHILD, month=3, year=2025)
    assert isinstance(missing.value, RuleRefused)
    assert missing.value.message == "Allocation not found"


@pytest.mark.parametrize(
    ("month", "year", "field"), [(0, 2025, "month"), (13, 2025, "month"), (1, 0, "year")]
)
async def test_an_impossible_month_names_the_field(
    scheduled: World,
    uow: FakeProgrammeUnitOfWork,
    calendar: BusinessCalendar,
    month: int,
    year: int,
    field: str,
) -> None:
    with pytest.raises(InvalidField) as refused:
        await get_child_allocation(
            uow, calendar, Actor.family(FAMILY), child_id=CHILD, month=month, year=year
        )
    assert refused.value.details == {"field": field}


async def test_a_provider_lists_its_own_days_by_child(
    scheduled: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    by_child = await get_provider_care_days(uow, calendar, Actor.provider(PROVIDER), provider_id=PROVIDER)
    assert list(by_child) == [CHILD]
    assert [v.care_day.date.day for v in by_child[CHILD]] == [14, 20, 21]  # removed days included


async def test_provider_days_filter_by_child_and_inclusive_dates(
    scheduled: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    actor = Actor.provider(PROVIDER)
    by_child = await get_provider_care_days(
        uow, calendar, actor, provider_id=PROVIDER, start=date(2025, 1, 20), end=date(2025, 1, 21)
    )
    assert [v.care_day.date.day for v in by_child[CHILD]] == [20, 21]
    assert (
        await get_provider_care_days(uow, calendar, actor, provider_id=PROVIDER, child_id=OTHER_CHILD) == {}
    )


@pytest.mark.parametrize(
    "actor",
    [Actor.provider(OTHER_PROVIDER), Actor.family(FAMILY), Actor.admin(), Actor()],
    ids=["other provider", "family", "admin", "nobody"],
)
async def test_only_the_provider_itself_lists_its_days(
    scheduled: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar, actor: Actor
) -> None:
    # Upstream let any provider read any other provider's schedule.
    with pytest.raises(ProviderNotFound):
        await get_provider_care_days(uow, calendar, actor, provider_id=PROVIDER)


async def test_a_backwards_date_range_is_refused(
    scheduled: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    with pytest.raises(InvalidDateRange):
        await get_provider_care_days(
            uow,
            calendar,
            Actor.provider(PROVIDER),
            provider_id=PROVIDER,
            start=date(2025, 1, 21),
            end=date(2025, 1, 20),
        )
