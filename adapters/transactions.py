"""The transaction open in this task, so one adapter package can join it without importing another.

The unit of work (``adapters/postgres``) opens and leaves it; the job outbox (``adapters/jobs``) writes a
job's row into it and sends the message after it commits. That is how ``.delay()`` inside
``async with uow:`` joins the caller's transaction, as the README documents; use cases say so
explicitly through ``uow.jobs``, which refuses to enqueue anywhere but in its own block.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar, Token
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

AfterCommit = Callable[[], Awaitable[None]]


class OpenTransaction(Protocol):
    @property
    def session(self) -> AsyncSession: ...

    def after_commit(self, callback: AfterCommit) -> None:
        """Run ``callback`` once the transaction has committed; never if it rolls back."""


_open: ContextVar[OpenTransaction | None] = ContextVar("open_transaction", default=None)


def open_transaction() -> OpenTransaction | None:
    return _open.get()


def enter_transaction(transaction: OpenTransaction) -> Token[OpenTransaction | None]:
    return _open.set(transaction)


def leave_transaction(token: Token[OpenTransaction | None]) -> None:
    _open.reset(token)
