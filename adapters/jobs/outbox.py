"""The outbox: ``domain.ports.JobQueue`` on the ``jobs`` records and Redis.

The record is written in the caller's transaction when one is open (the message is sent only after
it commits, and a rollback leaves no job), or in a short transaction of its own. A send that fails
after the commit is only logged: the row is ``queued`` and the scheduler's relay sends it again once
Redis answers.

After a commit the message goes through ``sender``: in the web process ``async_sender.AsyncJobSender``
on the request's own loop (no thread, nothing blocking), elsewhere the Dramatiq broker off the loop
(``BrokerSender``). A ``.delay()`` outside any transaction writes in a short transaction of its own:
in a process that lives on one event loop (web, scheduler) on that loop (``HomeWrites``, no
thread), elsewhere (worker threads, scripts) on a private loop (``StandaloneWrites``).
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
from adapters.jobs.home_loop import HomeLoop
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
    """For a ``.delay()`` outside any transaction in a process with no home loop (``HomeWrites``):
    a worker's threads, a script, a test. A private loop with its own engine and pool, and the
    broker's blocking client; nothing here starts or connects until the first such call.

    Why a loop of its own there: ``.delay()`` is a plain function that returns once the row is
    committed, and a sync caller has no loop of its own to write on."""

    loop: BackgroundLoop
    sessions: async_sessionmaker[AsyncSession]
    new_jobs: NewJobWriter
    sender: BrokerSender

    async def write(self, job: NewJob, outgoing: OutgoingJob | None) -> None:
        await _write(self.new_jobs, self.sender, job, outgoing)


@dataclass
class HomeWrites:
    """For a ``.delay()`` outside any transaction in a process that lives on one event loop (web,
    scheduler): the row and the message on that loop, its pool and its sender; no thread
    (``home_loop.py`` says how callers on and off the loop are served)."""

    loop: HomeLoop
    sessions: async_sessionmaker[AsyncSession]
    new_jobs: NewJobWriter
    sender: JobSender

    async def write(self, job: NewJob, outgoing: OutgoingJob | None) -> None:
        await _write(self.new_jobs, self.sender, job, outgoing)


class OutboxJobQueue:
    """``JobQueue`` for ``job_manager`` and ``uow.jobs``, plus the awaitable ``aenqueue`` family that
    ``adelay`` and friends use (they return once the row is committed, wherever they are called)."""

    def __init__(
        self,
        *,
        sender: JobSender,
        standalone: StandaloneWrites,
        queue_of: Callable[[str], str],
        home: HomeWrites | None = None,
    ) -> None:
        self._sender = sender  # after a caller's commit, on the caller's loop
        self.standalone = standalone
        self.home = home
        self._queue_of = queue_of

    def enqueue(self, job_name: str, /, *args: Any, **kwargs: Any) -> str:
        job, outgoing = self._new_job(job_name, args, kwargs, None)
        self._write_now(job, outgoing)
        return str(job.id)

    def enqueue_at(self, when: datetime, job_name: str, /, *args: Any, **kwargs: Any) -> str:
        job, outgoing = self._new_job(job_name, args, kwargs, when)
        self._write_now(job, outgoing)
        return str(job.id)

    def schedule_cron(self, cron: str, job_name: str, /, *args: Any, **kwargs: Any) -> str:
        row = self._new_schedule(cron, job_name, args, kwargs)
        transaction = open_transaction()
        if transaction is not None:
            transaction.session.add(row)
        elif self._home_serving():
            home = self._home()
            if home.loop.running_here():
                home.loop.start(_insert(home.sessions, row), f"schedule {row.id} of {job_name}")
            else:
                home.loop.wait(_insert(home.sessions, row))
        else:
            self.standalone.loop.run(_insert(self.standalone.sessions, row))
        return str(row.id)

    async def aenqueue(self, job_name: str, /, *args: Any, **kwargs: Any) -> str:
        job, outgoing = self._new_job(job_name, args, kwargs, None)
        await self._write_committed(job, outgoing)
        return str(job.id)

    async def aenqueue_at(self, when: datetime, job_name: str, /, *args: Any, **kwargs: Any) -> str:
        job, outgoing = self._new_job(job_name, args, kwargs, when)
        await self._write_committed(job, outgoing)
        return str(job.id)

    async def aschedule_cron(self, cron: str, job_name: str, /, *args: Any, **kwargs: Any) -> str:
        row = self._new_schedule(cron, job_name, args, kwargs)
        transaction = open_transaction()
        if transaction is not None:
            transaction.session.add(row)
        elif self._home_serving():
            await self._home().loop.run(_insert(self._home().sessions, row))
        else:
            await asyncio.wrap_future(self.standalone.loop.submit(_insert(self.standalone.sessions, row)))
        return str(row.id)

    def _new_job(
        self, job_name: str, args: tuple[Any, ...], kwargs: dict[str, Any], when: datetime | None
    ) -> tuple[NewJob, OutgoingJob | None]:
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
        return job, outgoing

    def _new_schedule(
        self, cron: str, job_name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> ScheduleRow:
        parse_cron(cron)  # refuse a bad cron now, not in the scheduler
        check_json_arguments(job_name, args, kwargs)
        self._queue_of(job_name)  # refuse an unknown job now
        return ScheduleRow(id=uuid4(), job_name=job_name, cron=cron, args=list(args), kwargs=kwargs)

    def _write_now(self, job: NewJob, outgoing: OutgoingJob | None) -> None:
        """The plain ``.delay()``: joins the caller's transaction if one is open; else on the home loop
        (a task when called on it, waited for from other threads); else on the private loop."""
        transaction = open_transaction()
        if transaction is not None:
            self._add_to(transaction, JobRow(**job.columns()), outgoing)
        elif self._home_serving():
            home = self._home()
            if home.loop.running_here():
                home.loop.start(home.write(job, outgoing), f"{job.name} {job.id}")
            else:
                home.loop.wait(home.write(job, outgoing))
        else:
            # The row on the private loop (group commit), then the message from this thread, as fast
            # as a caller can go.
            self.standalone.loop.run(self.standalone.new_jobs.insert(job))
            if outgoing is not None:
                self.standalone.sender.send_now([outgoing])

    async def _write_committed(self, job: NewJob, outgoing: OutgoingJob | None) -> None:
        transaction = open_transaction()
        if transaction is not None:
            self._add_to(transaction, JobRow(**job.columns()), outgoing)
        elif self._home_serving():
            await self._home().loop.run(self._home().write(job, outgoing))
        else:
            await asyncio.wrap_future(self.standalone.loop.submit(self.standalone.write(job, outgoing)))

    def _home_serving(self) -> bool:
        return self.home is not None and self.home.loop.serving

    def _home(self) -> HomeWrites:
        assert self.home is not None  # checked by _home_serving
        return self.home

    def _add_to(self, transaction: OpenTransaction, row: JobRow, outgoing: OutgoingJob | None) -> None:
        # The caller's transaction: the message goes only after it commits (none on rollback).
        transaction.session.add(row)
        if outgoing is not None:
            transaction.after_commit(lambda: self._send_after_commit(outgoing))

    async def _send_after_commit(self, outgoing: OutgoingJob) -> None:
        await self._sender.send([outgoing])


async def _write(
    new_jobs: NewJobWriter, sender: JobSender, job: NewJob, outgoing: OutgoingJob | None
) -> None:
    await new_jobs.insert(job)  # committed before the message exists: the outbox order
    if outgoing is not None:
        await sender.send([outgoing])


async def _insert(sessions: async_sessionmaker[AsyncSession], row: ScheduleRow) -> None:
    async with sessions.begin() as session:
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
