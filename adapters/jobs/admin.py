"""The operators' job operations (retry, cancel, queue info), on the records and on Redis."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.jobs.async_sender import AsyncJobSender
from adapters.jobs.dispatch_store import OutgoingJob
from adapters.jobs.messages import QueueCounts
from adapters.jobs.queue_overview import JobSummary, QueueOverviews
from adapters.jobs.queue_reader import QueueReader
from adapters.jobs.records import JobRecords
from domain.jobs import JobRecord, ScheduleRecord

logger = logging.getLogger("cap_portal.jobs")


@dataclass(frozen=True, slots=True)
class QueuedJob:
    id: str
    func_name: str
    created_at_ms: int
    record: JobSummary | None


@dataclass(frozen=True, slots=True)
class QueueInfo:
    counts: QueueCounts
    scheduled: int
    jobs: list[QueuedJob]


class JobAdmin:
    def __init__(
        self,
        *,
        records: JobRecords,
        session_factory: async_sessionmaker[AsyncSession],
        sender: AsyncJobSender,
        queue_names: Callable[[], list[str]],
        reader: QueueReader,
        overviews: QueueOverviews,
    ) -> None:
        self.records = records
        self._reader = reader
        self._overviews = overviews
        self._sessions = session_factory
        self._sender = sender
        self._queue_names = queue_names

    async def retry(self, job_id: str) -> JobRecord:
        """A failed job runs again under the same id, attempts reset, its dead letter removed."""
        async with self._sessions.begin() as session:
            record, dead_letter_id = await self.records.claim_for_retry(session, job_id)
        # Committed: the message goes now, on this loop (a failed send leaves the row queued for the
        # relay). The old copy in the dead letters goes first, best effort: the relay never looks there.
        if dead_letter_id:
            try:
                await self._sender.remove_dead_letter(record.queue, dead_letter_id)
            except Exception as exc:  # noqa: BLE001 - a stale dead letter is harmless; the job is retried
                logger.warning("dead letter not removed", extra={"job_id": record.id, "reason": repr(exc)})
        job = OutgoingJob(record.id, record.name, record.queue, record.args, record.kwargs)
        await self._sender.send([job])
        return record

    async def cancel(self, job_id: str) -> JobRecord:
        """A scheduled or queued job will not run: the scheduler and the worker both skip it."""
        async with self._sessions.begin() as session:
            return await self.records.cancel(session, job_id)

    async def delete_schedule(self, schedule_id: str) -> ScheduleRecord:
        async with self._sessions.begin() as session:
            return await self.records.delete_schedule(session, schedule_id)

    async def queue_info(self, *, limit: int, offset: int) -> list[QueueInfo]:
        """One Redis round trip and one Postgres round trip, whatever the queues hold."""
        queues = await self._reader.read(self._queue_names(), offset=offset, limit=limit)
        overview = await self._overviews.read([m.job_id for _, waiting in queues for m in waiting])
        return [
            QueueInfo(
                counts,
                overview.scheduled.get(counts.name, 0),
                [QueuedJob(m.job_id, m.name, m.enqueued_at_ms, overview.jobs.get(m.job_id)) for m in waiting],
            )
            for counts, waiting in queues
        ]
