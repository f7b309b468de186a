"""Bulk runs (reminders to every family with attendance due, say) as batches of messages.

A batch is a record of its own; each message of the run names it, and is otherwise an ordinary message
(its own record, job, retries and idempotency key). The counts (total, pending, sent, failed) are
counted from the messages themselves, so they cannot drift from what was sent; the batch's status
follows from them. A message whose cause had already asked (a run repeated) keeps its first batch and
is not counted again.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from domain.errors import NotFound
from domain.notifications.model import Message
from domain.notifications.ports import NotificationsUnitOfWork, Notifier


class BatchStatus(enum.StrEnum):
    PENDING = "pending"  # nothing tried yet
    PROCESSING = "processing"  # some tried, some still to go
    COMPLETED = "completed"  # every message sent
    PARTIALLY_FAILED = "partially_failed"  # all done; some sent, some failed
    FAILED = "failed"  # all done; none sent


class MessageBatchNotFound(NotFound):
    code = "message_batch_not_found"
    default_message = "Message batch not found"


@dataclass(frozen=True, slots=True)
class NewBatch:
    """``kind`` names the run (``attendance_reminder``); ``name`` is for people (with its date, say)."""

    name: str
    kind: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MessageBatch:
    id: int
    name: str
    kind: str
    data: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class BatchCounts:
    total: int = 0
    pending: int = 0
    sent: int = 0
    failed: int = 0
    # Pending messages already tried at least once (an outage being retried).
    retrying: int = 0
    # The latest change to any of its messages.
    last_change: datetime | None = None


@dataclass(frozen=True, slots=True)
class BatchProgress:
    batch: MessageBatch
    counts: BatchCounts

    @property
    def done(self) -> bool:
        return self.counts.pending == 0

    @property
    def status(self) -> BatchStatus:
        counts = self.counts
        if counts.pending:
            tried = counts.sent or counts.failed or counts.retrying
            return BatchStatus.PROCESSING if tried else BatchStatus.PENDING
        if counts.failed == 0:
            return BatchStatus.COMPLETED
        return BatchStatus.FAILED if counts.sent == 0 else BatchStatus.PARTIALLY_FAILED

    @property
    def completed_at(self) -> datetime | None:
        if not self.done:
            return None
        return self.counts.last_change or self.batch.created_at


@dataclass(frozen=True, slots=True)
class BatchQueued:
    batch_id: int
    # Messages this run recorded (each sent by its own job); ``repeated`` had been asked for before.
    queued: int
    repeated: int


async def notify_batch(notifier: Notifier, batch: NewBatch, messages: Iterable[Message]) -> BatchQueued:
    """Inside an open unit of work: the batch and its messages are recorded in its transaction."""
    batch_id = await notifier.start_batch(batch)
    queued = repeated = 0
    for message in messages:
        asked = await notifier.notify(replace(message, batch_id=batch_id))
        queued, repeated = (queued + 1, repeated) if asked.new else (queued, repeated + 1)
    return BatchQueued(batch_id, queued, repeated)


async def get_batch(uow: NotificationsUnitOfWork, batch_id: int) -> BatchProgress:
    async with uow:
        progress = await uow.messages.batch_progress(batch_id)
    if progress is None:
        raise MessageBatchNotFound(details={"batch_id": batch_id})
    return progress
