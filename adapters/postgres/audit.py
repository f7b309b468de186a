"""The audit log on Postgres: one append-only table, written in the change's own session.

``migrations/versions/0015_audit_log.py`` creates exactly this row. The table has no UPDATE or DELETE
path in the code, and a trigger refuses both in the database, so even a hand-written fix cannot rewrite
history (an entry that is wrong is answered by a later entry, never edited).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from advanced_alchemy.base import DefaultBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import BigInteger, Identity, Index, String, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from adapters.postgres.unit_of_work import SqlAlchemyUnitOfWork
from domain.audit import AuditEntry, AuditQuery


class AuditEntryRow(DefaultBase):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_record", "record_type", "record_id", "id"),
        Index("ix_audit_log_actor", "actor", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(start=1, increment=1), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    record_type: Mapped[str] = mapped_column(String(50))
    record_id: Mapped[str] = mapped_column(String(100))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)


class PostgresAuditLog:
    """Satisfies ``domain.audit.AuditLog`` inside a unit of work's session (never commits)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(self, entry: AuditEntry) -> None:
        self._session.add(
            AuditEntryRow(
                at=entry.at,
                actor=entry.actor,
                action=entry.action,
                record_type=entry.record_type,
                record_id=entry.record_id,
                before=dict(entry.before) if entry.before is not None else None,
                after=dict(entry.after) if entry.after is not None else None,
            )
        )
        await self._session.flush()


class UnitOfWorkAuditLog:
    """``domain.audit.AuditLog`` on a plain unit of work: writes in whatever session it has open."""

    def __init__(self, uow: SqlAlchemyUnitOfWork) -> None:
        self._uow = uow

    async def record(self, entry: AuditEntry) -> None:
        await PostgresAuditLog(self._uow.session).record(entry)


class PostgresAuditReads:
    """Satisfies ``domain.audit.AuditReads``: each read its own short transaction."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def entries(self, query: AuditQuery) -> list[AuditEntry]:
        statement = select(AuditEntryRow).order_by(AuditEntryRow.id.desc())
        if query.record_type is not None:
            statement = statement.where(AuditEntryRow.record_type == query.record_type)
        if query.record_id is not None:
            statement = statement.where(AuditEntryRow.record_id == query.record_id)
        if query.actor is not None:
            statement = statement.where(AuditEntryRow.actor == query.actor)
        if query.action is not None:
            statement = statement.where(AuditEntryRow.action == query.action)
        statement = statement.limit(query.limit).offset(query.offset)
        async with self._sessions() as session:
            rows = (await session.scalars(statement)).all()
        return [_entry(row) for row in rows]


def _entry(row: AuditEntryRow) -> AuditEntry:
    return AuditEntry(
        actor=row.actor,
        action=row.action,
        record_type=row.record_type,
        record_id=row.record_id,
        before=row.before,
        after=row.after,
        at=row.at,
        id=row.id,
    )
