"""The programme's unit of work on SQLAlchemy: one session, the programme's repositories over it."""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.postgres.audit import PostgresAuditLog
from adapters.postgres.notifications.messages import OutboxNotifier
from adapters.postgres.programme.allocations import PostgresAllocations
from adapters.postgres.programme.care_days import PostgresCareDays
from adapters.postgres.programme.events import EnqueueingAllocationEventPublisher
from adapters.postgres.programme.families import PostgresChildren, PostgresFamilies
from adapters.postgres.programme.providers import PostgresProviderChildLinks, PostgresProviders
from adapters.postgres.programme.rates import PostgresPaymentRates
from adapters.postgres.unit_of_work import SqlAlchemyUnitOfWork, UnitOfWorkJobs
from domain.ports import JobQueue

if TYPE_CHECKING:
    from domain.programme.ports import ProgrammeUnitOfWork


@dataclass(frozen=True, slots=True)
class _Repositories:
    families: PostgresFamilies
    children: PostgresChildren
    providers: PostgresProviders
    links: PostgresProviderChildLinks
    rates: PostgresPaymentRates
    allocations: PostgresAllocations
    care_days: PostgresCareDays
    allocation_events: EnqueueingAllocationEventPublisher
    jobs: UnitOfWorkJobs
    notifier: OutboxNotifier
    audit: PostgresAuditLog


class SqlAlchemyProgrammeUnitOfWork(SqlAlchemyUnitOfWork):
    """Satisfies ``ProgrammeUnitOfWork``. Each ``async with`` opens a new session (and transaction) with
    repositories bound to it, so the same instance can be entered again after it exits.

    Events become jobs on ``jobs``, written in the same transaction; every process that creates
    allocations (web, worker, the allocations command) passes its outbox job queue. Without one
    (reference-data scripts), publishing an event raises, so an allocation can never be created
    without its event: its transaction fails instead.
    """

    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], *, jobs: JobQueue | None = None
    ) -> None:
        super().__init__(session_factory)
        self._jobs = jobs
        self._repositories: _Repositories | None = None

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        session = self.session
        jobs = UnitOfWorkJobs(self, self._jobs)
        self._repositories = _Repositories(
            families=PostgresFamilies(session),
            children=PostgresChildren(session),
            providers=PostgresProviders(session),
            links=PostgresProviderChildLinks(session),
            rates=PostgresPaymentRates(session),
            allocations=PostgresAllocations(session),
            care_days=PostgresCareDays(session),
            allocation_events=EnqueueingAllocationEventPublisher(self, self._jobs),
            jobs=jobs,
            notifier=OutboxNotifier(session, jobs),
            audit=PostgresAuditLog(session),
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
            self._repositories = None

    @property
    def _open(self) -> _Repositories:
        if self._repositories is None:
            raise RuntimeError("the unit of work is not open; use `async with uow:`")
        return self._repositories

    @property
    def families(self) -> PostgresFamilies:
        return self._open.families

    @property
    def children(self) -> PostgresChildren:
        return self._open.children

    @property
    def providers(self) -> PostgresProviders:
        return self._open.providers

    @property
    def links(self) -> PostgresProviderChildLinks:
        return self._open.links

    @property
    def rates(self) -> PostgresPaymentRates:
        return self._open.rates

    @property
    def allocations(self) -> PostgresAllocations:
        return self._open.allocations

    @property
    def care_days(self) -> PostgresCareDays:
        return self._open.care_days

    @property
    def allocation_events(self) -> EnqueueingAllocationEventPublisher:
        return self._open.allocation_events

    @property
    def jobs(self) -> UnitOfWorkJobs:
        return self._open.jobs

    @property
    def notifier(self) -> OutboxNotifier:
        return self._open.notifier

    @property
    def audit(self) -> PostgresAuditLog:
        return self._open.audit


if TYPE_CHECKING:

    def _satisfies_the_port(uow: SqlAlchemyProgrammeUnitOfWork) -> ProgrammeUnitOfWork:
        return uow
