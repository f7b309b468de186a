"""Job messages and what Redis holds for each queue (for the queue-info API and the relay)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dramatiq.common import dq_name, xq_name
from dramatiq.message import Message

from adapters.dramatiq.broker import JobBroker


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

    def counts(self, queue: str) -> QueueCounts:
        key = self._broker.key
        with self._broker.client.pipeline(transaction=False) as pipe:
            pipe.llen(key(queue))
            pipe.hlen(key(f"{queue}.msgs"))
            pipe.hlen(key(f"{dq_name(queue)}.msgs"))
            pipe.zcard(key(xq_name(queue)))
            length, held, delayed, dead = pipe.execute()
        return QueueCounts(queue, length, max(0, held - length), delayed, dead)

    def waiting(self, queue: str, offset: int, limit: int) -> list[QueuedMessage]:
        """The next ``limit`` messages in run order, from ``offset``: LRANGE + HMGET, no scan."""
        if limit <= 0:
            return []
        key = self._broker.key
        ids = self._broker.client.lrange(key(queue), offset, offset + limit - 1)
        if not ids:
            return []
        found = []
        for data in self._broker.client.hmget(key(f"{queue}.msgs"), ids):
            if data is not None:
                message = Message.decode(data)  # type: ignore[arg-type]
                found.append(QueuedMessage(message.message_id, message.actor_name, message.message_timestamp))
        return found

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
