"""Job messages, and what queue-info reports about them (it reads through ``queue_reader.py``; the
relay and retry ask Redis through ``async_sender.py``)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dramatiq.message import Message


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
