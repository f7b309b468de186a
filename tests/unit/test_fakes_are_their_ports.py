"""Each hand-written fake stands in for a domain port. The annotated assignments are the test: mypy
(part of the suite, tests/ included) checks every fake against its port's protocol, so a port that
gains or changes a method fails the type check until its fake follows, whichever tests use the fake.
At run time this only builds the fakes."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.audit import AuditLog
from domain.identity.ports import AccountRepository, IdentityDirectory, SignInAccounts, WebhookLedger
from domain.money.ports import Ledger
from domain.notifications.ports import (
    EmailSender,
    MessageRenderer,
    MessageStore,
    NotificationsUnitOfWork,
    SmsSender,
)
from domain.notifications.ports import Notifier as NotifierPort
from domain.ports import Clock, DependencyProbe, JobQueue, TransactionJobs, UnitOfWork
from domain.programme.ports import (
    AllocationEventPublisher,
    AllocationRepository,
    CareDayRepository,
    ChildRepository,
    FamilyRepository,
    PaymentRateRepository,
    ProgrammeUnitOfWork,
    ProviderChildLinks,
    ProviderRepository,
)
from tests import identity_fakes, money_fakes, notification_fakes
from tests.fakes import FakeJobQueue, FakeProbe, FakeProgrammeUnitOfWork, FixedClock


def test_the_shared_and_programme_fakes_are_their_ports() -> None:
    uow = FakeProgrammeUnitOfWork()
    unit_of_work: ProgrammeUnitOfWork = uow
    families: FamilyRepository = uow.families
    children: ChildRepository = uow.children
    providers: ProviderRepository = uow.providers
    links: ProviderChildLinks = uow.links
    rates: PaymentRateRepository = uow.rates
    allocations: AllocationRepository = uow.allocations
    care_days: CareDayRepository = uow.care_days
    events: AllocationEventPublisher = uow.allocation_events
    jobs: TransactionJobs = uow.jobs
    notifier: NotifierPort = uow.notifier
    audit: AuditLog = uow.audit
    clock: Clock = FixedClock(datetime(2025, 1, 1, tzinfo=UTC))
    probe: DependencyProbe = FakeProbe("database")
    queue: JobQueue = FakeJobQueue()
    assert all(
        fake is not None
        for fake in (unit_of_work, families, children, providers, links, rates, allocations, care_days)
    )
    assert all(fake is not None for fake in (events, jobs, notifier, audit, clock, probe, queue))


def test_the_identity_fakes_are_their_ports() -> None:
    unit_of_work: UnitOfWork = identity_fakes.FakeUnitOfWork()
    accounts: AccountRepository = identity_fakes.FakeAccounts()
    sign_in: SignInAccounts = identity_fakes.FakeAccounts()
    directory: IdentityDirectory = identity_fakes.FakeDirectory()
    ledger: WebhookLedger = identity_fakes.FakeLedger()
    assert all(fake is not None for fake in (unit_of_work, accounts, sign_in, directory, ledger))


def test_the_money_and_notification_fakes_are_their_ports() -> None:
    ledger: Ledger = money_fakes.FakeLedger()
    uow = notification_fakes.FakeNotificationsUnitOfWork()
    unit_of_work: NotificationsUnitOfWork = uow
    store: MessageStore = uow.messages
    renderer: MessageRenderer = notification_fakes.FakeRenderer()
    email: EmailSender = notification_fakes.FakeEmailSender()
    sms: SmsSender = notification_fakes.FakeSmsSender()
    assert all(fake is not None for fake in (ledger, unit_of_work, store, renderer, email, sms))
