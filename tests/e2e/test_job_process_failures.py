"""What happens to jobs when worker and scheduler processes die, restart or run twice."""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from redis.asyncio import Redis

from entrypoints.jobs import job_manager
from entrypoints.jobs.runtime import JobRuntime, build_job_runtime
from entrypoints.settings import Settings
from tests import jobs_for_tests as test_jobs
from tests.infrastructure import asyncpg_dsn
from tests.job_processes import eventually, job_in, job_row, process_env, scheduler_leads, start, stop


@pytest.fixture
async def jobs(settings: Settings, redis: Redis) -> AsyncIterator[JobRuntime]:
    runtime = build_job_runtime(settings, job_manager)
    job_manager.use(runtime.queue)
    yield runtime
    runtime.close()


@pytest.fixture
def env(database_url: str, redis_url: str) -> dict[str, str]:
    return process_env(database_url, redis_url)


async def test_a_job_whose_worker_was_sigkilled_completes_after_a_restart(
    database_url: str, env: dict[str, str], jobs: JobRuntime, redis: Redis
) -> None:
    first = start("worker", env, "--threads", "2")
    try:
        job_id = test_jobs.block_until_released.delay("killed")
        await eventually(lambda: redis.llen("started:killed"), what="job started")
    finally:
        assert stop(first, signal.SIGKILL) == -signal.SIGKILL
    await redis.set("release:killed", 1)
    second = start("worker", env, "--threads", "2")
    try:
        row = await eventually(
            lambda: job_in(database_url, job_id, "finished"), seconds=60, what="redelivery"
        )
    finally:
        stop(second)
    assert row["attempts"] == 2  # the killed attempt and the redelivered one
    assert await redis.get("runs:killed") == b"2"


async def test_sigterm_lets_a_running_job_finish(
    database_url: str, env: dict[str, str], jobs: JobRuntime, redis: Redis
) -> None:
    worker = start("worker", env, "--threads", "2", "--shutdown-grace", "30")
    job_id = test_jobs.block_until_released.delay("graceful")
    await eventually(lambda: redis.llen("started:graceful"), what="job started")
    worker.send_signal(signal.SIGTERM)
    await redis.set("release:graceful", 1)  # the job finishes only after the stop was asked for
    try:
        assert worker.wait(60) == 0  # a second SIGTERM would mean "kill now", so just wait
    finally:
        stop(worker, signal.SIGKILL)
    row = await job_row(database_url, job_id)
    assert row is not None
    assert (row["status"], row["attempts"]) == ("finished", 1)


async def test_a_delayed_job_due_while_the_scheduler_was_down_runs_once_after_restart(
    database_url: str, env: dict[str, str], jobs: JobRuntime, redis: Redis
) -> None:
    worker = start("worker", env)
    scheduler = start("scheduler", env)
    try:
        await eventually(lambda: scheduler_leads(database_url), what="scheduler leads")
        assert stop(scheduler) == 0
        # Delayed only once the scheduler is gone: a slow stop cannot dispatch it first.
        job_id = test_jobs.count_run.delay_in(timedelta(seconds=2), "restart")
        await eventually(
            lambda: _past(datetime.now(UTC) + timedelta(seconds=-3), database_url, job_id), what="due"
        )
        assert (await job_row(database_url, job_id) or {})["status"] == "scheduled"  # nobody dispatched it
        scheduler = start("scheduler", env)
        await eventually(lambda: job_in(database_url, job_id, "finished"), what="late job ran")
        marker = test_jobs.count_run.delay_in(timedelta(seconds=1), "after-restart")
        await eventually(lambda: job_in(database_url, marker, "finished"), what="a later delayed job ran")
    finally:
        stop(scheduler)
        stop(worker)
    assert await redis.get("runs:restart") == b"1"


async def test_two_schedulers_fire_each_cron_tick_exactly_once(
    database_url: str, env: dict[str, str], jobs: JobRuntime, redis: Redis
) -> None:
    worker = start("worker", env)
    schedulers = [start("scheduler", env), start("scheduler", env)]
    try:
        schedule_id = test_jobs.count_run.schedule_cron("* * * * *", "cron")
        ticked = await eventually(lambda: _cron_jobs(database_url, schedule_id), seconds=90, what="a tick")
        await eventually(lambda: job_in(database_url, ticked[0]["id"], "finished"), what="tick ran")
    finally:
        for process in schedulers:
            stop(process)
        stop(worker)
    jobs_of_tick = await _cron_jobs(database_url, schedule_id)
    assert len({row["scheduled_for"] for row in jobs_of_tick}) == len(jobs_of_tick)  # one job per tick
    assert jobs_of_tick[0]["scheduled_for"].second == 0  # on the minute, as the cron says
    assert int(await redis.get("runs:cron") or 0) == len(jobs_of_tick)


async def _past(moment: datetime, database_url: str, job_id: str) -> bool:
    row = await job_row(database_url, job_id)
    return bool(row and row["scheduled_for"] <= moment)


async def _cron_jobs(database_url: str, schedule_id: str) -> list[dict[str, Any]]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        rows = await connection.fetch(
            "SELECT * FROM jobs WHERE schedule_id = $1 ORDER BY scheduled_for", schedule_id
        )
    finally:
        await connection.close()
    return [dict(row) for row in rows]
