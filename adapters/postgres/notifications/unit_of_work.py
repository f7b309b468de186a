"""The notifications' unit of work: the message records and the job outbox, in one session."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.postgres.notifications.messages import PostgresMessages
from adapters.postgres.outbox_unit_of_work import RecordsUnitOfWork
from domain.ports import JobQueue

if TYPE_CHECKING:
    from domain.notifications.ports import NotificationsUnitOfWork


class SqlAlchemyNotificationsUnitOfWork(RecordsUnitOfWork[PostgresMessages]):
    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], *, jobs: JobQueue | None = None
    ) -> None:
        super().__init__(session_factory, PostgresMessages, jobs=jobs)

    @property
    def messages(self) -> PostgresMessages:
        return self._records()


if TYPE_CHECKING:

    def _satisfies_the_port(uow: SqlAlchemyNotificationsUnitOfWork) -> NotificationsUnitOfWork:
        return uow
