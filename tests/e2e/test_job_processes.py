"""Jobs through a real `cap-portal worker` and `cap-portal scheduler`, on real Postgres and Redis."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis import Redis as SyncRedis
from redis.asyncio import Redis

from adapters.postgres.engine import build_engine, build_session_factory
from adapters.postgres.unit_of_work import SqlAlchemyUnitOfWork
from entrypoints.jobs import job_manager
from entrypoints.jobs.runtime import JobRuntime, build_job_runtime
from entrypoints.settings import Settings
from tests import jobs_for_tests as test_jobs
from tests.conftest import TEST_API_KEY
from tests.fake_sentry import FakeSentry, running_fake_sentry
from tests.job_processes import eventually, job_in, job_row, process_env, start, stop
from tests.tcp_proxy import proxy_for

HEADERS = {"X-API-Key": TEST_API_KEY}


@pytest.fixture(scope="module")
def fake_sentry() -> Iterator[FakeSentry]:
    with running_fake_sentry() as server:
        yield server


@pytest.fixture(scope="module")
def processes(migrated_database_url: str, redis_url: str, fake_sentry: FakeSentry) -> Iterator[None]:
    env = process_env(migrated_database_url, redis_url, SENTRY_DSN=fake_sentry.dsn)
    worker = start("worker", env, "--threads", "4")
    scheduler = start("scheduler", env)
    yield
    assert stop(scheduler) == 0
    assert stop(worker) == 0


@pytest.fixture
async def jobs(settings: Settings, redis: Redis, processes: None) -> AsyncIterator[JobRuntime]:
    runtime = build_job_runtime(settings, job_manager)
    job_manager.use(runtime.queue)
    yield runtime
    runtime.close()


async def test_delay_runs_the_job_and_records_its_result(database_url: str, jobs: JobRuntime) -> None:
    job_id = test_jobs.add.delay(2, 3)
    async_id = test_jobs.async_greet.delay("world")
    row = await eventually(lambda: job_in(database_url, job_id, "finished"), what="add finished")
    assert (row["result"], row["attempts"], row["error"]) == ("5", 1, None)
    assert row["created_at"] <= row["started_at"] <= row["ended_at"]
    async_row = await eventually(lambda: job_in(database_url, async_id, "finished"), what="async job")
    assert async_row["result"] == '"hello world"'


async def test_delay_in_runs_not_before_and_within_a_second_after(
    database_url: str, jobs: JobRuntime
) -> None:
    job_id = test_jobs.add.delay_in(timedelta(seconds=2), 1, 1)
    row = await job_row(database_url, job_id)
    assert row is not None
    assert row["status"] == "scheduled"
    due = row["scheduled_for"]
    row = await eventually(lambda: job_in(database_url, job_id, "finished"), what="delayed job")
    assert due <= row["started_at"] <= due + timedelta(seconds=1)


async def test_a_failing_job_fails_after_its_retries_then_retry_finishes_it(
    database_url: str,
    jobs: JobRuntime,
    redis: Redis,
    client: AsyncTestClient[Litestar],
    fake_sentry: FakeSentry,
) -> None:
    job_id = test_jobs.fail_until_released.delay("flaky")
    row = await eventually(lambda: job_in(database_url, job_id, "failed"), what="job failed")
    assert row["attempts"] == 2  # the first attempt and its one retry
    assert "RuntimeError: flaky is not released yet" in row["error"]
    # Dead-lettered: Dramatiq moves the message to XQ just after the failure is recorded.
    await eventually(lambda: _dead_letters_are(redis, 1), what="the job dead-lettered")

    await redis.set("release:flaky", 1)
    response = await client.post(f"/jobs/{job_id}/retry", headers=HEADERS)
    assert (response.status_code, response.json()) == (200, {"status": "retried", "job_id": job_id})
    row = await eventually(lambda: job_in(database_url, job_id, "finished"), what="retried job finished")
    assert (row["attempts"], row["result"]) == (1, '"released"')
    await eventually(lambda: _dead_letters_are(redis, 0), what="its dead-letter copy gone")

    again = await client.post(f"/jobs/{job_id}/retry", headers=HEADERS)
    assert again.status_code == 409
    assert again.json()["status"] == "error"
    assert again.json()["code"] == "job_not_failed"

    tags = [event.get("tags", {}) for event in fake_sentry.exceptions]
    assert {"job_id": job_id, "job_name": "tests.fail_until_released", "job_attempt": 2} in [
        {k: t.get(k) for k in ("job_id", "job_name", "job_attempt")} for t in tags
    ]


async def _dead_letters_are(redis: Redis, count: int) -> bool:
    return bool(await redis.zcard("dramatiq:default.XQ") == count)


async def test_a_canceled_scheduled_job_never_runs(
    database_url: str, jobs: JobRuntime, redis: Redis, client: AsyncTestClient[Litestar]
) -> None:
    canceled = test_jobs.count_run.delay_in(timedelta(seconds=1), "canceled")
    marker = test_jobs.count_run.delay_in(timedelta(seconds=2), "marker")
    response = await client.post(f"/jobs/{canceled}/cancel", headers=HEADERS)
    assert (response.status_code, response.json()) == (200, {"status": "canceled", "job_id": canceled})
    await eventually(
        lambda: job_in(database_url, marker, "finished"), what="marker ran"
    )  # later than canceled
    assert await redis.get("runs:canceled") is None
    assert (await job_row(database_url, canceled) or {})["status"] == "canceled"
    assert (await client.post(f"/jobs/{marker}/cancel", headers=HEADERS)).status_code == 409


async def test_a_job_enqueued_in_a_rolled_back_transaction_never_exists_nor_runs(
    settings: Settings, database_url: str, jobs: JobRuntime, redis: Redis
) -> None:
    engine = build_engine(database_url)
    with pytest.raises(RuntimeError):
        async with SqlAlchemyUnitOfWork(build_session_factory(engine)) as uow:
            rolled_back = test_jobs.count_run.delay("rolled-back")
            raise RuntimeError("the request failed after enqueueing")
    async with SqlAlchemyUnitOfWork(build_session_factory(engine)) as uow:
        committed = test_jobs.count_run.delay("committed")
        assert await redis.llen("dramatiq:default") == 0  # nothing is sent before the commit
        await uow.commit()
    await engine.dispose()
    await eventually(lambda: job_in(database_url, committed, "finished"), what="committed job ran")
    assert await job_row(database_url, rolled_back) is None
    assert await redis.get("runs:rolled-back") is None


async def test_redis_down_at_enqueue_keeps_the_job_which_runs_when_redis_returns(
    settings: Settings, database_url: str, redis: Redis, processes: None
) -> None:
    with proxy_for(settings.require_redis_url()) as proxy:
        proxied = replace(settings, redis_url=proxy.proxied_url(settings.require_redis_url()))
        runtime = build_job_runtime(proxied, job_manager)
        job_manager.use(runtime.queue)
        try:
            proxy.cut()
            job_id = test_jobs.count_run.delay("outage")  # no exception: the record is what counts
            row = await job_row(database_url, job_id)
            assert row is not None
            assert row["status"] == "queued"
            assert await redis.hexists("dramatiq:default.msgs", job_id) == 0
            proxy.restore()
            await eventually(lambda: job_in(database_url, job_id, "finished"), what="relayed job ran")
            assert await redis.get("runs:outage") == b"1"
        finally:
            runtime.close()


def test_worker_heartbeats_show_it_is_up(processes: None, redis_url: str) -> None:
    client = SyncRedis.from_url(redis_url)
    deadline_checks = 0
    while not client.zcard("dramatiq:__heartbeats__") and deadline_checks < 1500:
        deadline_checks += 1
        threading.Event().wait(0.02)
    assert client.zcard("dramatiq:__heartbeats__") >= 1
