"""Queue-info's reads on real Redis and Postgres: right figures, and a cost that does not grow with
the queues (one Redis round trip, counted with MONITOR, for 100,000 waiting messages as for 3)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
import redis as sync_redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.message import Message
from redis.asyncio import Redis

from adapters.jobs.broker import NAMESPACE
from adapters.jobs.messages import job_message
from adapters.jobs.new_jobs import NewJob, NewJobWriter
from adapters.jobs.queue_overview import QueueOverviews
from adapters.jobs.queue_reader import QueueReader, queue_keys
from adapters.postgres.raw_pool import RawPool
from domain.jobs import JobStatus


async def put_waiting(redis: Redis, queue: str, count: int, *, name: str = "tests.add") -> list[str]:
    """``count`` messages waiting in ``queue``, laid out as Dramatiq's enqueue leaves them."""
    queue_key, messages_key, _, _ = queue_keys(queue)
    ids = [str(uuid4()) for _ in range(count)]
    for start in range(0, count, 10_000):
        chunk = ids[start : start + 10_000]
        async with redis.pipeline(transaction=False) as pipe:
            pipe.hset(messages_key, mapping={i: job_message(i, name, queue, [1], {}).encode() for i in chunk})
            pipe.rpush(queue_key, *chunk)
            await pipe.execute()
    return ids


@contextmanager
def round_trips(redis_url: str) -> Iterator[list[str]]:
    """The commands clients send to this Redis database while the block runs (MONITOR; commands a
    Lua script runs are Redis's own work, not round trips, and are left out)."""
    client = sync_redis.Redis.from_url(redis_url)
    db = client.connection_pool.connection_kwargs.get("db", 0)
    seen: list[str] = []
    started, marker = threading.Event(), f"monitor-{uuid4()}"

    def watch() -> None:
        with client.monitor() as monitor:  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
            for command in monitor.listen():
                text = command["command"]
                if text == f"ECHO {marker}-start":
                    started.set()
                elif text == f"ECHO {marker}-stop":
                    return
                elif started.is_set() and command["db"] == db and command["client_type"] != "lua":
                    seen.append(text.split(" ", 1)[0].upper())

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    while not started.wait(0.05):
        client.echo(f"{marker}-start")
    try:
        yield seen
    finally:
        client.echo(f"{marker}-stop")
        thread.join(10)
        client.close()


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[RawPool]:
    pool = RawPool(database_url)
    yield pool
    await pool.close()


async def test_counts_and_the_next_messages_of_every_queue(redis: Redis) -> None:
    ids = await put_waiting(redis, "default", 7)
    await put_waiting(redis, "payments", 2, name="pay")
    _, messages_key, delayed_key, dead_key = queue_keys("default")
    # Fetched by a worker, not yet acknowledged: out of the list, still in the hash.
    await redis.hset(messages_key, mapping={"being-worked-on-1": b"{}", "being-worked-on-2": b"{}"})
    await redis.hset(delayed_key, "in-backoff", b"{}")
    await redis.zadd(dead_key, {"dead-1": 1, "dead-2": 2})
    await redis.hdel(messages_key, ids[3])  # acknowledged between LRANGE and HMGET: skipped
    # (so the hash holds 6 waiting + 2 fetched against a list of 7: 1 in progress is reported)

    reader = QueueReader(redis)
    (default, default_page), (payments, payments_page), (empty, empty_page) = await reader.read(
        ["default", "payments", "nothing-here"], offset=2, limit=3
    )

    assert (default.length, default.in_progress, default.delayed, default.dead_lettered) == (7, 1, 1, 2)
    assert [m.job_id for m in default_page] == [ids[2], ids[4]]
    assert {m.name for m in default_page} == {"tests.add"}
    assert (payments.length, [m.name for m in payments_page]) == (2, [])  # offset 2 is past its end
    assert (empty.length, empty.in_progress, empty_page) == (0, 0, [])
    assert (await reader.read(["default"], offset=0, limit=0))[0][1] == []


async def test_one_round_trip_for_a_hundred_thousand_waiting_messages(redis: Redis, redis_url: str) -> None:
    reader = QueueReader(redis)
    await put_waiting(redis, "default", 3)
    await reader.read(["default"], offset=0, limit=20)  # the first call loads the script
    with round_trips(redis_url) as few:
        await reader.read(["default", "payments"], offset=0, limit=20)

    await put_waiting(redis, "default", 100_000)
    with round_trips(redis_url) as many:
        [(counts, page), _] = await reader.read(["default", "payments"], offset=99_990, limit=20)

    assert few == many == ["EVALSHA"]
    assert (counts.length, len(page)) == (100_003, 13)


async def test_scheduled_counts_and_the_records_of_a_page_in_one_statement(pool: RawPool) -> None:
    writer = NewJobWriter(pool)
    now = datetime.now(UTC)

    def job(status: JobStatus, queue: str = "default") -> NewJob:
        return NewJob(uuid4(), "tests.add", queue, [1], {}, str(status), None, now, now)

    scheduled = [job(JobStatus.SCHEDULED), job(JobStatus.SCHEDULED), job(JobStatus.SCHEDULED, "payments")]
    queued, started = job(JobStatus.QUEUED), job(JobStatus.STARTED)
    await asyncio.gather(*(writer.insert(j) for j in [*scheduled, queued, started]))

    overview = await QueueOverviews(pool).read([str(queued.id), str(started.id), str(uuid4()), "not-a-uuid"])

    assert overview.scheduled == {"default": 2, "payments": 1}
    assert {i: s.status for i, s in overview.jobs.items()} == {
        str(queued.id): JobStatus.QUEUED,
        str(started.id): JobStatus.STARTED,
    }
    assert all(summary.created_at == now for summary in overview.jobs.values())


async def test_what_dramatiqs_own_enqueue_writes_is_what_queue_info_reads(
    redis: Redis, redis_url: str
) -> None:
    # A canary for the key layout queue_keys() spells: Dramatiq's stock broker writes, we read.
    stock = RedisBroker(url=redis_url, namespace=NAMESPACE, middleware=[])  # type: ignore[no-untyped-call]  # Dramatiq's
    try:
        now: Message[Any] = Message(
            queue_name="default", actor_name="tests.add", args=(1,), kwargs={}, options={}
        )
        later: Message[Any] = Message(
            queue_name="default", actor_name="tests.add", args=(2,), kwargs={}, options={}
        )
        stock.enqueue(now)
        stock.enqueue(later, delay=60_000)
        [(counts, page)] = await QueueReader(redis).read(["default"], offset=0, limit=10)
    finally:
        stock.close()
    assert (counts.length, counts.delayed, [m.job_id for m in page]) == (1, 1, [now.message_id])
