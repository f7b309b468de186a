"""Creating a week's attendance records on real Postgres: centers always, non-centers only with a paid
care day (tests/e2e/test_attendance.py pays one for real), never twice — however often the job runs,
even two runs at once — a dry run writes nothing, the cutoff stops it, and the Monday schedule."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.attendance.creation import create_attendance_records
from domain.attendance.model import AttendanceWeekNotAllowed
from domain.programme.business_time import BusinessCalendar
from domain.programme.config import ProgrammeRules
from domain.programme.providers import ProviderType
from domain.programme.statuses import ApplicationStatus
from entrypoints.cli import cli
from entrypoints.jobs import job_manager
from entrypoints.jobs.attendance import CREATE_WEEKLY_RECORDS_CRON, create_weekly_attendance
from entrypoints.jobs.context import JobContext
from tests.fakes import FixedClock
from tests.integration.attendance.conftest import AttendanceUowFactory, attendance_rows
from tests.integration.programme.conftest import Seeded, UowFactory, seed

# Monday 13 January 2025, 01:00 in Denver: last week is Monday 6 January.
MONDAY = datetime(2025, 1, 13, 8, 0, tzinfo=UTC)
LAST_WEEK = date(2025, 1, 6)


@pytest.fixture
def monday(clock: FixedClock) -> FixedClock:
    clock.current = MONDAY
    return clock


async def provider_as(new_uow: UowFactory, **fields: Any) -> Seeded:
    seeded = await seed(new_uow())
    async with new_uow() as uow:
        values = {"status": ApplicationStatus.APPROVED, "payment_enabled": True, **fields}
        await uow.providers.save(replace(seeded.provider, **values))
        await uow.commit()
    return seeded


async def test_a_center_gets_last_weeks_record_once_however_often_the_job_runs(
    context: JobContext, monday: FixedClock, new_uow: UowFactory, engine: AsyncEngine
) -> None:
    seeded = await provider_as(new_uow, type=ProviderType.CENTER)
    first = await create_weekly_attendance()
    again = await create_weekly_attendance()
    assert (first["week"], first["created"], first["eligible"]) == ("2025-01-06", 1, 1)
    assert (again["created"], again["already_existed"]) == (0, 1)
    rows = await attendance_rows(engine)
    assert [(str(r["child_id"]), str(r["provider_id"]), r["week"]) for r in rows] == [
        (seeded.child.id, seeded.provider.id, LAST_WEEK)
    ]
    assert rows[0]["family_entered_at"] is None
    assert rows[0]["provider_entered_at"] is None


async def test_two_runs_at_once_still_make_one_record(
    context: JobContext, monday: FixedClock, new_uow: UowFactory, engine: AsyncEngine
) -> None:
    await provider_as(new_uow, type=ProviderType.CENTER)
    results = await asyncio.gather(*(create_weekly_attendance() for _ in range(4)))
    assert sum(r["created"] for r in results) == 1
    assert len(await attendance_rows(engine)) == 1


async def test_the_database_refuses_a_duplicate_record(
    context: JobContext, monday: FixedClock, new_uow: UowFactory, engine: AsyncEngine
) -> None:
    await provider_as(new_uow, type=ProviderType.CENTER)
    await create_weekly_attendance()
    with pytest.raises(IntegrityError, match="uq_attendance_child_id_provider_id_week"):
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO attendance (id, week, child_id, provider_id, created_at, updated_at)"
                    " SELECT gen_random_uuid(), week, child_id, provider_id, now(), now() FROM attendance"
                )
            )


async def test_a_non_center_without_a_paid_care_day_gets_no_record(
    context: JobContext, monday: FixedClock, new_uow: UowFactory, engine: AsyncEngine
) -> None:
    await provider_as(new_uow)  # home-based, nothing paid last week
    result = await create_weekly_attendance()
    assert (result["pairs"], result["eligible"], result["created"]) == (1, 0, 0)
    assert await attendance_rows(engine) == []


@pytest.mark.parametrize("fields", [{"status": ApplicationStatus.PENDING}, {"payment_enabled": False}])
async def test_a_center_not_approved_or_not_payment_enabled_gets_none(
    context: JobContext, monday: FixedClock, new_uow: UowFactory, engine: AsyncEngine, fields: dict[str, Any]
) -> None:
    await provider_as(new_uow, type=ProviderType.CENTER, **fields)
    assert (await create_weekly_attendance())["created"] == 0


async def test_a_dry_run_counts_what_it_would_create_and_writes_nothing(
    new_attendance_uow: AttendanceUowFactory, monday: FixedClock, new_uow: UowFactory, engine: AsyncEngine
) -> None:
    await provider_as(new_uow, type=ProviderType.CENTER)
    calendar = BusinessCalendar(monday, "America/Denver")
    dry = await create_attendance_records(new_attendance_uow(), calendar, ProgrammeRules(), dry_run=True)
    assert (dry.dry_run, dry.created) == (True, 1)
    assert await attendance_rows(engine) == []


async def test_an_explicit_week_must_be_a_monday_of_a_week_that_has_ended(
    new_attendance_uow: AttendanceUowFactory, monday: FixedClock
) -> None:
    calendar = BusinessCalendar(monday, "America/Denver")
    for week in (date(2025, 1, 7), date(2025, 1, 13)):  # a Tuesday; this week
        with pytest.raises(AttendanceWeekNotAllowed):
            await create_attendance_records(new_attendance_uow(), calendar, ProgrammeRules(), week=week)


async def test_nothing_is_created_on_or_after_the_cutoff(
    new_attendance_uow: AttendanceUowFactory, monday: FixedClock, new_uow: UowFactory, engine: AsyncEngine
) -> None:
    await provider_as(new_uow, type=ProviderType.CENTER)
    calendar = BusinessCalendar(monday, "America/Denver")
    rules = ProgrammeRules(attendance_cutoff_date=date(2025, 1, 13))
    stopped = await create_attendance_records(new_attendance_uow(), calendar, rules)
    assert stopped.stopped
    assert await attendance_rows(engine) == []
    earlier = await create_attendance_records(new_attendance_uow(), calendar, rules, week=date(2024, 12, 30))
    assert (earlier.stopped, earlier.created) == (False, 1)


def test_the_job_is_a_monday_system_schedule() -> None:
    definition = job_manager.definition("attendance.create_weekly_records")
    assert definition.cron == CREATE_WEEKLY_RECORDS_CRON == "0 1 * * 1"


def _create(database_url: str, redis_url: str, *args: str) -> tuple[int, str]:
    environment = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING"}
    result = CliRunner().invoke(cli, ["attendance", "create", *args], env=environment)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


async def test_the_command_creates_a_weeks_records_once_and_dry_runs_write_nothing(
    database_url: str, redis_url: str, new_uow: UowFactory, engine: AsyncEngine
) -> None:
    await provider_as(new_uow, type=ProviderType.CENTER)
    week = "2026-11-23"  # a week that has ended on the real clock the command uses
    code, out = await asyncio.to_thread(
        _create, database_url, redis_url, "--week", week, "--dry-run", "--json"
    )
    assert (code, json.loads(out)["created"], json.loads(out)["dry_run"]) == (0, 1, True)
    assert await attendance_rows(engine) == []
    code, out = await asyncio.to_thread(_create, database_url, redis_url, "--week", week)
    assert code == 0
    assert "created: 1" in out
    code, out = await asyncio.to_thread(_create, database_url, redis_url, "--week", week, "--json")
    assert (code, json.loads(out)["created"], json.loads(out)["already_existed"]) == (0, 0, 1)
    assert [r["week"] for r in await attendance_rows(engine)] == [date(2026, 11, 23)]


async def test_the_command_refuses_a_day_that_is_not_a_monday(database_url: str, redis_url: str) -> None:
    code, out = await asyncio.to_thread(_create, database_url, redis_url, "--week", "2026-11-24")
    assert code == 2
    assert "Monday" in out
