"""Ports: the small interfaces the domain needs from the outside world.

Adapters satisfy them structurally; tests use the hand-written fakes in tests/fakes.py.
"""

from __future__ import annotations

from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self


class Clock(Protocol):
    """Where "now" comes from, so that rules about today, months and lock times are testable."""

    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...


class UnitOfWork(Protocol):
    """One business transaction: ``async with uow: ...; await uow.commit()``.

    Leaving the block without ``commit()`` rolls everything back; repositories never commit.
    """

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


class DependencyProbe(Protocol):
    """Answers whether one dependency (the database, Redis, ...) is reachable right now."""

    name: str

    async def check(self) -> None:
        """Return when the dependency answers; raise any exception when it does not."""
        ...


class JobQueue(Protocol):
    """Background work, asked for by job name so the domain never imports the job functions.

    Inside an open unit of work the job joins that transaction: it exists, and runs, only if the
    transaction commits. Arguments must be JSON-serialisable; anything else is refused here.
    Each method returns the new job's (or schedule's) id.
    """

    def enqueue(self, job_name: str, /, *args: Any, **kwargs: Any) -> str:
        """Run the job as soon as a worker is free."""
        ...

    def enqueue_at(self, when: datetime, job_name: str, /, *args: Any, **kwargs: Any) -> str:
        """Run the job at ``when`` (timezone-aware), or as soon after as possible; never dropped."""
        ...

    def schedule_cron(self, cron: str, job_name: str, /, *args: Any, **kwargs: Any) -> str:
        """Run the job on a standard 5-field cron, in the business timezone; persists across restarts."""
        ...


class TransactionJobs(Protocol):
    """Background work asked for by a use case inside its open unit of work (``uow.jobs``).

    The job's record is written in the unit of work's transaction and its message is sent only after
    the commit: a job asked for by a transaction that rolls back never exists and never runs. Asking
    outside ``async with uow:`` raises. Arguments must be JSON-serialisable (``JobArgumentsError``
    otherwise). Each method returns the new job's (or schedule's) id.
    """

    async def enqueue(self, job_name: str, /, *args: Any, **kwargs: Any) -> str:
        """Run the job as soon as a worker is free after the commit."""
        ...

    async def enqueue_at(self, when: datetime, job_name: str, /, *args: Any, **kwargs: Any) -> str:
        """Run the job at ``when`` (timezone-aware), or as soon after as possible; never dropped."""
        ...

    async def schedule_cron(self, cron: str, job_name: str, /, *args: Any, **kwargs: Any) -> str:
        """Run the job on a standard 5-field cron, in the business timezone; persists across restarts."""
        ...
