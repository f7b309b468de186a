"""Attendance in e2e tests: a household whose provider was paid for care in the week of 6 January 2025,
the clock moved to the Monday after, and that week's records created by the Monday job's use case."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.postgres.attendance import SqlAlchemyAttendanceUnitOfWork
from domain.attendance.creation import AttendanceRunSummary, create_attendance_records
from domain.programme.business_time import BusinessCalendar
from domain.programme.config import ProgrammeRules
from tests.e2e.payment_support import days_from, payable_household, schedule, submit_path
from tests.e2e.programme_support import FIRST_OPEN_DAY, Client, Household, household
from tests.fake_clerk import FakeClerk
from tests.fakes import FixedClock
from tests.tokens import TokenMinter

WEEK = FIRST_OPEN_DAY  # Monday 6 January 2025
# Monday 13 January 2025, 01:00 in Denver: the Monday job's time for the week of 6 January.
MONDAY_AFTER = datetime(2025, 1, 13, 8, 0, tzinfo=UTC)


async def paid_household(
    client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
    tag: str,
) -> Household:
    """A household that paid three half days of the week of 6 January (submit = pay, on the sandbox)."""
    home = await payable_household(client, minter, fake_clerk, sessions, tag)
    await schedule(client, home, days_from(WEEK, 3))
    paid = await client.post(submit_path(home), headers=home.family_headers)
    assert paid.status_code == 200, paid.text
    return home


async def center_household(client: Client, minter: TokenMinter, fake_clerk: FakeClerk, tag: str) -> Household:
    """A household whose provider is a center: it gets a record every week, paid or not."""
    return await household(client, minter, fake_clerk, tag, rates=False, provider_fields={"type": "center"})


async def create_week(
    sessions: async_sessionmaker[AsyncSession], clock: FixedClock, week: date = WEEK, **rules: Any
) -> AttendanceRunSummary:
    return await create_attendance_records(
        SqlAlchemyAttendanceUnitOfWork(sessions),
        BusinessCalendar(clock, "America/Denver"),
        ProgrammeRules(**rules),
        week=week,
    )
