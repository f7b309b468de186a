"""Money on real Postgres: the programme's fixtures (engine for twenty concurrent units of work, the real
job outbox, a fixed clock in January 2025, seeding), plus money's unit of work, the sandbox gateway and a
job context that uses both."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.jobs.outbox import OutboxJobQueue
from adapters.postgres.money.sandbox_gateway import SandboxGateway
from adapters.postgres.money.unit_of_work import SqlAlchemyMoneyUnitOfWork
from entrypoints.jobs.context import JobContext, build_job_context, use_job_context
from entrypoints.settings import Settings
from tests.fakes import FixedClock
from tests.integration.programme import conftest as programme

# The programme's fixtures, shared.
calendar, clock, engine, rules, uow = (
    programme.calendar,
    programme.clock,
    programme.engine,
    programme.rules,
    programme.uow,
)
job_queue, new_uow, session_factory = programme.job_queue, programme.new_uow, programme.session_factory

MoneyUowFactory = Callable[[], SqlAlchemyMoneyUnitOfWork]


@pytest.fixture
def new_money_uow(
    session_factory: async_sessionmaker[AsyncSession], job_queue: OutboxJobQueue
) -> MoneyUowFactory:
    return lambda: SqlAlchemyMoneyUnitOfWork(session_factory, jobs=job_queue)


@pytest.fixture
def sandbox(session_factory: async_sessionmaker[AsyncSession]) -> SandboxGateway:
    return SandboxGateway(session_factory, programme_balance_cents=10_000_000)


@pytest.fixture
async def context(
    database_url: str, redis_url: str, job_queue: OutboxJobQueue, clock: FixedClock, sandbox: SandboxGateway
) -> AsyncIterator[JobContext]:
    """What money's jobs run with, installed for this test (the sandbox as the gateway)."""
    settings = Settings(database_url=database_url, redis_url=redis_url)
    context = build_job_context(settings, job_queue, clock=clock)
    context.payment_gateway = SandboxGateway(context.session_factory, programme_balance_cents=10_000_000)
    use_job_context(context)
    yield context
    use_job_context(None)
    await context.close()
