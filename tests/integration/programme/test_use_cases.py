"""The programme's use cases on the real unit of work: the main paths, end to end on Postgres."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.postgres.programme.unit_of_work import SqlAlchemyProgrammeUnitOfWork
from domain.programme.actors import Actor
from domain.programme.business_time import BusinessCalendar
from domain.programme.care_days import CareDayType
from domain.programme.config import ProgrammeRules
from domain.programme.errors import AllocationNotFound, ChildNotFound, ProviderAtCapacity
from domain.programme.families import GuardianType
from domain.programme.providers import ProviderType
from domain.programme.statuses import ApplicationStatus, Language
from domain.programme.use_cases.allocations import create_allocation, create_allocations_for_month
from domain.programme.use_cases.care_days import (
    CareDayRequest,
    change_care_day_type,
    create_care_day,
    delete_care_day,
)
from domain.programme.use_cases.families import save_family
from domain.programme.use_cases.family_details import ChildDetails, FamilyDetails, GuardianDetails
from domain.programme.use_cases.providers import ProviderDetails, link_provider_to_child, save_provider
from domain.programme.use_cases.rates import get_payment_rate, set_payment_rate
from domain.programme.use_cases.reading import get_child_allocation, get_provider_care_days
from tests.integration.programme.conftest import FIRST_OPEN_DAY, JANUARY, UowFactory

ADMIN = Actor.admin()
FEBRUARY = date(2025, 2, 1)
CHILD = ChildDetails(
    "Sam",
    "Diaz",
    date_of_birth=date(2021, 5, 4),
    status=ApplicationStatus.APPROVED,
    payment_enabled=True,
    monthly_allocation_cents=120_000,
    prorated_allocation_cents=60_000,
    external_id="c-1",
)
FAMILY = FamilyDetails(
    guardians=(
        GuardianDetails(GuardianType.SECONDARY, "Luis", "Diaz", email="luis@example.org"),
        GuardianDetails(GuardianType.PRIMARY, "Ana", "Diaz", phone_number="+13035550100", external_id="g-1"),
    ),
    children=(CHILD,),
    language=Language.SPANISH,
    external_id="f-1",
)


async def _events(engine: AsyncEngine) -> list[dict[str, object]]:
    async with engine.connect() as connection:
        result = await connection.execute(
            text("SELECT kwargs FROM jobs WHERE name = 'programme.allocation_created' ORDER BY created_at")
        )
        return list(result.scalars())


async def test_a_family_is_onboarded_scheduled_and_read_back(
    uow: SqlAlchemyProgrammeUnitOfWork,
    rules: ProgrammeRules,
    calendar: BusinessCalendar,
    engine: AsyncEngine,
) -> None:
    # Reference data: a family with guardians and a child, pushed twice (updated, not duplicated).
    saved = await save_family(uow, rules, ADMIN, FAMILY)
    assert saved.created
    assert [g.first_name for g in saved.family.guardians] == ["Ana", "Luis"]  # primary first
    again = await save_family(uow, rules, ADMIN, FAMILY)
    assert not again.created
    assert again.family.id == saved.family.id
    assert again.children[0].id == saved.children[0].id
    assert [g.id for g in again.family.guardians] == [g.id for g in saved.family.guardians]
    async with uow:
        assert await uow.families.list_all() == [again.family]
        assert await uow.children.list_for_family(saved.family.id) == list(again.children)
    family_id, child_id = saved.family.id, saved.children[0].id
    family = Actor.family(family_id)

    # A provider, linked (idempotently) and setting its rates.
    provider = (
        await save_provider(uow, ADMIN, ProviderDetails(name="Sunny Days", type=ProviderType.CENTER))
    ).provider
    assert await link_provider_to_child(uow, rules, ADMIN, provider.id, child_id)
    assert not await link_provider_to_child(uow, rules, ADMIN, provider.id, child_id)
    rate = await set_payment_rate(
        uow,
        calendar,
        Actor.provider(provider.id),
        provider_id=provider.id,
        child_id=child_id,
        half_day_rate_cents=4_000,
        full_day_rate_cents=8_000,
    )
    assert rate.id > 0
    assert await get_payment_rate(uow, family, provider_id=provider.id, child_id=child_id) == rate

    # Allocations: the first month is prorated, the next one is the monthly amount; each announced once.
    january = await create_allocation(uow, calendar, rules, ADMIN, child_id=child_id, month=JANUARY)
    assert january.created
    assert january.allocation.allocation_cents == 60_000
    assert not (
        await create_allocation(uow, calendar, rules, ADMIN, child_id=child_id, month=JANUARY)
    ).created
    february = await create_allocation(uow, calendar, rules, ADMIN, child_id=child_id, month=FEBRUARY)
    assert february.allocation.allocation_cents == 120_000
    events = await _events(engine)
    assert [(e["allocation_id"], e["family_id"], e["month"]) for e in events] == [
        (january.allocation.id, family_id, "2025-01-01"),
        (february.allocation.id, family_id, "2025-02-01"),
    ]

    # Care days: create, change type, delete, and create again (which restores the same row).
    allocation_id = january.allocation.id
    request = CareDayRequest(allocation_id, provider.id, FIRST_OPEN_DAY, CareDayType.FULL_DAY)
    created = await create_care_day(uow, calendar, family, request)
    assert created.care_day.amount_cents == 8_000
    assert not created.is_locked
    halved = await change_care_day_type(uow, calendar, family, created.care_day.id, CareDayType.HALF_DAY)
    assert halved.care_day.amount_cents == 4_000
    await delete_care_day(uow, calendar, family, created.care_day.id)
    second_day = await create_care_day(
        uow,
        calendar,
        family,
        CareDayRequest(allocation_id, provider.id, FIRST_OPEN_DAY + timedelta(days=1), CareDayType.HALF_DAY),
    )
    view = await get_child_allocation(uow, calendar, family, child_id=child_id, month=1, year=2025)
    assert [(d.care_day.id, d.care_day.is_deleted) for d in view.care_days] == [
        (created.care_day.id, True),
        (second_day.care_day.id, False),
    ]
    assert view.figures.selected_cents == 4_000
    assert view.figures.remaining_unselected_cents == 56_000
    restored = await create_care_day(uow, calendar, family, request)
    assert restored.care_day.id == created.care_day.id
    assert not restored.care_day.is_deleted
    assert restored.care_day.amount_cents == 8_000

    # Reading the month back, as the family and as the provider.
    view = await get_child_allocation(uow, calendar, family, child_id=child_id, month=1, year=2025)
    assert view.allocation == january.allocation
    assert view.figures.allocation_cents == 60_000
    assert view.figures.selected_cents == 12_000
    assert view.figures.remaining_unselected_cents == 48_000
    assert view.figures.remaining_unpaid_cents == 60_000
    assert [d.care_day.date for d in view.care_days] == [FIRST_OPEN_DAY, FIRST_OPEN_DAY + timedelta(days=1)]
    by_child = await get_provider_care_days(
        uow, calendar, Actor.provider(provider.id), provider_id=provider.id
    )
    assert [d.care_day.id for d in by_child[child_id]] == [created.care_day.id, second_day.care_day.id]

    # Another family sees nothing of it.
    stranger = Actor.family(
        (await save_family(uow, rules, ADMIN, FamilyDetails(guardians=FAMILY.guardians[1:]))).family.id
    )
    with pytest.raises(ChildNotFound):
        await get_child_allocation(uow, calendar, stranger, child_id=child_id, month=1, year=2025)
    with pytest.raises(AllocationNotFound):
        await create_care_day(uow, calendar, stranger, request)


async def test_the_month_run_reenters_one_unit_of_work_per_child(
    new_uow: UowFactory, rules: ProgrammeRules, calendar: BusinessCalendar
) -> None:
    uow = new_uow()
    details = FamilyDetails(
        guardians=FAMILY.guardians,
        children=(
            CHILD,
            ChildDetails(
                "Mia", "Diaz", payment_enabled=True, monthly_allocation_cents=90_000
            ),  # no proration
            ChildDetails("Leo", "Diaz", payment_enabled=False, monthly_allocation_cents=90_000),
        ),
    )
    saved = await save_family(uow, rules, ADMIN, details)
    sam, mia, _ = saved.children

    first = await create_allocations_for_month(uow, calendar, rules, ADMIN, month=JANUARY)
    assert first.created == [sam.id]
    assert [(f.child_id, f.code) for f in first.failed] == [(mia.id, "allocation_amount_missing")]
    again = await create_allocations_for_month(uow, calendar, rules, ADMIN, month=JANUARY)
    assert again.created == []
    assert [s.child_id for s in again.skipped] == [sam.id]

    dry = await create_allocations_for_month(new_uow(), calendar, rules, ADMIN, month=FEBRUARY, dry_run=True)
    assert dry.created == [sam.id]
    async with uow:
        assert await uow.allocations.get_for_child_month(sam.id, FEBRUARY) is None  # rolled back


async def test_a_provider_takes_no_more_children_than_its_capacity(
    uow: SqlAlchemyProgrammeUnitOfWork, rules: ProgrammeRules
) -> None:
    details = FamilyDetails(
        guardians=FAMILY.guardians,
        children=(CHILD, ChildDetails("Mia", "Diaz"), ChildDetails("Leo", "Diaz")),
    )
    children = (await save_family(uow, rules, ADMIN, details)).children
    provider = (
        await save_provider(
            uow, ADMIN, ProviderDetails(name="Kin", type=ProviderType.FAMILY_FRIEND_NEIGHBOUR)
        )
    ).provider
    for child in children[:2]:
        assert await link_provider_to_child(uow, rules, ADMIN, provider.id, child.id)
    with pytest.raises(ProviderAtCapacity):
        await link_provider_to_child(uow, rules, ADMIN, provider.id, children[2].id)
