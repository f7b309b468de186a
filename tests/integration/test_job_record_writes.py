"""The hot job-record writes on real Postgres and Redis: the worker's ``started``/``finished``
(shared statements), new rows written outside a caller's transaction, and batched sends."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, cast
from uuid import UUID, uuid4

import asyncpg
import pytest
from redis.asyncio import Redis

from adapters.jobs.broker import JobBroker
from adapters.jobs.messages import job_message
from adapters.jobs.new_jobs import NewJob, NewJobWriter
from adapters.jobs.status_recorder import JobStatusRecorder, StartedJob
from adapters.postgres.raw_pool import RawPool, asyncpg_dsn


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[RawPool]:
    pool = RawPool(database_url)
    yield pool
    await pool.close()


def new_job(status: str = "queued", args: list[Any] | None = None) -> NewJob:
    now = datetime.now(UTC)
    return NewJob(uuid4(), "tests.add", "default", args or [1, 2], {}, status, None, now, now)


async def row(database_url: str, job_id: UUID) -> dict[str, Any]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        found = await connection.fetchrow("SELECT * FROM jobs WHERE id = $1", job_id)
    finally:
        await connection.close()
    assert found is not None
    return dict(found)


async def test_concurrent_starts_and_finishes_each_get_their_own_outcome(
    database_url: str, pool: RawPool
) -> None:
    writer, recorder = NewJobWriter(pool), JobStatusRecorder(pool)
    queued = [new_job() for _ in range(3)]
    canceled, finished = new_job("canceled"), new_job("finished")
    await asyncio.gather(*(writer.insert(job) for job in [*queued, canceled, finished]))

    started = await asyncio.gather(*(recorder.start(str(job.id)) for job in [*queued, canceled, finished]))
    assert started == [StartedJob("tests.add", 1)] * 3 + [None, None]  # final rows never run

    # One finishes while another starts again (a redelivery): both land, in the same flush or not.
    await asyncio.gather(recorder.finish(str(queued[0].id), {"sum": 3}), recorder.start(str(queued[1].id)))
    done, again = await row(database_url, queued[0].id), await row(database_url, queued[1].id)
    assert (done["status"], done["attempts"], json.loads(done["result"])) == ("finished", 1, {"sum": 3})
    assert done["started_at"] <= done["ended_at"]
    assert (again["status"], again["attempts"], again["ended_at"]) == ("started", 2, None)
    assert await recorder.start(str(queued[0].id)) is None  # finished stays finished
    assert (await row(database_url, canceled.id))["status"] == "canceled"


async def test_a_none_result_is_stored_as_json_null(database_url: str, pool: RawPool) -> None:
    job = new_job()
    await NewJobWriter(pool).insert(job)
    recorder = JobStatusRecorder(pool)
    await recorder.start(str(job.id))
    await recorder.finish(str(job.id), None)
    stored = await row(database_url, job.id)
    assert (stored["status"], stored["result"]) == ("finished", "null")


async def test_a_result_postgres_refuses_fails_only_its_own_job(database_url: str, pool: RawPool) -> None:
    jobs = [new_job() for _ in range(4)]
    writer, recorder = NewJobWriter(pool), JobStatusRecorder(pool)
    await asyncio.gather(*(writer.insert(job) for job in jobs))
    await asyncio.gather(*(recorder.start(str(job.id)) for job in jobs))
    results = ["ok", "bad \x00 byte", "ok", "ok"]  # jsonb has no place for U+0000
    outcomes = await asyncio.gather(
        *(recorder.finish(str(job.id), result) for job, result in zip(jobs, results, strict=True)),
        return_exceptions=True,
    )
    assert [isinstance(outcome, asyncpg.DataError) for outcome in outcomes] == [False, True, False, False]
    statuses = [(await row(database_url, job.id))["status"] for job in jobs]
    assert statuses == ["finished", "started", "finished", "finished"]


async def test_a_new_row_postgres_refuses_fails_only_its_own_insert(database_url: str, pool: RawPool) -> None:
    jobs = [new_job(), new_job(args=["\x00"]), new_job()]
    outcomes = await asyncio.gather(*(NewJobWriter(pool).insert(job) for job in jobs), return_exceptions=True)
    assert [isinstance(outcome, asyncpg.DataError) for outcome in outcomes] == [False, True, False]
    assert (await row(database_url, jobs[2].id))["status"] == "queued"


async def test_a_batch_of_messages_goes_to_redis_whole_with_one_wake_token(
    redis_url: str, redis: Redis
) -> None:
    broker = JobBroker(url=redis_url, middleware=[])
    ids = [str(uuid4()) for _ in range(3)]
    try:
        broker.send_jobs([job_message(job_id, "tests.add", "default", [1, 2], {}) for job_id in ids])
    finally:
        broker.client.close()
    queued = cast(list[bytes], await redis.lrange("dramatiq:default", 0, -1))  # the client does not decode
    assert [i.decode() for i in queued] == ids
    assert await redis.hlen("dramatiq:default.msgs") == 3  # stored under the job ids (the relay asks by id)
    assert all(await asyncio.gather(*(redis.hexists("dramatiq:default.msgs", i) for i in ids)))
    assert await redis.llen("dramatiq:default.wake") == 1
    assert await redis.zcard("dramatiq:__heartbeats__") == 0  # a sender is not taken for a worker


async def test_grouped_acks_remove_the_messages_even_after_redis_forgot_its_scripts(
    redis_url: str, redis: Redis
) -> None:
    broker = JobBroker(url=redis_url, middleware=[])
    ids = [str(uuid4()) for _ in range(3)]
    try:
        broker.send_jobs([job_message(job_id, "tests.add", "default", [1, 2], {}) for job_id in ids])
        consumer = broker.consume("default", prefetch=10, timeout=100)
        fetched = [next(consumer) for _ in ids]
        await redis.script_flush()  # as after a Redis restart: the pipeline meets NOSCRIPT
        for message in fetched:
            assert message is not None
            consumer.ack(message)
        consumer.close()
    finally:
        broker.client.close()
    assert await redis.hlen("dramatiq:default.msgs") == 0
    assert await redis.llen("dramatiq:default") == 0
