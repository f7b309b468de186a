"""The month view's asyncpg path answers exactly as the unit of work does, in three statements."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest

from adapters.postgres.programme.month_reads import RawChildMonthReads
from adapters.postgres.raw_pool import RawPool
from domain.programme.actors import Actor
from domain.programme.business_time import BusinessCalendar
from domain.programme.care_days import CareDay, CareDayType
from domain.programme.errors import AllocationNotFound, ChildNotFound
from domain.programme.records import UNSAVED_ID
from domain.programme.use_cases.reading import get_child_allocation
from tests.integration.programme.conftest import JANUARY, NOW, Seeded, UowFactory, seed
from tests.integration.programme.test_query_counts import MONTH_VIEW_QUERIES
from tests.statement_counts import CountingPool

LATER = NOW + timedelta(hours=2)


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[RawPool]:
    pool = RawPool(database_url, size=2)
    yield pool
    await pool.close()


async def _month_with_a_removed_day(new_uow: UowFactory) -> Seeded:
    seeded = await seed(new_uow(), allocation_cents=140_000)
    async with new_uow() as uow:
        added = []
        for i, kind in enumerate([CareDayType.FULL_DAY, CareDayType.HALF_DAY, CareDayType.HALF_DAY]):
            day = CareDay(
                UNSAVED_ID, seeded.allocation.id, seeded.child.id, seeded.provider.id,
                JANUARY + timedelta(days=2 - i), kind, amount_cents=1_000 + i, amount_missing_cents=None,
                created_at=NOW, updated_at=NOW,
            )  # fmt: skip
            added.append(await uow.care_days.add(day))
        await uow.care_days.save(replace(added[1], deleted_at=LATER, updated_at=LATER))
        await uow.commit()
    return seeded


async def test_the_raw_path_reads_what_the_unit_of_work_reads(
    new_uow: UowFactory, pool: RawPool, calendar: BusinessCalendar
) -> None:
    seeded = await _month_with_a_removed_day(new_uow)
    family = Actor.family(seeded.family.id)
    child_id = seeded.child.id

    through_orm = await get_child_allocation(
        new_uow(), calendar, family, child_id=child_id, month=1, year=2025
    )
    through_asyncpg = await get_child_allocation(
        RawChildMonthReads(pool), calendar, family, child_id=child_id, month=1, year=2025
    )

    assert through_asyncpg == through_orm
    days = [view.care_day for view in through_asyncpg.care_days]
    assert [d.date for d in days] == sorted(d.date for d in days)  # by date, as the port promises
    assert sum(d.deleted_at is not None for d in days) == 1
    assert len(days) == 3


@pytest.mark.parametrize("days", [0, 3])
async def test_the_raw_path_costs_three_statements_however_many_days(
    new_uow: UowFactory, calendar: BusinessCalendar, database_url: str, days: int
) -> None:
    seeded = await (_month_with_a_removed_day(new_uow) if days else seed(new_uow(), allocation_cents=140_000))
    pool = CountingPool(database_url)
    try:
        family = Actor.family(seeded.family.id)
        await get_child_allocation(
            RawChildMonthReads(pool), calendar, family, child_id=seeded.child.id, month=1, year=2025
        )
    finally:
        await pool.close()
    assert len(pool.statements) == MONTH_VIEW_QUERIES, pool.statements


async def test_strangers_and_missing_months_are_refused_on_the_raw_path(
    new_uow: UowFactory, pool: RawPool, calendar: BusinessCalendar
) -> None:
    seeded = await seed(new_uow(), allocation_cents=140_000)
    reads = RawChildMonthReads(pool)
    with pytest.raises(ChildNotFound):
        await get_child_allocation(
            reads, calendar, Actor.family("f-other"), child_id=seeded.child.id, month=1, year=2025
        )
    with pytest.raises(ChildNotFound):
        await get_child_allocation(reads, calendar, Actor.admin(), child_id="not-a-uuid", month=1, year=2025)
    with pytest.raises(AllocationNotFound):
        await get_child_allocation(
            reads, calendar, Actor.admin(), child_id=seeded.child.id, month=3, year=2031
        )
