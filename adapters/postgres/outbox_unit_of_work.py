"""A unit of work holding one store of records beside the job outbox and the audit log, all three on
its one session: what the notifications and the bulk imports each need, so a change, the job it asks
for and its audit entry commit together or not at all."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Generic, Self, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.postgres.audit import PostgresAuditLog
from adapters.postgres.unit_of_work import SqlAlchemyUnitOfWork, UnitOfWorkJobs
from domain.ports import JobQueue

Records = TypeVar("Records")


class RecordsUnitOfWork(SqlAlchemyUnitOfWork, Generic[Records]):
    """``records``: builds the store on the open session (the subclass names it for its port)."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        records: Callable[[AsyncSession], Records],
        *,
        jobs: JobQueue | None = None,
    ) -> None:
        super().__init__(session_factory)
        self._build_records = records
        self._jobs = jobs
        self._open: tuple[Records, UnitOfWorkJobs, PostgresAuditLog] | None = None

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self._open = (
            self._build_records(self.session),
            UnitOfWorkJobs(self, self._jobs),
            PostgresAuditLog(self.session),
        )
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            await super().__aexit__(exc_type, exc, tb)
        finally:
            self._open = None

    def _parts(self) -> tuple[Records, UnitOfWorkJobs, PostgresAuditLog]:
        if self._open is None:
            raise RuntimeError("the unit of work is not open; use `async with uow:`")
        return self._open

    def _records(self) -> Records:
        return self._parts()[0]

    @property
    def jobs(self) -> UnitOfWorkJobs:
        return self._parts()[1]

    @property
    def audit(self) -> PostgresAuditLog:
        return self._parts()[2]
