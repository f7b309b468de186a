"""The programme on real Postgres: an engine big enough for twenty concurrent units of work, the real
job outbox (events become job records in the allocation's transaction, messages go to the test
Redis), a fixed clock early in January 2025 (so most of the month is neither past nor locked) and
seeding helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Unpack

import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.jobs.outbox import OutboxJobQueue
from adapters.postgres.engine import build_engine, build_session_factory
from adapters.postgres.programme.unit_of_work import SqlAlchemyProgrammeUnitOfWork
from domain.programme.allocations import MonthAllocation
from domain.programme.business_time import BusinessCalendar
from domain.programme.config import ProgrammeRules
from domain.programme.families import Address, Child, Family, Guardian, GuardianType
from domain.programme.providers import Provider, ProviderType
from domain.programme.rates import PaymentRate
from domain.programme.records import UNSAVED_ID, new_reference_id
from domain.programme.statuses import ApplicationStatus
from entrypoints.jobs import job_manager
from entrypoints.jobs.context import JobContext, build_job_context, use_job_context
from entrypoints.jobs.runtime import build_job_runtime
from entrypoints.settings import Settings
from tests.fakes import FixedClock
from tests.fields import ChildFields, ProviderFields

# Wednesday 1 January 2025, 10:00 in Denver: the week of Monday 30 December is locked, so care days
# can be scheduled from Monday 6 January to Friday 31 January.
NOW = datetime(2025, 1, 1, 17, 0, tzinfo=UTC)
JANUARY = date(2025, 1, 1)
FIRST_OPEN_DAY = date(2025, 1, 6)
HALF, FULL = 4_000, 8_000


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = build_engine(database_url, pool_size=20)
    yield engine
    await engine.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return build_session_factory(engine)


@pytest.fixture
def job_queue(database_url: str, redis_url: str, redis: Redis) -> Iterator[OutboxJobQueue]:
    """The outbox every real process uses (the ``redis`` fixture empties Redis afterwards)."""
    runtime = build_job_runtime(Settings(database_url=database_url, redis_url=redis_url), job_manager)
    yield runtime.queue
    runtime.close()


UowFactory = Callable[[], SqlAlchemyProgrammeUnitOfWork]


@pytest.fixture
def new_uow(session_factory: async_sessionmaker[AsyncSession], job_queue: OutboxJobQueue) -> UowFactory:
    return lambda: SqlAlchemyProgrammeUnitOfWork(session_factory, jobs=job_queue)


@pytest.fixture
def uow(new_uow: UowFactory) -> SqlAlchemyProgrammeUnitOfWork:
    return new_uow()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def rules() -> ProgrammeRules:
    return ProgrammeRules()


@pytest.fixture
def calendar(clock: FixedClock, rules: ProgrammeRules) -> BusinessCalendar:
    return BusinessCalendar(clock, rules.business_timezone)


@pytest.fixture
async def context(
    database_url: str, redis_url: str, job_queue: OutboxJobQueue, clock: FixedClock
) -> AsyncIterator[JobContext]:
    """What the jobs run with (on the fixed clock), installed for this test."""
    settings = Settings(database_url=database_url, redis_url=redis_url)
    context = build_job_context(settings, job_queue, clock=clock)
    use_job_context(context)
    yield context
    use_job_context(None)
    await context.close()


def a_family(external_id: str | None = None) -> Family:
    return Family(
        id=new_reference_id(),
        zip_code="80202",
        household_size=3,
        yearly_income_cents=4_500_000,
        external_id=external_id,
        guardians=(
            Guardian(
                id=new_reference_id(),
                type=GuardianType.PRIMARY,
                first_name="Ana",
                last_name="Diaz",
                email="ana@example.org",
                phone_number="+13035550100",
                address=Address("1 Main St", None, "Denver", "CO", "80202"),
            ),
            Guardian(id=new_reference_id(), type=GuardianType.SECONDARY, first_name="Luis", last_name="Diaz"),
        ),
    )


def a_child(family_id: str, **fields: Unpack[ChildFields]) -> Child:
    child = Child(
        id=new_reference_id(),
        family_id=family_id,
        first_name="Sam",
        last_name="Diaz",
        date_of_birth=date(2021, 5, 4),
        status=ApplicationStatus.APPROVED,
        payment_enabled=True,
        monthly_allocation_cents=100_000,
        prorated_allocation_cents=50_000,
    )
    return replace(child, **fields)


def a_provider(**fields: Unpack[ProviderFields]) -> Provider:
    provider = Provider(id=new_reference_id(), name="Sunny Days", type=ProviderType.LICENSED_HOME_BASED)
    return replace(provider, **fields)


@dataclass(frozen=True)
class Seeded:
    family: Family
    child: Child
    provider: Provider
    rate: PaymentRate
    allocation: MonthAllocation


async def seed(
    uow: SqlAlchemyProgrammeUnitOfWork,
    *,
    allocation_cents: int = 100_000,
    rate: tuple[int, int] = (HALF, FULL),
) -> Seeded:
    """A family whose child has January's allocation and a linked provider with rates, committed."""
    family = a_family()
    child = a_child(family.id)
    provider = a_provider()
    async with uow:
        await uow.families.add(family)
        await uow.children.add(child)
        await uow.providers.add(provider)
        await uow.links.link(provider.id, child.id)
        stored_rate = await uow.rates.add(
            PaymentRate(UNSAVED_ID, provider.id, child.id, rate[0], rate[1], NOW, NOW)
        )
        allocation = await uow.allocations.add_if_absent(
            MonthAllocation(UNSAVED_ID, child.id, JANUARY, allocation_cents, NOW, NOW)
        )
        assert allocation is not None
        await uow.commit()
    return Seeded(family, child, provider, stored_rate, allocation)
