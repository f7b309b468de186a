"""Attendance reminders on real Postgres: each family and provider with attendance due gets one message per
channel per day (however many children or weeks, however often the job runs that day), in its language;
a center only once the record's month is over; nobody for entered records or unlinked pairs; nobody on
or after the cutoff; and the Monday/Friday/Sunday schedule."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.attendance.model import SideEntry
from domain.attendance.ports import Side
from domain.attendance.reminders import send_attendance_reminders
from domain.programme.business_time import BusinessCalendar
from domain.programme.config import ProgrammeRules
from domain.programme.providers import ProviderType
from domain.programme.statuses import ApplicationStatus, Language
from entrypoints.cli import cli
from entrypoints.jobs import job_manager
from entrypoints.jobs.attendance import REMINDERS_CRON, send_attendance_reminders_job
from entrypoints.jobs.context import JobContext
from tests.fakes import FixedClock
from tests.integration.attendance.conftest import AttendanceUowFactory
from tests.integration.programme.conftest import Seeded, UowFactory, seed

# Monday 13 January 2025, 08:00 in Denver.
MONDAY = datetime(2025, 1, 13, 15, 0, tzinfo=UTC)
WEEK = date(2025, 1, 6)


async def pair(new_uow: UowFactory, new_attendance_uow: AttendanceUowFactory, **provider: Any) -> Seeded:
    """A household with a record for the week of 6 January, nobody's side entered."""
    seeded = await seed(new_uow())
    async with new_uow() as uow:
        fields: dict[str, Any] = {
            "status": ApplicationStatus.APPROVED,
            "payment_enabled": True,
            "email": "pat@example.org",
        }
        await uow.providers.save(replace(seeded.provider, **(fields | provider)))
        await uow.commit()
    async with new_attendance_uow() as uow:
        assert await uow.attendance.add_missing(WEEK, [(seeded.child.id, seeded.provider.id)]) == 1
        await uow.commit()
    return seeded


async def reminders(engine: AsyncEngine) -> list[tuple[str, str, str]]:
    async with engine.connect() as connection:
        query = text(
            "SELECT about_type, channel, recipient FROM messages"
            " WHERE kind = 'attendance_reminder' ORDER BY id"
        )
        return [(r[0], r[1], r[2]) for r in await connection.execute(query)]


@pytest.fixture
def monday(clock: FixedClock) -> FixedClock:
    clock.current = MONDAY
    return clock


async def test_a_family_and_a_provider_are_reminded_once_a_day(
    context: JobContext,
    monday: FixedClock,
    new_uow: UowFactory,
    new_attendance_uow: AttendanceUowFactory,
    engine: AsyncEngine,
) -> None:
    seeded = await pair(new_uow, new_attendance_uow)
    async with new_uow() as uow:
        await uow.families.save(replace(seeded.family, language=Language.SPANISH))
        await uow.commit()
    first = await send_attendance_reminders_job()
    again = await send_attendance_reminders_job()
    assert first["reminded"] == 2
    assert (again["reminded"], again["already_reminded"]) == (0, 2)
    assert sorted(await reminders(engine)) == [
        ("family", "email", "ana@example.org"),
        ("family", "sms", "+13035550100"),
        ("provider", "email", "pat@example.org"),
    ]
    async with engine.connect() as connection:
        data = (
            await connection.execute(text("SELECT language, data FROM messages ORDER BY id LIMIT 1"))
        ).one()
    assert data[0] == "es"
    assert (json.loads(data[1]) if isinstance(data[1], str) else data[1])["weeks"] == ["2025-01-06"]


async def test_entered_sides_and_unlinked_pairs_are_not_reminded(
    context: JobContext,
    monday: FixedClock,
    new_uow: UowFactory,
    new_attendance_uow: AttendanceUowFactory,
    engine: AsyncEngine,
) -> None:
    seeded = await pair(new_uow, new_attendance_uow)
    async with new_attendance_uow() as uow:
        [record] = await uow.attendance.due_from_family(seeded.family.id)
        await uow.attendance.save_entry(record.id, Side.FAMILY, SideEntry(1, 0, MONDAY))
        await uow.commit()
    assert (await send_attendance_reminders_job())["reminded"] == 1  # the provider only
    other = await pair(new_uow, new_attendance_uow)
    async with new_uow() as uow:
        await uow.links.unlink(other.provider.id, other.child.id)
        await uow.commit()
    monday.current = datetime(2025, 1, 17, 15, 0, tzinfo=UTC)  # Friday
    assert (await send_attendance_reminders_job())["reminded"] == 1  # still only the first provider


async def test_a_center_is_reminded_once_the_records_month_is_over(
    context: JobContext,
    monday: FixedClock,
    new_uow: UowFactory,
    new_attendance_uow: AttendanceUowFactory,
    engine: AsyncEngine,
) -> None:
    await pair(new_uow, new_attendance_uow, type=ProviderType.CENTER)
    await send_attendance_reminders_job()
    assert {r[0] for r in await reminders(engine)} == {"family"}
    monday.current = datetime(2025, 2, 2, 15, 0, tzinfo=UTC)  # Sunday 2 February: January is over
    await send_attendance_reminders_job()
    assert ("provider", "email", "pat@example.org") in await reminders(engine)


async def test_nobody_is_reminded_on_or_after_the_cutoff(
    new_attendance_uow: AttendanceUowFactory,
    monday: FixedClock,
    new_uow: UowFactory,
    engine: AsyncEngine,
) -> None:
    await pair(new_uow, new_attendance_uow)
    calendar = BusinessCalendar(monday, "America/Denver")
    run = await send_attendance_reminders(
        new_attendance_uow(), calendar, ProgrammeRules(attendance_cutoff_date=date(2025, 1, 13))
    )
    assert run.stopped
    assert await reminders(engine) == []


def test_the_job_runs_on_monday_friday_and_sunday() -> None:
    definition = job_manager.definition("attendance.send_reminders")
    assert definition.cron == REMINDERS_CRON == "0 8 * * 0,1,5"


def _remind(database_url: str, redis_url: str, **env: str) -> tuple[int, dict[str, Any]]:
    environment = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING", **env}
    result = CliRunner().invoke(cli, ["attendance", "remind", "--json"], env=environment)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.stdout)


async def test_the_command_runs_the_jobs_use_case(database_url: str, redis_url: str) -> None:
    code, result = await asyncio.to_thread(_remind, database_url, redis_url)
    assert (code, result["stopped"], result["reminded"], result["batch_id"]) == (0, False, [], None)
    code, ended = await asyncio.to_thread(
        _remind, database_url, redis_url, ATTENDANCE_CUTOFF_DATE="2020-01-01"
    )
    assert (code, ended["stopped"]) == (0, True)
