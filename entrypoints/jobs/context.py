"""What the programme's jobs and commands work with: database, job queue, directory, clock and rules.

The web process has ``WebServices``; jobs (in the worker) and the ``allocations`` command have this.
A process's composition root builds one from its settings (the worker hands in the recipe and the
first job builds it, inside the event loop its async jobs run on, so the engine's connections belong
to that loop); nothing here reads the environment. Tests build their own, with a fixed clock, and
install it with :func:`use_job_context`, the same way ``job_manager.use`` sets the queue: nothing is
patched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.clerk.backend_api import ClerkBackendDirectory, DirectoryNotConfigured
from adapters.clerk.dev_directory import DevDirectory
from adapters.clerk.dev_keys import DEV_ISSUER
from adapters.clock import SystemClock
from adapters.postgres.attendance import SqlAlchemyAttendanceUnitOfWork
from adapters.postgres.engine import build_engine, build_session_factory
from adapters.postgres.invitations import SqlAlchemyInvitationsUnitOfWork
from adapters.postgres.money.unit_of_work import SqlAlchemyMoneyUnitOfWork
from adapters.postgres.notifications.unit_of_work import SqlAlchemyNotificationsUnitOfWork
from adapters.postgres.programme.unit_of_work import SqlAlchemyProgrammeUnitOfWork
from adapters.postgres.unit_of_work import SqlAlchemyUnitOfWork
from domain.identity.ports import IdentityDirectory
from domain.money.payments import PaymentRules
from domain.money.ports import PaymentGateway
from domain.notifications.delivery import Envelope, Postman
from domain.notifications.ports import MessageRenderer
from domain.ports import Clock, JobQueue
from domain.programme.business_time import BusinessCalendar
from domain.programme.config import ProgrammeRules
from entrypoints.notifications import build_envelope, build_postman, build_renderer
from entrypoints.payments import build_gateway
from entrypoints.settings import Settings


def build_directory(settings: Settings) -> ClerkBackendDirectory | DevDirectory | DirectoryNotConfigured:
    if settings.clerk_secret_key:
        return ClerkBackendDirectory(settings.clerk_api_url, settings.clerk_secret_key)
    return directory_without_clerk(settings)


def directory_without_clerk(settings: Settings) -> DevDirectory | DirectoryNotConfigured:
    """No CLERK_SECRET_KEY: on `cap-portal dev`'s own signing key, the development directory file
    (emails from `dev-token --email`); anywhere else, a directory that says it is not configured."""
    if settings.app_env == "development" and settings.clerk_issuer == DEV_ISSUER:
        return DevDirectory(settings.cap_data_dir)
    return DirectoryNotConfigured()


@dataclass
class JobContext:
    settings: Settings
    engine: AsyncEngine
    jobs: JobQueue
    directory: IdentityDirectory
    clock: Clock = field(default_factory=SystemClock)
    # None: the one PAYMENT_GATEWAY names, built on first use (tests hand in their own).
    payment_gateway: PaymentGateway | None = None
    # None: the senders EMAIL_PROVIDER names, built on first use (tests hand in their own).
    message_postman: Postman | None = None
    session_factory: async_sessionmaker[AsyncSession] = field(init=False)

    def __post_init__(self) -> None:
        self.session_factory = build_session_factory(self.engine)

    @property
    def gateway(self) -> PaymentGateway:
        if self.payment_gateway is None:
            self.payment_gateway = build_gateway(self.settings, self.session_factory)
        return self.payment_gateway

    @property
    def postman(self) -> Postman:
        if self.message_postman is None:
            self.message_postman = build_postman(self.settings)
        return self.message_postman

    @property
    def envelope(self) -> Envelope:
        return build_envelope(self.settings)

    @property
    def renderer(self) -> MessageRenderer:
        return build_renderer(self.settings)

    def notifications_unit_of_work(self) -> SqlAlchemyNotificationsUnitOfWork:
        return SqlAlchemyNotificationsUnitOfWork(self.session_factory, jobs=self.jobs)

    def invitations_unit_of_work(self) -> SqlAlchemyInvitationsUnitOfWork:
        return SqlAlchemyInvitationsUnitOfWork(self.session_factory, jobs=self.jobs)

    def money_unit_of_work(self) -> SqlAlchemyMoneyUnitOfWork:
        return SqlAlchemyMoneyUnitOfWork(self.session_factory, jobs=self.jobs)

    @property
    def payment_rules(self) -> PaymentRules:
        return self.settings.payment_rules()

    @property
    def rules(self) -> ProgrammeRules:
        return self.settings.programme_rules()

    @property
    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar(self.clock, self.settings.business_timezone)

    @property
    def directory_configured(self) -> bool:
        return bool(self.settings.clerk_secret_key)

    def unit_of_work(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self.session_factory)

    def programme_unit_of_work(self) -> SqlAlchemyProgrammeUnitOfWork:
        return SqlAlchemyProgrammeUnitOfWork(self.session_factory, jobs=self.jobs)

    def attendance_unit_of_work(self) -> SqlAlchemyAttendanceUnitOfWork:
        return SqlAlchemyAttendanceUnitOfWork(self.session_factory, jobs=self.jobs)

    async def close(self) -> None:
        for client in (self.directory, self.payment_gateway):
            close = getattr(client, "close", None)
            if close is not None:
                await close()
        await self.engine.dispose()


def build_job_context(settings: Settings, jobs: JobQueue, *, clock: Clock | None = None) -> JobContext:
    return JobContext(
        settings=settings,
        engine=build_engine(
            settings.require_database_url(),
            pool_size=5,
            connect_timeout=settings.database_connect_timeout_seconds,
        ),
        jobs=jobs,
        directory=build_directory(settings),
        clock=clock or SystemClock(),
    )


_context: JobContext | None = None
_build_context: Callable[[], JobContext] | None = None


def use_job_context(context: JobContext | None) -> None:
    """Set the context jobs in this process use (tests and commands; None forgets it)."""
    global _context, _build_context
    _context, _build_context = context, None


def build_job_context_on_first_use(build: Callable[[], JobContext]) -> None:
    """The worker's way: its composition root hands in how to build the context, and the first job
    builds it inside the event loop async jobs run on (the engine's connections belong to that loop)."""
    global _context, _build_context
    _context, _build_context = None, build


def job_context() -> JobContext:
    global _context
    if _context is None:
        if _build_context is None:
            raise RuntimeError(
                "no job context: the process's composition root installs one (use_job_context)"
            )
        _context = _build_context()
    return _context
