"""The job records: one ``jobs`` row per job (the system of record and the outbox) and one
``schedules`` row per cron schedule. Rows stay in this adapter; callers see plain dicts/values."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.base import UUIDAuditBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

# The scheduler LISTENs here; triggers in the migration notify on every change it must see.
SCHEDULE_CHANNEL = "cap_jobs_schedule"


class JobRow(UUIDAuditBase):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_status_scheduled_for", "status", "scheduled_for"),
        Index("ix_jobs_status_updated_at", "status", "updated_at"),
        Index("ix_jobs_created_at", "created_at"),
        Index("ix_jobs_name_created_at", "name", "created_at"),
    )

    name: Mapped[str] = mapped_column(String(200))
    queue: Mapped[str] = mapped_column(String(100))
    args: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[Any | None] = mapped_column(JSONB, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    scheduled_for: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    queued_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    schedule_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("schedules.id", ondelete="SET NULL"), nullable=True
    )
    # The id Redis knows the message by when it is not the job id (a retry in backoff, a dead
    # letter): the relay and the retry endpoint look the message up with it.
    redis_message_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class ScheduleRow(UUIDAuditBase):
    __tablename__ = "schedules"

    job_name: Mapped[str] = mapped_column(String(200))
    cron: Mapped[str] = mapped_column(String(120))
    args: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Declared in code (upserted at scheduler boot, removed when no longer declared), keyed by name.
    system_key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_fired_for: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
