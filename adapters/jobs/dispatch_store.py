"""The scheduler's reads and claims: due jobs, cron firings, the outbox relay, system schedules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid5

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.jobs.records import to_schedule_record
from adapters.jobs.rows import JobRow, ScheduleRow
from domain.jobs import JobStatus, ScheduleRecord


@dataclass(frozen=True, slots=True)
class OutgoingJob:
    """A job whose message must be sent now."""

    id: str
    name: str
    queue: str
    args: list[Any]
    kwargs: dict[str, Any]
    redis_message_id: str | None = None


@dataclass(frozen=True, slots=True)
class DeclaredSchedule:
    key: str
    job_name: str
    cron: str
    timezone: str | None = None


def firing_id(schedule_id: str, tick: datetime) -> str:
    """One job id per (schedule, tick): a second firing of the same tick inserts nothing."""
    return str(uuid5(UUID(schedule_id), tick.astimezone(UTC).isoformat()))


class JobDispatchStore:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def scheduled_before(self, horizon: datetime, limit: int) -> list[tuple[str, datetime]]:
        query = (
            select(JobRow.id, JobRow.scheduled_for)
            .where(JobRow.status == JobStatus.SCHEDULED, JobRow.scheduled_for <= horizon)
            .order_by(JobRow.scheduled_for)
            .limit(limit)
        )
        async with self._sessions() as session:
            return [(str(i), when) for i, when in (await session.execute(query)).all() if when]

    async def claim_due(self, now: datetime, limit: int) -> list[OutgoingJob]:
        """Scheduled → queued for every job due by ``now``; SKIP LOCKED lets two claimers share."""
        due = (
            select(JobRow.id)
            .where(JobRow.status == JobStatus.SCHEDULED, JobRow.scheduled_for <= now)
            .order_by(JobRow.scheduled_for)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        statement = (
            update(JobRow)
            .where(JobRow.id.in_(due.scalar_subquery()))
            .values(status=JobStatus.QUEUED, queued_at=now, updated_at=now)
            .returning(JobRow.id, JobRow.name, JobRow.queue, JobRow.args, JobRow.kwargs)
        )
        async with self._sessions.begin() as session:
            return [_outgoing(row) for row in (await session.execute(statement)).all()]

    async def fire(self, schedule: ScheduleRecord, tick: datetime, queue: str) -> OutgoingJob | None:
        """Insert the job of one cron tick; None if this tick has already fired (another replica)."""
        now = datetime.now(UTC)
        job_id = firing_id(schedule.id, tick)
        values = {
            "id": UUID(job_id),
            "name": schedule.job_name,
            "queue": queue,
            "args": schedule.args,
            "kwargs": schedule.kwargs,
            "status": JobStatus.QUEUED,
            "attempts": 0,
            "scheduled_for": tick,
            "queued_at": now,
            "schedule_id": UUID(schedule.id),
            "created_at": now,
            "updated_at": now,
        }
        statement = insert(JobRow).values(values).on_conflict_do_nothing(index_elements=["id"])
        async with self._sessions.begin() as session:
            inserted = (await session.execute(statement.returning(JobRow.id))).first()
            await session.execute(
                update(ScheduleRow).where(ScheduleRow.id == UUID(schedule.id)).values(last_fired_for=tick)
            )
        if inserted is None:
            return None
        return OutgoingJob(job_id, schedule.job_name, queue, schedule.args, schedule.kwargs)

    async def unsent_candidates(self, older_than: datetime, limit: int) -> list[OutgoingJob]:
        """Queued jobs untouched for a while: the relay checks whether Redis has their message."""
        query = (
            select(JobRow.id, JobRow.name, JobRow.queue, JobRow.args, JobRow.kwargs, JobRow.redis_message_id)
            .where(JobRow.status == JobStatus.QUEUED, JobRow.updated_at < older_than)
            .order_by(JobRow.updated_at)
            .limit(limit)
        )
        async with self._sessions() as session:
            return [_outgoing(row) for row in (await session.execute(query)).all()]

    async def mark_checked(self, job_ids: Sequence[str], *, resent: Sequence[str]) -> None:
        """Touch checked jobs so the relay looks again only after another quiet period."""
        now = datetime.now(UTC)
        async with self._sessions.begin() as session:
            await session.execute(
                update(JobRow)
                .where(JobRow.id.in_([UUID(i) for i in job_ids]), JobRow.status == JobStatus.QUEUED)
                .values(updated_at=now)
            )
            if resent:
                await session.execute(
                    update(JobRow)
                    .where(JobRow.id.in_([UUID(i) for i in resent]), JobRow.status == JobStatus.QUEUED)
                    .values(redis_message_id=None, queued_at=now)
                )

    async def schedules(self) -> list[ScheduleRecord]:
        async with self._sessions() as session:
            rows = await session.scalars(select(ScheduleRow).where(ScheduleRow.enabled.is_(True)))
            return [to_schedule_record(row) for row in rows]

    async def sync_system_schedules(self, declared: Sequence[DeclaredSchedule]) -> None:
        """Upsert what the code declares and remove system schedules it no longer declares."""
        now = datetime.now(UTC)
        async with self._sessions.begin() as session:
            for item in declared:
                values = {"job_name": item.job_name, "cron": item.cron, "timezone": item.timezone}
                statement = insert(ScheduleRow).values(
                    system_key=item.key, args=[], kwargs={}, enabled=True, created_at=now, updated_at=now,
                    id=uuid5(UUID(int=0), f"system:{item.key}"), **values,
                )  # fmt: skip
                await session.execute(
                    statement.on_conflict_do_update(index_elements=["system_key"], set_=values)
                )
            keys = [item.key for item in declared]
            await session.execute(
                delete(ScheduleRow).where(
                    ScheduleRow.system_key.is_not(None), ScheduleRow.system_key.not_in(keys)
                )
            )


def _outgoing(row: Any) -> OutgoingJob:
    return OutgoingJob(
        str(row[0]), row[1], row[2], list(row[3] or []), dict(row[4] or {}), row[5] if len(row) > 5 else None
    )
