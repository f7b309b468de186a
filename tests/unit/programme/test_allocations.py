from __future__ import annotations

from datetime import date, datetime

import pytest

from domain.programme.actors import Actor
from domain.programme.allocations import MonthAllocation
from domain.programme.business_time import BusinessCalendar
from domain.programme.config import ProgrammeRules
from domain.programme.errors import (
    AdminRequired,
    AllocationAboveMaximum,
    AllocationAmountMissing,
    AllocationMonthNotAllowed,
    ChildNotFound,
    ChildNotPaymentEnabled,
    ProgramEnded,
)
from domain.programme.events import AllocationCreated
from domain.programme.use_cases.allocations import (
    AllocationOutcome,
    allocate_family_within,
    create_allocation,
)
from tests.fakes import FakeProgrammeUnitOfWork, FixedClock
from tests.fields import ChildFields
from tests.unit.programme.builders import FAMILY, WEDNESDAY, add_child, add_family, denver

JANUARY, FEBRUARY, MARCH = date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)
ADMIN = Actor.admin()


@pytest.fixture
def family(uow: FakeProgrammeUnitOfWork) -> None:
    add_family(uow, FAMILY)
    add_child(uow, "child", FAMILY, monthly_allocation_cents=120_000, prorated_allocation_cents=45_000)


async def allocate(
    uow: FakeProgrammeUnitOfWork,
    calendar: BusinessCalendar,
    rules: ProgrammeRules,
    month: date = JANUARY,
    child_id: str = "child",
) -> AllocationOutcome:
    return await create_allocation(uow, calendar, rules, ADMIN, child_id=child_id, month=month)


async def test_the_first_allocation_is_prorated_and_announced(
    family: None, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar, rules: ProgrammeRules
) -> None:
    outcome = await allocate(uow, calendar, rules)

    allocation = outcome.allocation
    assert outcome.created
    assert uow.state.allocations[allocation.id] == allocation
    assert (allocation.child_id, allocation.month, allocation.allocation_cents) == ("child", JANUARY, 45_000)
    assert allocation.created_at == WEDNESDAY
    assert uow.state.events == [AllocationCreated(allocation.id, "child", FAMILY, JANUARY, 45_000, WEDNESDAY)]
    assert uow.commits == 1
    assert uow.children.locked == ["child"]


async def test_later_allocations_use_the_monthly_amount(
    family: None, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar, rules: ProgrammeRules
) -> None:
    await allocate(uow, calendar, rules, JANUARY)
    february = await allocate(uow, calendar, rules, FEBRUARY)
    assert february.allocation.allocation_cents == 120_000


async def test_the_month_is_normalised_to_its_first_day(
    family: None, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar, rules: ProgrammeRules
) -> None:
    outcome = await allocate(uow, calendar, rules, date(2025, 1, 20))
    assert outcome.allocation.month == JANUARY


async def test_creating_again_returns_the_existing_one(
    family: None, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar, rules: ProgrammeRules
) -> None:
    first = await allocate(uow, calendar, rules)
    again = await allocate(uow, calendar, rules)
    assert not again.created
    assert again.allocation == first.allocation
    assert len(uow.state.allocations) == 1
    assert len(uow.state.events) == 1


async def test_a_concurrent_insert_wins_quietly(
    family: None, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar, rules: ProgrammeRules
) -> None:
    winner = MonthAllocation(777, "child", JANUARY, 45_000, WEDNESDAY, WEDNESDAY)
    uow.allocations.racing_insert = winner
    outcome = await allocate(uow, calendar, rules)
    assert (outcome.created, outcome.allocation) == (False, winner)
    assert uow.state.events == []


@pytest.mark.parametrize("month", [date(2024, 12, 1), MARCH, date(2026, 1, 1)])
async def test_only_the_current_or_next_business_month(
    family: None, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar, rules: ProgrammeRules, month: date
) -> None:
    with pytest.raises(AllocationMonthNotAllowed):
        await allocate(uow, calendar, rules, month)
    assert uow.state.allocations == {}


@pytest.mark.parametrize(
    ("now", "allowed", "refused"),
    [
        (denver(2025, 1, 31, 23, 59, 59), (JANUARY, FEBRUARY), (MARCH,)),
        (denver(2025, 2, 1, 0, 0, 0), (FEBRUARY, MARCH), (JANUARY,)),
    ],
)
async def test_month_window_moves_at_denver_midnight(
    family: None,
    uow: FakeProgrammeUnitOfWork,
    clock: FixedClock,
    calendar: BusinessCalendar,
    rules: ProgrammeRules,
    now: datetime,
    allowed: tuple[date, ...],
    refused: tuple[date, ...],
) -> None:
    clock.current = now
    for month in allowed:
        assert (await allocate(uow, calendar, rules, month)).created
    for month in refused:
        with pytest.raises(AllocationMonthNotAllowed):
            await allocate(uow, calendar, rules, month)


async def test_only_payment_enabled_children(
    uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar, rules: ProgrammeRules
) -> None:
    add_family(uow, FAMILY)
    add_child(uow, "child", FAMILY, payment_enabled=False)
    with pytest.raises(ChildNotPaymentEnabled):
        await allocate(uow, calendar, rules)
    assert uow.commits == 0


@pytest.mark.parametrize(
    ("amounts", "month"),
    [
        ({"monthly_allocation_cents": None}, JANUARY),
        ({"monthly_allocation_cents": 0}, JANUARY),
        ({"prorated_allocation_cents": None}, JANUARY),
    ],
)
async def test_a_child_without_amounts_gets_none(
    uow: FakeProgrammeUnitOfWork,
    calendar: BusinessCalendar,
    rules: ProgrammeRules,
    amounts: ChildFields,
    month: date,
) -> None:
    add_family(uow, FAMILY)
    add_child(uow, "child", FAMILY, **amounts)
    with pytest.raises(AllocationAmountMissing):
        await allocate(uow, calendar, rules, month)


@pytest.mark.parametrize(("prorated", "created"), [(140_000, True), (140_001, False)])
async def test_the_cap(
    uow: FakeProgrammeUnitOfWork,
    calendar: BusinessCalendar,
    rules: ProgrammeRules,
    prorated: int,
    created: bool,
) -> None:
    add_family(uow, FAMILY)
    add_child(uow, "child", FAMILY, prorated_allocation_cents=prorated)
    if created:
        assert (await allocate(uow, calendar, rules)).allocation.allocation_cents == 140_000
    else:
        with pytest.raises(AllocationAboveMaximum) as refused:
            await allocate(uow, calendar, rules)
        assert refused.value.details == {"amount_cents": 140_001, "maximum_cents": 140_000}
        assert uow.state.events == []


async def test_the_cap_comes_from_the_rules(
    family: None, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    with pytest.raises(AllocationAboveMaximum):
        await allocate(uow, calendar, ProgrammeRules(max_allocation_cents=40_000))


@pytest.mark.parametrize(
    ("end", "january", "february"),
    [(date(2025, 2, 1), True, False), (date(2025, 2, 15), True, True), (date(2025, 1, 1), False, False)],
)
async def test_nothing_for_months_starting_on_or_after_the_program_end(
    family: None,
    uow: FakeProgrammeUnitOfWork,
    calendar: BusinessCalendar,
    end: date,
    january: bool,
    february: bool,
) -> None:
    rules = ProgrammeRules(program_end_date=end)
    for month, allowed in ((JANUARY, january), (FEBRUARY, february)):
        if allowed:
            assert (await allocate(uow, calendar, rules, month)).created
        else:
            with pytest.raises(ProgramEnded):
                await allocate(uow, calendar, rules, month)


async def test_unknown_child(
    uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar, rules: ProgrammeRules
) -> None:
    with pytest.raises(ChildNotFound):
        await allocate(uow, calendar, rules, child_id="nobody")


@pytest.mark.parametrize("actor", [Actor.family(FAMILY), Actor.provider("p"), Actor()])
async def test_only_staff_and_machines_create_allocations(
    family: None,
    uow: FakeProgrammeUnitOfWork,
    calendar: BusinessCalendar,
    rules: ProgrammeRules,
    actor: Actor,
) -> None:
    with pytest.raises(AdminRequired):
        await create_allocation(uow, calendar, rules, actor, child_id="child", month=JANUARY)


async def test_onboarding_creates_current_and_next_month(
    family: None, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar, rules: ProgrammeRules
) -> None:
    add_child(uow, "no-payments", FAMILY, payment_enabled=False)
    async with uow:
        outcomes = await allocate_family_within(uow, calendar, rules, family_id=FAMILY)
        await uow.commit()
    amounts = [(o.allocation.month, o.allocation.allocation_cents, o.created) for o in outcomes]
    assert amounts == [(JANUARY, 45_000, True), (FEBRUARY, 120_000, True)]

    # Onboarding again is fine: upstream answered 400 when everything already existed.
    async with uow:
        again = await allocate_family_within(uow, calendar, rules, family_id=FAMILY)
    assert [o.created for o in again] == [False, False]


async def test_onboarding_respects_the_program_end(
    family: None, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    async with uow:
        outcomes = await allocate_family_within(
            uow, calendar, ProgrammeRules(program_end_date=FEBRUARY), family_id=FAMILY
        )
    assert [o.allocation.month for o in outcomes] == [JANUARY]
