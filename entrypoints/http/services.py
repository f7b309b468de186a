"""What the web process is built from: adapters made from settings, closed on shutdown."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import InitVar, dataclass, field
from typing import Any

from litestar.connection import ASGIConnection
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.clock import SystemClock
from adapters.jobs.admin import JobAdmin
from adapters.jobs.queue_overview import QueueOverviews
from adapters.jobs.queue_reader import QueueReader
from adapters.jobs.records import JobRecords
from adapters.postgres.accounts import RawSignInAccounts
from adapters.postgres.attendance import SqlAlchemyAttendanceUnitOfWork
from adapters.postgres.audit import PostgresAuditLog, PostgresAuditReads
from adapters.postgres.engine import autocommit, build_engine, build_session_factory
from adapters.postgres.health import PostgresProbe
from adapters.postgres.money.flag_reads import RawPaymentFlagReads
from adapters.postgres.money.history import RawPaymentHistoryReads
from adapters.postgres.money.unit_of_work import SqlAlchemyMoneyUnitOfWork
from adapters.postgres.notifications.unit_of_work import SqlAlchemyNotificationsUnitOfWork
from adapters.postgres.programme.care_day_writes import RawCareDayUnitOfWork
from adapters.postgres.programme.home_reads import RawFamilyHomeReads, RawProviderHomeReads
from adapters.postgres.programme.month_reads import RawChildMonthReads
from adapters.postgres.programme.unit_of_work import SqlAlchemyProgrammeUnitOfWork
from adapters.postgres.raw_pool import RawPool
from adapters.postgres.staff_reads import RawStaffReads
from adapters.postgres.unit_of_work import SqlAlchemyUnitOfWork
from adapters.redis.client import RedisProbe, build_redis
from domain.health import HealthReport, check_health
from domain.money.payments import PaymentRules
from domain.money.ports import PaymentGateway
from domain.ports import Clock, DependencyProbe, JobQueue
from domain.programme.business_time import BusinessCalendar
from domain.programme.config import ProgrammeRules
from entrypoints.http.identity_services import IdentityServices, build_identity_services
from entrypoints.http.single_flight import SingleFlight
from entrypoints.jobs import job_manager
from entrypoints.jobs.runtime import WebJobRuntime, build_web_job_runtime
from entrypoints.payments import build_gateway
from entrypoints.settings import Settings

HEALTH_TIMEOUT_SECONDS = 2.0


@dataclass
class WebServices:
    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    redis: Redis
    identity: IdentityServices
    jobs: WebJobRuntime
    job_admin: JobAdmin
    # Plain asyncpg for the fixed reads of the operator API, in this process's own event loop.
    raw_pool: RawPool
    # Tests swap in a fixed clock (``replace(services, clock=...)`` in a services factory).
    clock: Clock = field(default_factory=SystemClock)
    rules: ProgrammeRules = field(default_factory=ProgrammeRules)
    # None: the one PAYMENT_GATEWAY names, built on first use (only setting up a card or ACH needs it).
    payment_gateway: PaymentGateway | None = None
    health_timeout_seconds: InitVar[float] = HEALTH_TIMEOUT_SECONDS
    probes: Sequence[DependencyProbe] = field(init=False)
    _health: SingleFlight[HealthReport] = field(init=False, repr=False)
    # The account lookup every signed-in request makes, outside any transaction.
    sign_in_accounts: RawSignInAccounts = field(init=False, repr=False)
    _read_sessions: async_sessionmaker[AsyncSession] = field(init=False, repr=False)

    def __post_init__(self, health_timeout_seconds: float) -> None:
        self.sign_in_accounts = RawSignInAccounts(self.raw_pool)
        self._read_sessions = build_session_factory(autocommit(self.engine))
        self.probes = (PostgresProbe(self.engine), RedisProbe(self.redis))
        # Concurrent /health requests share one round of probes (never one that began before
        # them), so a burst of load-balancer probes costs one round-trip per dependency.
        self._health = SingleFlight(lambda: check_health(self.probes, health_timeout_seconds))

    async def check_health(self) -> HealthReport:
        return await self._health()

    @property
    def payment_rules(self) -> PaymentRules:
        return self.settings.payment_rules()

    @property
    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar(self.clock, self.rules.business_timezone)

    def unit_of_work(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self.session_factory)

    def programme_unit_of_work(self) -> SqlAlchemyProgrammeUnitOfWork:
        # Allocation events become jobs in the allocation's transaction, through this process's outbox.
        return SqlAlchemyProgrammeUnitOfWork(self.session_factory, jobs=self.job_queue)

    def programme_reads(self) -> SqlAlchemyProgrammeUnitOfWork:
        """For requests that only read: every statement is its own transaction, which saves the
        BEGIN and ROLLBACK round trips. It gives up nothing: at READ COMMITTED each statement of a
        transaction takes its own snapshot anyway. It has no job queue, so a write that would
        publish an event fails loudly instead of committing half of itself."""
        return SqlAlchemyProgrammeUnitOfWork(self._read_sessions)

    def month_reads(self) -> RawChildMonthReads:
        """A child's month on plain asyncpg (the family's hottest page; see its module)."""
        return RawChildMonthReads(self.raw_pool)

    def care_day_unit_of_work(self) -> RawCareDayUnitOfWork:
        """Scheduling, changing and removing care days on plain asyncpg (see its module)."""
        return RawCareDayUnitOfWork(self.raw_pool)

    def family_home_reads(self) -> RawFamilyHomeReads:
        """The family's home page on plain asyncpg (read on every visit; see its module)."""
        return RawFamilyHomeReads(self.raw_pool)

    def provider_home_reads(self) -> RawProviderHomeReads:
        return RawProviderHomeReads(self.raw_pool)

    def payment_flag_reads(self) -> RawPaymentFlagReads:
        """What the home pages say about money, on plain asyncpg."""
        return RawPaymentFlagReads(self.raw_pool)

    def payment_history_reads(self) -> RawPaymentHistoryReads:
        """The payment history pages on plain asyncpg (two fixed statements)."""
        return RawPaymentHistoryReads(self.raw_pool)

    def money_unit_of_work(self) -> SqlAlchemyMoneyUnitOfWork:
        return SqlAlchemyMoneyUnitOfWork(self.session_factory, jobs=self.job_queue)

    def attendance_unit_of_work(self) -> SqlAlchemyAttendanceUnitOfWork:
        return SqlAlchemyAttendanceUnitOfWork(self.session_factory, jobs=self.job_queue)

    def attendance_reads(self) -> SqlAlchemyAttendanceUnitOfWork:
        """Attendance's records for requests that only read (see ``programme_reads``)."""
        return SqlAlchemyAttendanceUnitOfWork(self._read_sessions)

    def money_reads(self) -> SqlAlchemyMoneyUnitOfWork:
        """Money's records for requests that only read (see ``programme_reads``)."""
        return SqlAlchemyMoneyUnitOfWork(self._read_sessions)

    def notifications_unit_of_work(self) -> SqlAlchemyNotificationsUnitOfWork:
        """The messages and their batches, the job outbox and the audit log in one transaction (a
        staff run asks for its job and writes its entry together)."""
        return SqlAlchemyNotificationsUnitOfWork(self.session_factory, jobs=self.job_queue)

    def staff_reads(self) -> RawStaffReads:
        """The console's search, family page and failed payments (see its module)."""
        return RawStaffReads(self.raw_pool)

    def audit_reads(self) -> PostgresAuditReads:
        return PostgresAuditReads(self._read_sessions)

    @property
    def gateway(self) -> PaymentGateway:
        if self.payment_gateway is None:
            self.payment_gateway = build_gateway(self.settings, self.session_factory)
        return self.payment_gateway

    @property
    def job_queue(self) -> JobQueue:
        return self.jobs.queue

    async def close(self) -> None:
        await self.identity.close()
        close_gateway = getattr(self.payment_gateway, "close", None)
        if close_gateway is not None:
            await close_gateway()
        await self.jobs.close()
        await self.redis.aclose()
        await self.raw_pool.close()
        await self.engine.dispose()


def services_of(connection: ASGIConnection[Any, Any, Any, Any]) -> WebServices:
    """The process's services, which ``create_app`` put on the app's state."""
    services: WebServices = connection.app.state.services
    return services


def build_web_services(settings: Settings) -> WebServices:
    engine = build_engine(
        settings.require_database_url(),
        pool_size=settings.database_pool_size,
        connect_timeout=settings.database_connect_timeout_seconds,
    )
    session_factory = build_session_factory(engine)
    redis = build_redis(settings.require_redis_url(), timeout=settings.redis_timeout_seconds)
    # Short point reads (queue-info, the month view, the home pages, sign-in) and the care-day writes'
    # transactions, each a few hundred µs to a millisecond or two; every connection counts against
    # Postgres, so half the ORM pool serves them.
    raw_pool = RawPool(
        settings.require_database_url(),
        size=max(5, settings.database_pool_size // 2),
        connect_timeout=settings.database_connect_timeout_seconds,
    )
    # A request's jobs join its transaction; their messages go after the commit on this loop, as do
    # the rows and messages of a `.delay()` outside a unit of work (on this pool, once started).
    jobs = build_web_job_runtime(settings, job_manager, pool=raw_pool, sessions=session_factory)
    job_manager.use(jobs.queue)  # `.delay()` in this process writes through this outbox
    return WebServices(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        redis=redis,
        raw_pool=raw_pool,
        identity=build_identity_services(settings),
        rules=settings.programme_rules(),
        jobs=jobs,
        job_admin=JobAdmin(
            records=JobRecords(session_factory),
            session_factory=session_factory,
            sender=jobs.sender,
            queue_names=job_manager.queue_names,
            reader=QueueReader(redis),
            overviews=QueueOverviews(raw_pool),
            audit_log=PostgresAuditLog,
        ),
    )
