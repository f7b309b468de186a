"""Twenty requests at once, each in its own unit of work on one engine: the database keeps the rules.

Row locks (allocation, provider, child) queue the writers; unique constraints catch what slips past.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.postgres.programme.unit_of_work import SqlAlchemyProgrammeUnitOfWork
from domain.programme.actors import Actor
from domain.programme.allocations import MonthAllocation
from domain.programme.business_time import BusinessCalendar
from domain.programme.care_days import CareDayType
from domain.programme.config import ProgrammeRules
from domain.programme.errors import AllocationExceeded, CareDayExists, ProviderAtCapacity
from domain.programme.records import UNSAVED_ID
from domain.programme.use_cases.allocations import create_allocation
from domain.programme.use_cases.care_days import CareDayRequest, create_care_day
from domain.programme.use_cases.providers import link_provider_to_child
from tests.integration.programme.conftest import (
    FIRST_OPEN_DAY,
    FULL,
    JANUARY,
    NOW,
    UowFactory,
    a_child,
    a_family,
    a_provider,
    seed,
)

CONCURRENT = 20
ADMIN = Actor.admin()


async def _scalar(engine: AsyncEngine, sql: str) -> object:
    async with engine.connect() as connection:
        return (await connection.execute(text(sql))).scalar_one()


def _outcomes(results: Sequence[object]) -> Counter[str]:
    return Counter("ok" if not isinstance(r, BaseException) else type(r).__name__ for r in results)


async def test_twenty_care_days_at_once_never_over_select_the_allocation(
    new_uow: UowFactory, calendar: BusinessCalendar, engine: AsyncEngine
) -> None:
    # Room for three full days and a part of a fourth: 3 x 80.00 + 10.00.
    budget = 3 * FULL + 1_000
    seeded = await seed(new_uow(), allocation_cents=budget)
    family = Actor.family(seeded.family.id)
    requests = [
        CareDayRequest(
            seeded.allocation.id, seeded.provider.id, FIRST_OPEN_DAY + timedelta(days=i), CareDayType.FULL_DAY
        )
        for i in range(CONCURRENT)
    ]

    results = await asyncio.gather(
        *(create_care_day(new_uow(), calendar, family, request) for request in requests),
        return_exceptions=True,
    )

    assert _outcomes(results) == {"ok": 4, "AllocationExceeded": 16}
    assert all(isinstance(r, AllocationExceeded) for r in results if isinstance(r, BaseException))
    selected = await _scalar(engine, "SELECT sum(amount_cents) FROM care_days WHERE deleted_at IS NULL")
    assert selected == budget
    missing = await _scalar(
        engine, "SELECT array_agg(amount_missing_cents) FROM care_days WHERE amount_missing_cents IS NOT NULL"
    )
    assert missing == [FULL - 1_000]  # exactly one day got the remainder and records its shortfall


async def test_twenty_requests_for_the_same_day_store_one(
    new_uow: UowFactory, calendar: BusinessCalendar, engine: AsyncEngine
) -> None:
    seeded = await seed(new_uow())
    request = CareDayRequest(seeded.allocation.id, seeded.provider.id, FIRST_OPEN_DAY, CareDayType.HALF_DAY)

    results = await asyncio.gather(
        *(
            create_care_day(new_uow(), calendar, Actor.family(seeded.family.id), request)
            for _ in range(CONCURRENT)
        ),
        return_exceptions=True,
    )

    assert _outcomes(results) == {"ok": 1, "CareDayExists": CONCURRENT - 1}
    assert all(isinstance(r, CareDayExists) for r in results if isinstance(r, BaseException))
    assert await _scalar(engine, "SELECT count(*) FROM care_days") == 1


async def test_twenty_links_at_once_fill_exactly_the_providers_capacity(
    new_uow: UowFactory, rules: ProgrammeRules, engine: AsyncEngine
) -> None:
    family, provider = a_family(), a_provider()
    children = [a_child(family.id) for _ in range(CONCURRENT)]
    async with new_uow() as uow:
        await uow.families.add(family)
        await uow.providers.add(provider)
        for child in children:
            await uow.children.add(child)
        await uow.commit()

    results = await asyncio.gather(
        *(link_provider_to_child(new_uow(), rules, ADMIN, provider.id, c.id) for c in children),
        return_exceptions=True,
    )

    capacity = rules.max_children_per_provider
    assert _outcomes(results) == {"ok": capacity, "ProviderAtCapacity": CONCURRENT - capacity}
    assert all(isinstance(r, ProviderAtCapacity) for r in results if isinstance(r, BaseException))
    assert await _scalar(engine, "SELECT count(*) FROM provider_child_links") == capacity


async def test_twenty_allocations_at_once_for_one_child_and_month_create_one(
    new_uow: UowFactory, rules: ProgrammeRules, calendar: BusinessCalendar, engine: AsyncEngine
) -> None:
    family = a_family()
    child = a_child(family.id)
    async with new_uow() as uow:
        await uow.families.add(family)
        await uow.children.add(child)
        await uow.commit()

    results = await asyncio.gather(
        *(
            create_allocation(new_uow(), calendar, rules, ADMIN, child_id=child.id, month=JANUARY)
            for _ in range(CONCURRENT)
        ),
        return_exceptions=True,
    )

    assert not [r for r in results if isinstance(r, BaseException)]
    outcomes = [r for r in results if not isinstance(r, BaseException)]
    assert sum(o.created for o in outcomes) == 1
    assert len({o.allocation.id for o in outcomes}) == 1
    assert {o.allocation.allocation_cents for o in outcomes} == {50_000}  # the first one: prorated
    assert await _scalar(engine, "SELECT count(*) FROM month_allocations") == 1
    assert await _scalar(engine, "SELECT count(*) FROM jobs WHERE name = 'programme.allocation_created'") == 1


async def test_racing_inserts_of_one_allocation_leave_one_winner(
    new_uow: UowFactory, engine: AsyncEngine
) -> None:
    """Without the child's lock, ON CONFLICT DO NOTHING alone decides: one insert wins, the rest get None."""
    family = a_family()
    child = a_child(family.id)
    async with new_uow() as uow:
        await uow.families.add(family)
        await uow.children.add(child)
        await uow.commit()
    draft = MonthAllocation(UNSAVED_ID, child.id, JANUARY, 50_000, NOW, NOW)

    async def insert(cents: int) -> MonthAllocation | None:
        async with new_uow() as uow:
            stored = await uow.allocations.add_if_absent(replace(draft, allocation_cents=cents))
            await asyncio.sleep(0.01)  # hold the transaction open so the others must wait on it
            await uow.commit()
        return stored

    results = await asyncio.gather(*(insert(1_000 + i) for i in range(CONCURRENT)))

    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    assert await _scalar(engine, "SELECT count(*) FROM month_allocations") == 1
    assert (
        await _scalar(engine, "SELECT allocation_cents FROM month_allocations") == winners[0].allocation_cents
    )


async def test_each_unit_of_work_has_its_own_connection(new_uow: UowFactory) -> None:
    # The concurrency above is real only if the twenty units of work hold twenty connections at once.
    uows: list[SqlAlchemyProgrammeUnitOfWork] = [new_uow() for _ in range(CONCURRENT)]
    pids = set()
    for uow in uows:
        await uow.__aenter__()
    try:
        for uow in uows:
            pids.add((await uow.session.execute(text("SELECT pg_backend_pid()"))).scalar_one())
    finally:
        for uow in uows:
            await uow.__aexit__(None, None, None)
    assert len(pids) == CONCURRENT
