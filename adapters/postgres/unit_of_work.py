"""The unit of work on SQLAlchemy: one session, one transaction, one explicit commit."""

from __future__ import annotations

from contextvars import Token
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.transactions import (
    AfterCommit,
    OpenTransaction,
    enter_transaction,
    leave_transaction,
    open_transaction,
)
from domain.ports import JobQueue


def current_unit_of_work() -> SqlAlchemyUnitOfWork | None:
    """The unit of work open in this task, if any: a job enqueued while one is open joins its transaction."""
    transaction = open_transaction()
    return transaction if isinstance(transaction, SqlAlchemyUnitOfWork) else None


class SqlAlchemyUnitOfWork:
    """Satisfies ``domain.ports.UnitOfWork``.

    Repositories built on :attr:`session` never commit. Work that must only happen once the
    transaction is durable (sending job messages, say) is registered with :meth:`after_commit`
    and is dropped on rollback, so a request that failed never triggers it.
    """

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        self._session: AsyncSession | None = None
        self._after_commit: list[AfterCommit] = []
        self._token: Token[OpenTransaction | None] | None = None

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("the unit of work is not open; use `async with uow:`")
        return self._session

    async def __aenter__(self) -> Self:
        self._session = self._session_factory()
        self._after_commit = []
        self._token = enter_transaction(self)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.rollback()
        finally:
            await self.session.close()
            self._session = None
            if self._token is not None:
                leave_transaction(self._token)
                self._token = None

    def after_commit(self, callback: AfterCommit) -> None:
        self._after_commit.append(callback)

    async def commit(self) -> None:
        await self.session.commit()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            await callback()

    async def rollback(self) -> None:
        self._after_commit = []
        await self.session.rollback()


class UnitOfWorkJobs:
    """Satisfies ``domain.ports.TransactionJobs`` for one open unit of work.

    The outbox queue writes the job's row into whichever unit of work is open in this task and sends
    the message after its commit; this adapter makes joining *this* transaction structural by
    refusing to enqueue from anywhere else (another task, or after the block has exited).
    """

    def __init__(self, uow: SqlAlchemyUnitOfWork, queue: JobQueue | None) -> None:
        self._uow = uow
        self._queue = queue

    def _joined_queue(self) -> JobQueue:
        if self._queue is None:
            raise RuntimeError("this unit of work has no job queue, so it cannot ask for background work")
        if current_unit_of_work() is not self._uow:
            raise RuntimeError("uow.jobs must be used inside its own `async with uow:` block")
        return self._queue

    async def enqueue(self, job_name: str, /, *args: Any, **kwargs: Any) -> str:
        return self._joined_queue().enqueue(job_name, *args, **kwargs)

    async def enqueue_at(self, when: datetime, job_name: str, /, *args: Any, **kwargs: Any) -> str:
        return self._joined_queue().enqueue_at(when, job_name, *args, **kwargs)

    async def schedule_cron(self, cron: str, job_name: str, /, *args: Any, **kwargs: Any) -> str:
        return self._joined_queue().schedule_cron(cron, job_name, *args, **kwargs)
