"""Attendance on real Postgres: the programme's fixtures (engine, outbox, fixed clock, seeding), the
attendance unit of work, a job context installed for the test, and a reader of the records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.jobs.outbox import OutboxJobQueue
from adapters.postgres.attendance import SqlAlchemyAttendanceUnitOfWork
from tests.integration.programme import conftest as programme

calendar, clock, engine, rules, uow = (
    programme.calendar,
    programme.clock,
    programme.engine,
    programme.rules,
    programme.uow,
)
job_queue, new_uow, session_factory = programme.job_queue, programme.new_uow, programme.session_factory
context = programme.context

AttendanceUowFactory = Callable[[], SqlAlchemyAttendanceUnitOfWork]


@pytest.fixture
def new_attendance_uow(
    session_factory: async_sessionmaker[AsyncSession], job_queue: OutboxJobQueue
) -> AttendanceUowFactory:
    return lambda: SqlAlchemyAttendanceUnitOfWork(session_factory, jobs=job_queue)


async def attendance_rows(engine: AsyncEngine) -> list[dict[str, Any]]:
    async with engine.connect() as connection:
        query = text("SELECT * FROM attendance ORDER BY week, child_id, provider_id")
        return [dict(r) for r in (await connection.execute(query)).mappings()]
