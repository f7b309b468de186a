"""The notifications' unit of work: the message records and the job outbox, in one session."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.postgres.audit import PostgresAuditLog
from adapters.postgres.notifications.messages import PostgresMessages
from adapters.postgres.unit_of_work import SqlAlchemyUnitOfWork, UnitOfWorkJobs
from domain.ports import JobQueue

if TYPE_CHECKING:
    from domain.notifications.ports import NotificationsUnitOfWork


class SqlAlchemyNotificationsUnitOfWork(SqlAlchemyUnitOfWork):
    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], *, jobs: JobQueue | None = None
    ) -> None:
        super().__init__(session_factory)
        self._jobs = jobs
        self._open: tuple[PostgresMessages, UnitOfWorkJobs, PostgresAuditLog] | None = None

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self._open = (
            PostgresMessages(self.session),
            UnitOfWorkJobs(self, self._jobs),
            PostgresAuditLog(self.session),
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await super().__aexit__(exc_type, exc, tb)
        finally:
            self._open = None

    def _parts(self) -> tuple[PostgresMessages, UnitOfWorkJobs, PostgresAuditLog]:
        if self._open is None:
            raise RuntimeError("the unit of work is not open; use `async with uow:`")
        return self._open

    @property
    def messages(self) -> PostgresMessages:
        return self._parts()[0]

    @property
    def jobs(self) -> UnitOfWorkJobs:
        return self._parts()[1]

    @property
    def audit(self) -> PostgresAuditLog:
        return self._parts()[2]


if TYPE_CHECKING:

    def _satisfies_the_port(uow: SqlAlchemyNotificationsUnitOfWork) -> NotificationsUnitOfWork:
        return uow
