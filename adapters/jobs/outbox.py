"""The outbox: ``domain.ports.JobQueue`` on the ``jobs`` records and the Dramatiq broker.

The record is written in the caller's transaction when a unit of work is open (the message is
sent only after it commits, and a rollback leaves no job), or in a short transaction of its own.
A send that fails after the commit is only logged: the row is ``queued`` and the scheduler's
relay sends it again once Redis answers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
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


class OutboxJobQueue:
    def __init__(
        self,
        *,
        broker: JobBroker,
        session_factory: async_sessionmaker[AsyncSession],
        loop: BackgroundLoop,
        new_jobs: NewJobWriter,
        queue_of: Callable[[str], str],
    ) -> None:
        self._broker = broker
        self._sessions = session_factory  # bound to ``loop``: used only for standalone writes
        self._loop = loop
        self._new_jobs = new_jobs  # bound to ``loop`` too: standalone job rows (group commit)
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
        self._write_schedule(row)
        return str(row.id)

    def send(self, job_id: str, name: str, queue: str, args: Any, kwargs: dict[str, Any]) -> bool:
        """Send one job's message; False (logged) when Redis cannot be reached."""
        return send_jobs(self._broker, [OutgoingJob(job_id, name, queue, list(args), dict(kwargs))]) == 1

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
        job_id = str(job.id)
        send = None if later else (lambda: self.send(job_id, job_name, queue, list(args), dict(kwargs)))
        uow = open_transaction()
        if uow is not None:
            self._add_to(uow, JobRow(**job.columns()), send)
        else:
            self._loop.run(self._new_jobs.insert(job))
            if send is not None:
                send()
        return job_id

    def _write_schedule(self, row: ScheduleRow) -> None:
        uow = open_transaction()
        if uow is not None:
            self._add_to(uow, row, None)
            return
        self._loop.run(self._insert(row))

    @staticmethod
    def _add_to(uow: OpenTransaction, row: JobRow | ScheduleRow, send: Callable[[], bool] | None) -> None:
        # The caller's transaction: the message goes only after it commits (none on rollback).
        uow.session.add(row)
        if send is not None:
            uow.after_commit(lambda: _in_thread(send))

    async def _insert(self, row: ScheduleRow) -> None:
        async with self._sessions.begin() as session:
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


async def _in_thread(send: Callable[[], bool]) -> None:
    # Redis calls block; off the event loop so a slow Redis never stalls other requests.
    await asyncio.to_thread(send)
