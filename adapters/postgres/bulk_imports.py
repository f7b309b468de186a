"""Bulk imports on Postgres: one row per import, its uploaded file with it (``bulk_imports``, created by
``migrations/versions/0018_bulk_imports.py``), its counts updated by the import's job as it goes."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from advanced_alchemy.base import DefaultBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import BigInteger, CheckConstraint, Identity, Integer, String, Text, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from adapters.postgres.outbox_unit_of_work import RecordsUnitOfWork
from domain.bulk_imports import (
    BulkImport,
    ImportCounts,
    ImportNotFound,
    ImportRejection,
    ImportStatus,
    NewImport,
)
from domain.ports import JobQueue

if TYPE_CHECKING:
    from domain.bulk_imports import BulkImportUnitOfWork


class BulkImportRow(DefaultBase):
    __tablename__ = "bulk_imports"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status"),
        CheckConstraint("octet_length(content) <= 5242880", name="content_size"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(start=1, increment=1), primary_key=True)
    started_by: Mapped[str] = mapped_column(String(200))
    file_name: Mapped[str] = mapped_column(String(255))
    file_format: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str | None] = mapped_column(String(20), nullable=True)
    content: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10))
    total: Mapped[int] = mapped_column(Integer)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    rejections: Mapped[list[Any]] = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))


class PostgresBulkImports:
    """Satisfies ``domain.bulk_imports.BulkImports`` in a unit of work's session (never commits)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, new: NewImport, at: datetime) -> int:
        row = BulkImportRow(
            started_by=new.started_by, file_name=new.file_name, file_format=new.file_format,
            kind=new.kind, content=new.content, status=ImportStatus.QUEUED.value, total=new.total,
            created=0, updated=0, unchanged=0, rejected=0, rejections=[], created_at=at, updated_at=at,
        )  # fmt: skip
        self._session.add(row)
        await self._session.flush()
        return row.id

    async def begin(self, import_id: int, at: datetime) -> NewImport:
        row = await self._session.get(BulkImportRow, import_id, with_for_update=True)
        if row is None:
            raise ImportNotFound(f"No import with id {import_id}.", details={"import_id": import_id})
        row.status, row.error, row.updated_at, row.rejections = ImportStatus.RUNNING.value, None, at, []
        row.created = row.updated = row.unchanged = row.rejected = 0
        await self._session.flush()
        return NewImport(row.started_by, row.file_name, row.file_format, row.kind, row.content, row.total)

    async def progress(
        self, import_id: int, counts: ImportCounts, new_rejections: list[ImportRejection], at: datetime
    ) -> None:
        added = [{"at": r.at, "key": r.key, "reason": r.reason} for r in new_rejections]
        # Only the new rejections travel: appended in the database, not the whole list rewritten.
        await self._session.execute(
            update(BulkImportRow)
            .where(BulkImportRow.id == import_id)
            .values(
                created=counts.created, updated=counts.updated, unchanged=counts.unchanged,
                rejected=counts.rejected, updated_at=at,
                rejections=BulkImportRow.rejections.op("||")(_jsonb(added)),
            )
        )  # fmt: skip

    async def end(self, import_id: int, status: ImportStatus, at: datetime, error: str | None) -> None:
        await self._session.execute(
            update(BulkImportRow)
            .where(BulkImportRow.id == import_id)
            .values(status=status.value, error=error, updated_at=at)
        )


def _jsonb(value: list[dict[str, str]]) -> Any:
    from sqlalchemy import cast, literal

    return cast(literal(value, JSONB), JSONB)


class SqlAlchemyBulkImportUnitOfWork(RecordsUnitOfWork[PostgresBulkImports]):
    """The imports, the job outbox and the audit log, in one session."""

    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], *, jobs: JobQueue | None = None
    ) -> None:
        super().__init__(session_factory, PostgresBulkImports, jobs=jobs)

    @property
    def bulk_imports(self) -> PostgresBulkImports:
        return self._records()


class PostgresBulkImportReads:
    """The console's reads of the imports: each its own short transaction, never the file itself."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def get(self, import_id: int) -> BulkImport:
        async with self._sessions() as session:
            row = await session.get(BulkImportRow, import_id)
        if row is None:
            raise ImportNotFound(f"No import with id {import_id}.", details={"import_id": import_id})
        return _import(row)

    async def recent(self, *, limit: int, offset: int) -> list[BulkImport]:
        statement = select(BulkImportRow).order_by(BulkImportRow.id.desc()).limit(limit).offset(offset)
        async with self._sessions() as session:
            return [_import(row) for row in (await session.scalars(statement)).all()]


def _import(row: BulkImportRow) -> BulkImport:
    return BulkImport(
        id=row.id, started_by=row.started_by, file_name=row.file_name, file_format=row.file_format,
        kind=row.kind, status=ImportStatus(row.status), total=row.total,
        counts=ImportCounts(row.created, row.updated, row.unchanged, row.rejected),
        rejections=[ImportRejection(r["at"], r["key"], r["reason"]) for r in row.rejections],
        created_at=row.created_at, updated_at=row.updated_at, error=row.error,
    )  # fmt: skip


if TYPE_CHECKING:

    def _satisfies_the_port(uow: SqlAlchemyBulkImportUnitOfWork) -> BulkImportUnitOfWork:
        return uow
