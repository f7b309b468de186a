"""The unit of work on SQLAlchemy: one session, one transaction, one explicit commit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar, Token
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

AfterCommit = Callable[[], Awaitable[None]]

# The unit of work open in this task, if any: a job enqueued while one is open joins its transaction.
_current: ContextVar[SqlAlchemyUnitOfWork | None] = ContextVar("current_unit_of_work", default=None)


def current_unit_of_work() -> SqlAlchemyUnitOfWork | None:
    return _current.get()


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
        self._token: Token[SqlAlchemyUnitOfWork | None] | None = None

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("the unit of work is not open; use `async with uow:`")
        return self._session

    async def __aenter__(self) -> Self:
        self._session = self._session_factory()
        self._after_commit = []
        self._token = _current.set(self)
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
                _current.reset(self._token)
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
