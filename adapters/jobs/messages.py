"""Job messages, and the relay's and retry's questions to Redis about them (queue-info reads
through ``queue_reader.py``)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dramatiq.common import dq_name, xq_name
from dramatiq.message import Message

from adapters.jobs.broker import JobBroker


def job_message(
    job_id: str, name: str, queue: str, args: Sequence[Any], kwargs: dict[str, Any]
) -> Message[Any]:
    # A fresh timestamp: Dramatiq's AgeLimit counts from it, and a retried job is a new attempt.
    return Message(
        queue_name=queue,
        actor_name=name,
        args=tuple(args),
        kwargs=kwargs,
        options={},
        message_id=job_id,
        message_timestamp=int(time.time() * 1000),
    )


@dataclass(frozen=True, slots=True)
class QueueCounts:
    name: str
    length: int  # waiting to be fetched (RQ's Queue.count)
    in_progress: int  # fetched by a worker, not yet acknowledged
    delayed: int  # in Dramatiq's delay queue: retries in backoff
    dead_lettered: int


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    job_id: str
    name: str
    enqueued_at_ms: int


class QueueInspector:
    def __init__(self, broker: JobBroker) -> None:
        self._broker = broker

    def holds(self, queue: str, redis_message_ids: Sequence[str]) -> list[bool]:
        """Whether each id is in the queue or its delay queue (waiting, delayed or being worked on)."""
        key = self._broker.key
        with self._broker.client.pipeline(transaction=False) as pipe:
            for redis_id in redis_message_ids:
                pipe.hexists(key(f"{queue}.msgs"), redis_id)
                pipe.hexists(key(f"{dq_name(queue)}.msgs"), redis_id)
            answers = pipe.execute()
        return [bool(answers[i] or answers[i + 1]) for i in range(0, len(answers), 2)]

    def remove_dead_letter(self, queue: str, redis_message_id: str) -> None:
        key = self._broker.key
        with self._broker.client.pipeline(transaction=False) as pipe:
            pipe.zrem(key(xq_name(queue)), redis_message_id)
            pipe.hdel(key(f"{xq_name(queue)}.msgs"), redis_message_id)
            pipe.execute()
