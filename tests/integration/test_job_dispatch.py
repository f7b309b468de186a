"""The scheduler's claims on real Postgres and Redis: one job per cron tick, due jobs claimed
once, and the relay resending only what Redis lacks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.jobs.async_sender import AsyncJobSender
from adapters.jobs.dispatch_store import JobDispatchStore, OutgoingJob
from adapters.jobs.leader import LeaderLock
from adapters.jobs.records import JobRecords
from adapters.jobs.relay import Relay
from adapters.jobs.scheduler import JobScheduler
from adapters.postgres.engine import build_engine, build_session_factory
from entrypoints.jobs import job_manager
from entrypoints.jobs.runtime import JobRuntime, build_job_runtime
from entrypoints.settings import Settings
from tests import jobs_for_tests as test_jobs


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = build_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def jobs(settings: Settings, redis: Redis) -> AsyncIterator[JobRuntime]:
    runtime = build_job_runtime(settings, job_manager)
    job_manager.use(runtime.queue)
    yield runtime
    runtime.close()


async def test_two_firings_of_the_same_tick_make_one_job(engine: AsyncEngine, jobs: JobRuntime) -> None:
    store = JobDispatchStore(build_session_factory(engine))
    test_jobs.count_run.schedule_cron("* * * * *", "tick")
    (schedule,) = await store.schedules()
    tick = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    fired = await asyncio.gather(*(store.fire(schedule, tick, "default") for _ in range(2)))
    assert sorted(f is None for f in fired) == [False, True]
    later = await store.fire(schedule, tick + timedelta(minutes=1), "default")
    assert later is not None


async def test_due_jobs_are_claimed_once(engine: AsyncEngine, jobs: JobRuntime) -> None:
    store = JobDispatchStore(build_session_factory(engine))
    due = [test_jobs.add.delay_in(timedelta(milliseconds=1), i, i) for i in range(5)]
    test_jobs.add.delay_in(timedelta(hours=1), 9, 9)
    await asyncio.sleep(0.01)  # let the 1 ms delays pass (not a timing assertion)
    first, second = await asyncio.gather(*(store.claim_due(datetime.now(UTC), 100) for _ in range(2)))
    assert sorted(job.id for job in first + second) == sorted(due)


async def test_the_relay_resends_only_messages_missing_from_redis(
    engine: AsyncEngine, jobs: JobRuntime, redis: Redis
) -> None:
    sessions = build_session_factory(engine)
    store = JobDispatchStore(sessions)
    sent = test_jobs.add.delay(1, 1)
    lost = test_jobs.add.delay(2, 2)
    await redis.hdel("dramatiq:default.msgs", lost)  # as if Redis never got it
    await redis.lrem("dramatiq:default", 0, lost)
    resent: list[OutgoingJob] = []

    async def resend(batch: Sequence[OutgoingJob]) -> int:
        resent.extend(batch)
        return len(batch)

    relay = Relay(store, AsyncJobSender(redis, timeout=10).holds, resend)
    assert await relay.run_once(timedelta(seconds=-1)) == 1
    assert [job.id for job in resent] == [lost]
    assert (await JobRecords(sessions).get(sent)).status == "queued"
    assert await relay.run_once(timedelta(seconds=60)) == 0  # both just checked: quiet for a while


async def test_many_jobs_due_at_the_same_instant_are_claimed_together(
    database_url: str, engine: AsyncEngine, jobs: JobRuntime, redis: Redis
) -> None:
    claims: list[int] = []

    class CountingStore(JobDispatchStore):
        async def claim_due(self, now: datetime, limit: int) -> list[OutgoingJob]:
            claimed = await super().claim_due(now, limit)
            claims.append(len(claimed))
            return claimed

    store = CountingStore(build_session_factory(engine))
    sent: list[OutgoingJob] = []
    all_sent = asyncio.Event()

    async def send_many(batch: Sequence[OutgoingJob]) -> int:
        sent.extend(batch)
        if len(sent) >= len(ids):
            all_sent.set()
        return len(batch)

    # The relay re-sends claimed jobs it cannot find in Redis, and this test's sender never puts them
    # there: on a slow machine the relay's turn comes before the test ends. Its sends are kept apart,
    # so what is asserted is only what the timer claimed and sent.
    resent: list[OutgoingJob] = []

    async def resend(batch: Sequence[OutgoingJob]) -> int:
        resent.extend(batch)
        return len(batch)

    scheduler = JobScheduler(
        store=store, send_many=send_many, relay=Relay(store, AsyncJobSender(redis, timeout=10).holds, resend),
        queue_of=job_manager.queue_of, declared=[], timezone="UTC",
    )  # fmt: skip
    # Every row is written before the scheduler starts, so however slow the writes are, it finds all 200
    # due at the one instant (already past, if the writes outlasted it): one timer, one claim.
    due = (datetime.now(UTC) + timedelta(seconds=3)).replace(microsecond=0) + timedelta(seconds=1)
    ids = [test_jobs.add.delay_at(due, i, i) for i in range(200)]
    stop = asyncio.Event()
    running = asyncio.create_task(scheduler.run(stop, LeaderLock(database_url)))
    try:
        await asyncio.wait_for(all_sent.wait(), 30)
    finally:
        stop.set()
        await running
    assert sorted(job.id for job in sent) == sorted(ids)
    assert claims == [200]  # one timer for the instant, so one claim (not one per job)
