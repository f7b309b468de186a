"""Reading and changing job records for the job API (web process)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.jobs.rows import JobRow, ScheduleRow
from adapters.jobs.sql import job_key
from domain.errors import Conflict, NotFound
from domain.jobs import JobRecord, JobStatus, ScheduleRecord, ensure_cancelable, ensure_retryable


class JobRecords:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def get(self, job_id: str) -> JobRecord:
        async with self._sessions() as session:
            row = await session.get(JobRow, _uuid(job_id, "job"))
        if row is None:
            raise NotFound(f"No job with id {job_id}.", code="job_not_found", details={"job_id": job_id})
        return to_job_record(row)

    async def recent(
        self, *, status: str | None, name: str | None, limit: int, offset: int
    ) -> list[JobRecord]:
        query = select(JobRow).order_by(JobRow.created_at.desc(), JobRow.id).limit(limit).offset(offset)
        if status:
            query = query.where(JobRow.status == status)
        if name:
            query = query.where(JobRow.name == name)
        async with self._sessions() as session:
            return [to_job_record(row) for row in (await session.scalars(query))]

    async def statuses(self, job_ids: Sequence[str]) -> dict[str, JobRecord]:
        ids = [key for key in map(job_key, job_ids) if key is not None]
        if not ids:
            return {}
        async with self._sessions() as session:
            rows = await session.scalars(select(JobRow).where(JobRow.id.in_(ids)))
            return {str(row.id): to_job_record(row) for row in rows}

    async def scheduled_counts(self) -> dict[str, int]:
        query = (
            select(JobRow.queue, func.count())
            .where(JobRow.status == JobStatus.SCHEDULED)
            .group_by(JobRow.queue)
        )
        async with self._sessions() as session:
            return {queue: count for queue, count in (await session.execute(query)).all()}

    async def claim_for_retry(
        self, session: AsyncSession, job_id: str
    ) -> tuple[JobRecord, JobRecord, str | None]:
        """Failed → queued, attempts reset; returns the record before and after, and the dead letter's
        Redis id."""
        row = await session.get(JobRow, _uuid(job_id, "job"), with_for_update=True)
        if row is None:
            raise NotFound(f"No job with id {job_id}.", code="job_not_found", details={"job_id": job_id})
        ensure_retryable(job_id, JobStatus(row.status))
        before = to_job_record(row)
        dead_letter_id = row.redis_message_id
        row.status, row.attempts, row.error, row.result = JobStatus.QUEUED, 0, None, None
        row.started_at = row.ended_at = None
        row.redis_message_id = None
        row.queued_at = datetime.now(UTC)
        await session.flush()
        return before, to_job_record(row), dead_letter_id

    async def cancel(self, session: AsyncSession, job_id: str) -> tuple[JobRecord, JobRecord]:
        """Scheduled or queued → canceled; returns the record before and after."""
        row = await session.get(JobRow, _uuid(job_id, "job"), with_for_update=True)
        if row is None:
            raise NotFound(f"No job with id {job_id}.", code="job_not_found", details={"job_id": job_id})
        ensure_cancelable(job_id, JobStatus(row.status))
        before = to_job_record(row)
        row.status = JobStatus.CANCELED
        row.ended_at = datetime.now(UTC)
        await session.flush()
        return before, to_job_record(row)

    async def schedules(self) -> list[ScheduleRecord]:
        async with self._sessions() as session:
            rows = await session.scalars(select(ScheduleRow).order_by(ScheduleRow.created_at))
            return [to_schedule_record(row) for row in rows]

    async def delete_schedule(self, session: AsyncSession, schedule_id: str) -> ScheduleRecord:
        row = await session.get(ScheduleRow, _uuid(schedule_id, "schedule"))
        if row is None:
            raise NotFound(
                f"No schedule with id {schedule_id}.",
                code="schedule_not_found",
                details={"schedule_id": schedule_id},
            )
        record = to_schedule_record(row)
        if record.is_system:
            raise Conflict(
                f"Schedule {schedule_id} is declared in code ({record.system_key}); change the code instead.",
                code="system_schedule",
                details={"schedule_id": schedule_id},
            )
        await session.execute(delete(ScheduleRow).where(ScheduleRow.id == row.id))
        return record


def to_job_record(row: JobRow) -> JobRecord:
    return JobRecord(
        id=str(row.id),
        name=row.name,
        queue=row.queue,
        status=JobStatus(row.status),
        args=list(row.args or []),
        kwargs=dict(row.kwargs or {}),
        attempts=row.attempts,
        result=row.result,
        error=row.error,
        created_at=row.created_at,
        scheduled_for=row.scheduled_for,
        queued_at=row.queued_at,
        started_at=row.started_at,
        ended_at=row.ended_at,
        schedule_id=str(row.schedule_id) if row.schedule_id else None,
    )


def to_schedule_record(row: ScheduleRow) -> ScheduleRecord:
    return ScheduleRecord(
        id=str(row.id),
        job_name=row.job_name,
        cron=row.cron,
        args=list(row.args or []),
        kwargs=dict(row.kwargs or {}),
        timezone=row.timezone,
        system_key=row.system_key,
        last_fired_for=row.last_fired_for,
        created_at=row.created_at,
    )


def _uuid(text: str, what: str) -> UUID:
    # An id that is not even a UUID names nothing: a plain 404, not a 400 or a 500.
    key = job_key(text)
    if key is None:
        raise NotFound(f"No {what} with id {text}.", code=f"{what}_not_found", details={f"{what}_id": text})
    return key
