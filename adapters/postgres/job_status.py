"""The worker's status transitions, one short transaction each.

Each is a single conditional UPDATE, so a duplicate delivery or a late hook can never move a
job backwards (a canceled job stays canceled, a finished one stays finished).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.postgres.job_rows import JobRow
from domain.jobs import JobStatus


@dataclass(frozen=True, slots=True)
class StartedJob:
    name: str
    attempt: int


class JobStatusRecorder:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def start(self, job_id: str) -> StartedJob | None:
        """Mark the job started and count the attempt; None when it must not run (domain ``may_run``)."""
        now = datetime.now(UTC)
        statement = (
            _active(job_id)
            .values(
                status=JobStatus.STARTED,
                attempts=JobRow.attempts + 1,
                started_at=now,
                ended_at=None,
                updated_at=now,
            )
            .returning(JobRow.name, JobRow.attempts)
        )
        row = await self._write(statement, returning=True)
        return StartedJob(name=row[0], attempt=row[1]) if row else None

    async def finish(self, job_id: str, result: Any) -> None:
        now = datetime.now(UTC)
        await self._write(
            _active(job_id).values(
                status=JobStatus.FINISHED, result=result, error=None, ended_at=now, updated_at=now
            )
        )

    async def fail(self, job_id: str, error: str, *, final: bool) -> None:
        """Record a failed attempt: ``failed`` when no retry follows, else back to ``queued``."""
        now = datetime.now(UTC)
        if final:
            values: dict[str, Any] = {"status": JobStatus.FAILED, "ended_at": now}
        else:
            values = {"status": JobStatus.QUEUED}
        await self._write(_active(job_id).values(error=error, updated_at=now, **values))

    async def retry_enqueued(self, job_id: str, redis_message_id: str, eta: datetime | None) -> None:
        """A retry (or its move out of the delay queue) now sits in Redis under a new id."""
        now = datetime.now(UTC)
        await self._write(
            _active(job_id).values(
                status=JobStatus.QUEUED,
                redis_message_id=redis_message_id,
                scheduled_for=eta,
                queued_at=now,
                updated_at=now,
            )
        )

    async def dead_lettered(self, job_id: str, redis_message_id: str) -> None:
        """Dramatiq gave up on the message (retries exhausted, unknown job, ...): it is failed."""
        now = datetime.now(UTC)
        await self._write(
            _active(job_id).values(
                status=JobStatus.FAILED, redis_message_id=redis_message_id, ended_at=now, updated_at=now
            )
        )

    async def _write(self, statement: Any, *, returning: bool = False) -> Any:
        async with self._sessions.begin() as session:
            result = await session.execute(statement)
            return result.first() if returning else None


def _active(job_id: str) -> Any:
    # Finished and canceled are final (domain.jobs.may_run): nothing a worker does changes them.
    return update(JobRow).where(
        JobRow.id == UUID(job_id), JobRow.status.not_in((JobStatus.CANCELED, JobStatus.FINISHED))
    )
