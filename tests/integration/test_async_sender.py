"""The web process's sender (asyncio Redis): what it writes is what Dramatiq's own consumer reads, and a
Redis that never answers costs a send its timeout, not more (the row stays queued for the relay)."""

from __future__ import annotations

import asyncio
import socket
import time
from uuid import uuid4

from dramatiq.brokers.redis import RedisBroker
from redis.asyncio import Redis

from adapters.jobs.async_sender import AsyncJobSender
from adapters.jobs.dispatch_store import OutgoingJob


def _jobs(count: int) -> list[OutgoingJob]:
    return [OutgoingJob(str(uuid4()), "tests.add", "default", [1, 2], {}) for _ in range(count)]


async def test_messages_sent_from_the_event_loop_are_what_dramatiqs_own_consumer_reads(
    redis_url: str, redis: Redis
) -> None:
    client = Redis.from_url(redis_url)
    jobs = _jobs(3)
    try:
        assert await AsyncJobSender(client, timeout=5).send(jobs) == 3
    finally:
        await client.aclose()
    assert await redis.llen("dramatiq:default.wake") == 1  # one wake-up token for the queue

    # A stock Dramatiq broker on the same Redis: if our layout drifted from Dramatiq's, it finds nothing.
    stock = RedisBroker(url=redis_url, namespace="dramatiq", middleware=[])  # type: ignore[no-untyped-call]
    consumer = stock.consume("default", prefetch=10, timeout=100)
    try:
        received = []
        for _ in range(50):
            message = next(consumer)
            if message is not None:
                received.append(message)
            if len(received) == len(jobs):
                break
    finally:
        consumer.close()
        stock.client.close()
    assert sorted(m.message_id for m in received) == sorted(j.id for j in jobs)
    assert all(m.options["redis_message_id"] == m.message_id for m in received)  # the relay asks by id
    assert {(m.actor_name, m.args) for m in received} == {("tests.add", (1, 2))}


async def test_a_redis_that_never_answers_costs_a_send_its_timeout() -> None:
    silent = socket.create_server(("127.0.0.1", 0))  # accepts (the kernel's backlog), never answers
    client = Redis.from_url(f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
    try:
        started = time.monotonic()
        sent = await asyncio.wait_for(AsyncJobSender(client, timeout=0.5).send(_jobs(1)), 30)
        took = time.monotonic() - started
    finally:
        await client.aclose()
        silent.close()
    assert sent == 0  # logged, not raised: the job's row is the record and the relay resends
    assert took < 5
