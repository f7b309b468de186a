"""Reading a month and scheduling a day cost a fixed number of queries, however many days there are."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.programme.actors import Actor
from domain.programme.business_time import BusinessCalendar
from domain.programme.care_days import CareDay, CareDayType
from domain.programme.records import UNSAVED_ID
from domain.programme.use_cases.care_days import CareDayRequest, create_care_day
from domain.programme.use_cases.reading import get_child_allocation
from tests.integration.programme.conftest import JANUARY, NOW, Seeded, UowFactory, seed
from tests.statement_counts import counting

# SQL statements per call (BEGIN and COMMIT are the driver's, not counted), the same for 1 or 25 days.
# Month view: the child, the allocation, its care days (joined to the allocation for their child).
MONTH_VIEW_QUERIES = 3
# Scheduling: the allocation, its child, the allocation FOR UPDATE, the link, the rate, the same day's
# row, the allocation's days, the INSERT.
CREATE_CARE_DAY_QUERIES = 8


async def _with_days(new_uow: UowFactory, days: int) -> Seeded:
    seeded = await seed(new_uow(), allocation_cents=140_000)
    async with new_uow() as uow:
        for i in range(days):
            await uow.care_days.add(
                CareDay(
                    UNSAVED_ID,
                    seeded.allocation.id,
                    seeded.child.id,
                    seeded.provider.id,
                    JANUARY + timedelta(days=i),
                    CareDayType.HALF_DAY,
                    amount_cents=1_000,
                    amount_missing_cents=None,
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
        await uow.commit()
    return seeded


@pytest.mark.parametrize("days", [1, 25])
async def test_reading_a_month_costs_the_same_queries_for_1_or_25_days(
    new_uow: UowFactory, calendar: BusinessCalendar, engine: AsyncEngine, days: int
) -> None:
    seeded = await _with_days(new_uow, days)
    family = Actor.family(seeded.family.id)

    with counting(engine) as statements:
        view = await get_child_allocation(
            new_uow(), calendar, family, child_id=seeded.child.id, month=1, year=2025
        )

    assert len(view.care_days) == days
    assert len(statements) == MONTH_VIEW_QUERIES, statements


@pytest.mark.parametrize("days", [1, 25])
async def test_scheduling_a_day_costs_the_same_queries_for_1_or_25_days(
    new_uow: UowFactory, calendar: BusinessCalendar, engine: AsyncEngine, days: int
) -> None:
    seeded = await _with_days(new_uow, days)
    request = CareDayRequest(
        seeded.allocation.id, seeded.provider.id, date(2025, 1, 28), CareDayType.FULL_DAY
    )

    with counting(engine) as statements:
        await create_care_day(new_uow(), calendar, Actor.family(seeded.family.id), request)

    assert len(statements) == CREATE_CARE_DAY_QUERIES, statements
