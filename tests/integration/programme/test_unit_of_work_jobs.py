"""``uow.jobs``: background work asked for by a use case joins its unit of work's transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.programme.conftest import UowFactory

JOB = "example_job"  # a job every process knows (entrypoints/jobs/example.py)


async def _job_names(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        return list((await connection.execute(text("SELECT name FROM jobs ORDER BY created_at"))).scalars())


async def test_a_job_asked_for_in_a_committed_unit_of_work_is_recorded(
    new_uow: UowFactory, engine: AsyncEngine
) -> None:
    async with new_uow() as uow:
        job_id = await uow.jobs.enqueue(JOB, 0)
        await uow.jobs.enqueue_at(datetime.now(UTC) + timedelta(hours=1), JOB, 0)
        assert await _job_names(engine) == []  # not visible before the commit
        await uow.commit()
    assert await _job_names(engine) == [JOB, JOB]
    async with engine.connect() as connection:
        status = (
            await connection.execute(text("SELECT status FROM jobs WHERE id = :id"), {"id": job_id})
        ).scalar()
    assert status == "queued"


async def test_a_job_asked_for_in_a_rolled_back_unit_of_work_never_exists(
    new_uow: UowFactory, engine: AsyncEngine
) -> None:
    async with new_uow() as uow:
        await uow.jobs.enqueue(JOB, 0)
        await uow.jobs.schedule_cron("0 0 * * *", JOB, 0)
    assert await _job_names(engine) == []
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM schedules"))).scalar() == 0


async def test_uow_jobs_refuses_work_outside_its_own_block(new_uow: UowFactory) -> None:
    first, second = new_uow(), new_uow()
    async with first:
        jobs = first.jobs
        async with second:
            with pytest.raises(RuntimeError, match="inside its own"):
                await jobs.enqueue(JOB, 0)
