"""The outbox: ``domain.ports.JobQueue`` on the ``jobs`` records and Redis.

The record is written in the caller's transaction when one is open (the message is sent only after
it commits, and a rollback leaves no job), or in a short transaction of its own. A send that fails
after the commit is only logged: the row is ``queued`` and the scheduler's relay sends it again once
Redis answers.

After a commit the message goes through ``sender``: in the web process ``async_sender.AsyncJobSender``
on the request's own loop (no thread, nothing blocking), elsewhere the Dramatiq broker off the loop
(``BrokerSender``). A ``.delay()`` outside any transaction (sync callers) uses ``StandaloneWrites``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import uuid4

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.jobs.background_loop import BackgroundLoop
from adapters.jobs.broker import JobBroker
from adapters.jobs.dispatch_store import OutgoingJob
from adapters.jobs.messages import job_message
from adapters.jobs.new_jobs import NewJob, NewJobWriter
from adapters.jobs.rows import JobRow, ScheduleRow
from adapters.transactions import OpenTransaction, open_transaction
from domain.cron import parse_cron
from domain.jobs import JobStatus, check_json_arguments

logger = logging.getLogger("cap_portal.jobs")
SEND_CHUNK = 500  # messages per Redis round trip


class JobSender(Protocol):
    async def send(self, jobs: Sequence[OutgoingJob]) -> int:
        """Send the messages; failures are logged, not raised. How many were sent."""
        ...


class BrokerSender:
    """Sends on the Dramatiq broker's (blocking) Redis client, off the event loop."""

    def __init__(self, broker: JobBroker) -> None:
        self.broker = broker

    async def send(self, jobs: Sequence[OutgoingJob]) -> int:
        # Redis calls block; off the event loop so a slow Redis never stalls other work.
        return await asyncio.to_thread(send_jobs, self.broker, jobs)

    def send_now(self, jobs: Sequence[OutgoingJob]) -> int:
        return send_jobs(self.broker, jobs)


@dataclass
class StandaloneWrites:
    """For a ``.delay()`` outside any transaction (a sync caller: a worker thread, a script, a test): a
    private loop with its own engine and pool, and the broker's blocking client. Nothing here starts
    or connects until the first such call, so a web process whose enqueues all join a request's
    transaction never starts the loop's thread."""

    loop: BackgroundLoop
    sessions: async_sessionmaker[AsyncSession]
    new_jobs: NewJobWriter
    sender: BrokerSender


class OutboxJobQueue:
    def __init__(
        self, *, sender: JobSender, standalone: StandaloneWrites, queue_of: Callable[[str], str]
    ) -> None:
        self._sender = sender  # after a caller's commit, on the caller's loop
        self.standalone = standalone
        self._queue_of = queue_of

    def enqueue(self, job_name: str, /, *args: Any, **kwargs: Any) -> str:
        return self._submit(job_name, args, kwargs, None)

    def enqueue_at(self, when: datetime, job_name: str, /, *args: Any, **kwargs: Any) -> str:
        return self._submit(job_name, args, kwargs, when)

    def schedule_cron(self, cron: str, job_name: str, /, *args: Any, **kwargs: Any) -> str:
        parse_cron(cron)  # refuse a bad cron now, not in the scheduler
        check_json_arguments(job_name, args, kwargs)
        self._queue_of(job_name)  # refuse an unknown job now
        row = ScheduleRow(id=uuid4(), job_name=job_name, cron=cron, args=list(args), kwargs=kwargs)
        transaction = open_transaction()
        if transaction is not None:
            transaction.session.add(row)
        else:
            self.standalone.loop.run(self._insert(row))
        return str(row.id)

    def _submit(
        self, job_name: str, args: tuple[Any, ...], kwargs: dict[str, Any], when: datetime | None
    ) -> str:
        check_json_arguments(job_name, args, kwargs)
        queue = self._queue_of(job_name)
        now = datetime.now(UTC)
        later = when is not None and when > now
        job = NewJob(
            id=uuid4(), name=job_name, queue=queue, args=list(args), kwargs=dict(kwargs),
            status=JobStatus.SCHEDULED if later else JobStatus.QUEUED,
            scheduled_for=when, queued_at=None if later else now, created_at=now,
        )  # fmt: skip
        outgoing = None if later else OutgoingJob(str(job.id), job_name, queue, list(args), dict(kwargs))
        transaction = open_transaction()
        if transaction is not None:
            self._add_to(transaction, JobRow(**job.columns()), outgoing)
        else:
            # No transaction: the row on the private loop (group commit), then the message from this
            # thread, as fast as a caller can go.
            self.standalone.loop.run(self.standalone.new_jobs.insert(job))
            if outgoing is not None:
                self.standalone.sender.send_now([outgoing])
        return str(job.id)

    def _add_to(self, transaction: OpenTransaction, row: JobRow, outgoing: OutgoingJob | None) -> None:
        # The caller's transaction: the message goes only after it commits (none on rollback).
        transaction.session.add(row)
        if outgoing is not None:
            transaction.after_commit(lambda: self._send_after_commit(outgoing))

    async def _send_after_commit(self, outgoing: OutgoingJob) -> None:
        await self._sender.send([outgoing])

    async def _insert(self, row: ScheduleRow) -> None:
        async with self.standalone.sessions.begin() as session:
            session.add(row)


def send_jobs(broker: JobBroker, jobs: Sequence[OutgoingJob]) -> int:
    """Send the jobs' messages, a chunk per round trip (the scheduler sends a thousand due jobs
    at once); a failure is logged, not raised (the rows stay ``queued`` and the relay sends them
    again). Returns how many were sent."""
    sent = 0
    for start in range(0, len(jobs), SEND_CHUNK):
        chunk = jobs[start : start + SEND_CHUNK]
        try:
            broker.send_jobs([job_message(j.id, j.name, j.queue, j.args, j.kwargs) for j in chunk])
        except Exception as exc:  # noqa: BLE001 - the row is the record; the relay resends
            extra = {"job_ids": [j.id for j in chunk[:20]], "count": len(chunk), "reason": repr(exc)}
            if len(chunk) == 1:
                extra["job_id"] = chunk[0].id
            logger.warning("job message not sent; the relay will resend it", extra=extra)
        else:
            sent += len(chunk)
    return sent
