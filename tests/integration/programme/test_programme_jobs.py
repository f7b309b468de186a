"""The programme's jobs called directly on real Postgres, with a fixed clock in their context: the
monthly allocation run (next business month, idempotent, failures listed), its system schedule
(08:00 business time on the 1st), and the allocation event's dispatch to subscribers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any, TypedDict

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.jobs.cron import next_tick
from adapters.jobs.dispatch_store import DeclaredSchedule
from adapters.jobs.outbox import OutboxJobQueue
from entrypoints.jobs import job_manager
from entrypoints.jobs.context import JobContext, build_job_context, use_job_context
from entrypoints.jobs.money import fund_allocation_job
from entrypoints.jobs.programme import (
    allocation_created,
    create_monthly_allocations,
    subscribe_to_allocation_created,
    unsubscribe_from_allocation_created,
)
from entrypoints.jobs.scheduler_main import declared_schedules
from entrypoints.settings import Settings
from tests.fakes import FixedClock
from tests.integration.programme.conftest import UowFactory, a_child, a_family

# 1 January 2025, 08:00 in Denver: the moment the monthly schedule fires; February is next month.
TICK = datetime(2025, 1, 1, 15, 0, tzinfo=UTC)
ALLOCATION_JOB = "programme.allocation_created"


@pytest.fixture
async def context(database_url: str, redis_url: str, job_queue: OutboxJobQueue) -> AsyncIterator[JobContext]:
    settings = Settings(database_url=database_url, redis_url=redis_url)
    context = build_job_context(settings, job_queue, clock=FixedClock(TICK))
    use_job_context(context)
    yield context
    use_job_context(None)
    await context.close()


async def _children(new_uow: UowFactory) -> list[str]:
    family = a_family()
    children = [
        a_child(family.id, first_name="Ana"),
        a_child(family.id, first_name="Ben"),
        a_child(family.id, first_name="Off", payment_enabled=False),
        a_child(family.id, first_name="Big", prorated_allocation_cents=500_000),
    ]
    async with new_uow() as uow:
        await uow.families.add(family)
        for child in children:
            await uow.children.add(child)
        await uow.commit()
    return [child.id for child in children]


async def _scalar(engine: AsyncEngine, sql: str) -> Any:  # whatever the column holds
    async with engine.connect() as connection:
        return (await connection.execute(text(sql))).scalar()


async def test_the_monthly_run_creates_next_months_allocations_once(
    context: JobContext, new_uow: UowFactory, engine: AsyncEngine
) -> None:
    ana, ben, _off, big = await _children(new_uow)

    first = await create_monthly_allocations()

    assert first == {
        "month": "2025-02",
        "dry_run": False,
        "created": 2,
        "skipped": 0,
        "skipped_by_reason": {},
        "failed": [
            {
                "child_id": big,
                "code": "allocation_above_maximum",
                "message": first["failed"][0]["message"],
            }
        ],
    }
    months = await _scalar(engine, "SELECT array_agg(DISTINCT month) FROM month_allocations")
    assert months == [date(2025, 2, 1)]
    # Each new allocation announced once, as a job written with it.
    assert await _scalar(engine, f"SELECT count(*) FROM jobs WHERE name = '{ALLOCATION_JOB}'") == 2

    second = await create_monthly_allocations()

    assert (second["created"], second["skipped"]) == (0, 2)
    assert second["skipped_by_reason"] == {"allocation_exists": 2}
    assert [f["child_id"] for f in second["failed"]] == [big]
    assert await _scalar(engine, "SELECT count(*) FROM month_allocations") == 2
    assert await _scalar(engine, f"SELECT count(*) FROM jobs WHERE name = '{ALLOCATION_JOB}'") == 2
    assert {ana, ben} == {
        str(c) for c in await _scalar(engine, "SELECT array_agg(child_id) FROM month_allocations") or []
    }


async def test_the_monthly_run_follows_the_business_calendar_not_utc(
    context: JobContext, new_uow: UowFactory, engine: AsyncEngine
) -> None:
    # 31 January 23:30 in Denver is already 1 February in UTC: next month is still February.
    context.clock = FixedClock(datetime(2025, 2, 1, 6, 30, tzinfo=UTC))
    await _children(new_uow)
    assert (await create_monthly_allocations())["month"] == "2025-02"


def test_the_system_schedule_fires_at_eight_on_the_first_in_business_time() -> None:
    assert (
        DeclaredSchedule(
            key="programme.create_monthly_allocations",
            job_name="programme.create_monthly_allocations",
            cron="0 8 1 * *",
            timezone=None,  # the scheduler's BUSINESS_TIMEZONE
        )
        in declared_schedules()
    )
    denver = Settings().business_timezone
    # Winter (UTC-7) and summer (UTC-6) time: always 08:00 in Denver.
    assert next_tick("0 8 1 * *", denver, datetime(2025, 1, 15, tzinfo=UTC)) == datetime(
        2025, 2, 1, 15, 0, tzinfo=UTC
    )
    assert next_tick("0 8 1 * *", denver, datetime(2025, 6, 15, tzinfo=UTC)) == datetime(
        2025, 7, 1, 14, 0, tzinfo=UTC
    )


class AllocationCreatedKwargs(TypedDict):
    """The job's keyword arguments, as the programme's outbox writes them."""

    allocation_id: int
    child_id: str
    family_id: str
    month: str
    allocation_cents: int
    occurred_at: str


EVENT: AllocationCreatedKwargs = {
    "allocation_id": 41,
    "child_id": "c",
    "family_id": "f",
    "month": "2025-02-01",
    "allocation_cents": 120_000,
    "occurred_at": "2025-01-01T15:00:00+00:00",
}


async def test_with_no_subscriber_the_event_job_says_so(context: JobContext, engine: AsyncEngine) -> None:
    unsubscribe_from_allocation_created(fund_allocation_job)
    try:
        assert await allocation_created(**EVENT) == {"allocation_id": 41, "subscribers": []}
    finally:
        subscribe_to_allocation_created(fund_allocation_job)
    assert await _scalar(engine, "SELECT count(*) FROM jobs") == 0


async def test_money_funds_every_new_allocation(context: JobContext, engine: AsyncEngine) -> None:
    [dispatched] = (await allocation_created(**EVENT))["subscribers"]
    assert dispatched["job"] == "money.fund_allocation"
    assert await _scalar(engine, "SELECT kwargs FROM jobs WHERE name = 'money.fund_allocation'") == EVENT


@job_manager.job(name="tests.fund_wallet")
async def fund_wallet(
    *, allocation_id: int, child_id: str, family_id: str, month: str, allocation_cents: int, occurred_at: str
) -> None:
    return None


async def test_each_subscriber_gets_a_job_of_its_own_with_the_event(
    context: JobContext, engine: AsyncEngine
) -> None:
    subscribe_to_allocation_created(fund_wallet)
    try:
        result = await allocation_created(**EVENT)
    finally:
        unsubscribe_from_allocation_created(fund_wallet)
    [dispatched] = [d for d in result["subscribers"] if d["job"] == "tests.fund_wallet"]
    assert [d["job"] for d in result["subscribers"]] == ["money.fund_allocation", "tests.fund_wallet"]
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                text("SELECT name, kwargs, status FROM jobs WHERE id = :id"), {"id": dispatched["job_id"]}
            )
        ).one()
    assert tuple(row) == ("tests.fund_wallet", EVENT, "queued")


@job_manager.job(name="tests.wrong_subscriber")
def wrong_subscriber(allocation_id: int) -> None:
    return None


def test_a_subscriber_that_cannot_take_the_event_is_refused_at_import() -> None:
    with pytest.raises(TypeError, match=r"tests\.wrong_subscriber cannot take the allocation event"):
        subscribe_to_allocation_created(wrong_subscriber)
