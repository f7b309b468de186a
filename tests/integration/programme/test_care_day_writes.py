"""The care-day writes' asyncpg path (``RawCareDayUnitOfWork``) keeps every rule the ORM unit of work
keeps, writes the same rows, serialises against the ORM path on the allocation's row lock, rolls back
what it does not commit, and costs the same statements."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.postgres.programme.care_day_writes import RawCareDayUnitOfWork
from domain.programme.actors import Actor
from domain.programme.business_time import BusinessCalendar
from domain.programme.care_days import CareDayType
from domain.programme.errors import AllocationExceeded, AllocationNotFound, CareDayExists, CareDayNotFound
from domain.programme.ports import CareDayUnitOfWork
from domain.programme.use_cases.care_days import (
    CareDayRequest,
    change_care_day_type,
    create_care_day,
    delete_care_day,
)
from domain.programme.use_cases.reading import get_child_allocation
from tests.integration.programme.conftest import FIRST_OPEN_DAY, FULL, HALF, UowFactory, seed
from tests.integration.programme.test_query_counts import CREATE_CARE_DAY_QUERIES
from tests.statement_counts import CountingPool

CONCURRENT = 20


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[CountingPool]:
    pool = CountingPool(database_url, size=CONCURRENT)
    yield pool
    await pool.close()


Path = Callable[[], CareDayUnitOfWork]


@pytest.fixture(params=["orm", "asyncpg"])
def path(request: pytest.FixtureRequest, new_uow: UowFactory, pool: CountingPool) -> Path:
    if request.param == "orm":
        return new_uow
    return lambda: RawCareDayUnitOfWork(pool)


async def _scalar(engine: AsyncEngine, sql: str) -> Any:
    async with engine.connect() as connection:
        return (await connection.execute(text(sql))).scalar_one()


def _outcomes(results: Sequence[object]) -> Counter[str]:
    return Counter("ok" if not isinstance(r, BaseException) else type(r).__name__ for r in results)


async def test_create_change_remove_and_restore_write_what_the_orm_reads(
    new_uow: UowFactory, path: Path, calendar: BusinessCalendar
) -> None:
    seeded = await seed(new_uow())
    family = Actor.family(seeded.family.id)
    ask = CareDayRequest(seeded.allocation.id, seeded.provider.id, FIRST_OPEN_DAY, CareDayType.FULL_DAY)

    created = await create_care_day(path(), calendar, family, ask)
    assert created.care_day.amount_cents == FULL
    halved = await change_care_day_type(path(), calendar, family, created.care_day.id, CareDayType.HALF_DAY)
    assert halved.care_day.amount_cents == HALF
    await delete_care_day(path(), calendar, family, created.care_day.id)
    with pytest.raises(CareDayNotFound):
        await delete_care_day(path(), calendar, Actor.family("f-other"), created.care_day.id)
    restored = await create_care_day(path(), calendar, family, ask)
    assert restored.care_day.id == created.care_day.id  # the removed row comes back, as upstream's did
    with pytest.raises(CareDayExists):
        await create_care_day(path(), calendar, family, ask)
    with pytest.raises(AllocationNotFound):
        await create_care_day(path(), calendar, Actor.family("f-other"), ask)

    # What the ORM reads back is what this path wrote and answered.
    month = await get_child_allocation(
        new_uow(), calendar, family, child_id=seeded.child.id, month=1, year=2025
    )
    assert [view.care_day for view in month.care_days] == [restored.care_day]
    assert month.figures.selected_cents == FULL


async def test_twenty_care_days_at_once_never_over_select_the_allocation(
    new_uow: UowFactory, path: Path, calendar: BusinessCalendar, engine: AsyncEngine
) -> None:
    budget = 3 * FULL + 1_000
    seeded = await seed(new_uow(), allocation_cents=budget)
    family = Actor.family(seeded.family.id)
    days = [FIRST_OPEN_DAY + timedelta(days=i) for i in range(CONCURRENT)]
    asks = [CareDayRequest(seeded.allocation.id, seeded.provider.id, d, CareDayType.FULL_DAY) for d in days]

    results = await asyncio.gather(
        *(create_care_day(path(), calendar, family, ask) for ask in asks), return_exceptions=True
    )

    assert _outcomes(results) == {"ok": 4, "AllocationExceeded": CONCURRENT - 4}
    assert all(isinstance(r, AllocationExceeded) for r in results if isinstance(r, BaseException))
    assert await _scalar(engine, "SELECT sum(amount_cents) FROM care_days WHERE deleted_at IS NULL") == budget


async def test_both_paths_at_once_share_the_allocation_lock(
    new_uow: UowFactory, pool: CountingPool, calendar: BusinessCalendar, engine: AsyncEngine
) -> None:
    budget = 5 * FULL
    seeded = await seed(new_uow(), allocation_cents=budget)
    family = Actor.family(seeded.family.id)
    days = [FIRST_OPEN_DAY + timedelta(days=i) for i in range(CONCURRENT)]
    asks = [CareDayRequest(seeded.allocation.id, seeded.provider.id, d, CareDayType.FULL_DAY) for d in days]
    paths: list[Path] = [new_uow, lambda: RawCareDayUnitOfWork(pool)]

    results = await asyncio.gather(
        *(create_care_day(paths[i % 2](), calendar, family, ask) for i, ask in enumerate(asks)),
        return_exceptions=True,
    )

    assert _outcomes(results) == {"ok": 5, "AllocationExceeded": CONCURRENT - 5}
    assert await _scalar(engine, "SELECT sum(amount_cents) FROM care_days WHERE deleted_at IS NULL") == budget


async def test_leaving_without_commit_keeps_nothing_and_gives_the_connection_back(
    new_uow: UowFactory, pool: CountingPool, calendar: BusinessCalendar, engine: AsyncEngine
) -> None:
    seeded = await seed(new_uow())
    uow = RawCareDayUnitOfWork(pool)

    class Stop(Exception):
        pass

    with pytest.raises(Stop):
        async with uow:
            allocation = await uow.allocations.get_for_update(seeded.allocation.id)
            assert allocation is not None
            ask = CareDayRequest(allocation.id, seeded.provider.id, FIRST_OPEN_DAY, CareDayType.HALF_DAY)
            days = await uow.care_days.list_for_allocation(allocation.id)
            assert days == []
            raise Stop
    assert await _scalar(engine, "SELECT count(*) FROM care_days") == 0
    # The lock was released with the rollback: the next writer is not kept waiting.
    created = await asyncio.wait_for(
        create_care_day(uow, calendar, Actor.family(seeded.family.id), ask), timeout=30
    )
    assert created.care_day.id > 0
    with pytest.raises(RuntimeError):
        _ = uow.care_days  # outside `async with`


async def test_a_create_costs_the_orm_paths_statements(
    new_uow: UowFactory, pool: CountingPool, calendar: BusinessCalendar
) -> None:
    seeded = await seed(new_uow())
    family = Actor.family(seeded.family.id)
    for i in range(3):  # the count does not grow with the days already scheduled
        pool.statements.clear()
        day = FIRST_OPEN_DAY + timedelta(days=i)
        ask = CareDayRequest(seeded.allocation.id, seeded.provider.id, day, CareDayType.HALF_DAY)
        await create_care_day(RawCareDayUnitOfWork(pool), calendar, family, ask)
        assert len(pool.statements) == CREATE_CARE_DAY_QUERIES, pool.statements


async def test_a_failed_statement_rolls_back_and_is_reported(
    new_uow: UowFactory, pool: CountingPool, engine: AsyncEngine
) -> None:
    seeded = await seed(new_uow())
    uow = RawCareDayUnitOfWork(pool)
    with pytest.raises(asyncpg.PostgresError):
        async with uow:
            await uow.allocations.get_for_update(seeded.allocation.id)
            await uow._held().execute("INSERT INTO care_days (allocation_id) VALUES (-1)")  # NOT NULLs
    assert await _scalar(engine, "SELECT count(*) FROM care_days") == 0
