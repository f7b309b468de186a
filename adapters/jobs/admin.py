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
from domain.audit import AuditLog, AuditStamp
from domain.jobs import JobRecord, ScheduleRecord, job_snapshot, schedule_snapshot

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
        # The audit log in a session of ours (adapters/postgres/audit.py; packages of adapters never
        # import each other, so the process's wiring passes it in).
        audit_log: Callable[[AsyncSession], AuditLog] | None = None,
    ) -> None:
        self._audit_log = audit_log
        self.records = records
        self._reader = reader
        self._overviews = overviews
        self._sessions = session_factory
        self._sender = sender
        self._queue_names = queue_names

    async def retry(self, job_id: str, *, audit: AuditStamp | None = None) -> JobRecord:
        """A failed job runs again under the same id, attempts reset, its dead letter removed.

        With ``audit`` (an operator's retry) the audit entry is written in the claim's transaction."""
        async with self._sessions.begin() as session:
            before, record, dead_letter_id = await self.records.claim_for_retry(session, job_id)
            if audit is not None:
                await self._audited(session, audit, "job.retried", before, record)
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

    async def cancel(self, job_id: str, *, audit: AuditStamp | None = None) -> JobRecord:
        """A scheduled or queued job will not run: the scheduler and the worker both skip it."""
        async with self._sessions.begin() as session:
            before, record = await self.records.cancel(session, job_id)
            if audit is not None:
                await self._audited(session, audit, "job.canceled", before, record)
        return record

    async def _audited(
        self, session: AsyncSession, audit: AuditStamp, action: str, before: JobRecord, after: JobRecord
    ) -> None:
        entry = audit.entry(action, "job", after.id, job_snapshot(before), job_snapshot(after))
        await self._log(session).record(entry)

    def _log(self, session: AsyncSession) -> AuditLog:
        if self._audit_log is None:
            raise RuntimeError("JobAdmin was built without an audit log; an audited change needs one")
        return self._audit_log(session)

    async def delete_schedule(self, schedule_id: str, *, audit: AuditStamp | None = None) -> ScheduleRecord:
        """With ``audit`` the schedule as it was is written to the audit log in the delete's transaction."""
        async with self._sessions.begin() as session:
            record = await self.records.delete_schedule(session, schedule_id)
            if audit is not None:
                before = schedule_snapshot(record)
                entry = audit.entry("schedule.deleted", "schedule", record.id, before, None)
                await self._log(session).record(entry)
        return record

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
