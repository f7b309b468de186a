"""Hand-written fakes of the domain ports, with state the tests can look at."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Protocol

from domain.audit import AuditEntry
from domain.invitations.model import Invitation
from domain.jobs import check_json_arguments
from domain.notifications.batches import NewBatch
from domain.notifications.model import Message, Queued
from domain.programme.allocations import MonthAllocation
from domain.programme.care_days import CareDay
from domain.programme.errors import ExternalIdTaken
from domain.programme.events import AllocationCreated
from domain.programme.families import Child, Family
from domain.programme.providers import Provider
from domain.programme.rates import PaymentRate


class FakeProbe:
    def __init__(self, name: str, *, fails: bool = False, hangs: bool = False) -> None:
        self.name = name
        self.fails = fails
        self.hangs = hangs
        self.calls = 0

    async def check(self) -> None:
        self.calls += 1
        if self.hangs:
            await asyncio.sleep(3600)
        if self.fails:
            raise ConnectionRefusedError(f"{self.name} is down")


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


# --- The programme's ports -----------------------------------------------------------------------------


# What ``uow.jobs`` was asked for: (kind, job name, when or cron, args, kwargs).
AskedJob = tuple[str, str, object, tuple[object, ...], dict[str, object]]


@dataclass
class ProgrammeState:
    """Everything the fake repositories hold; the fake unit of work snapshots it to roll back."""

    families: dict[str, Family] = field(default_factory=dict)
    children: dict[str, Child] = field(default_factory=dict)
    providers: dict[str, Provider] = field(default_factory=dict)
    links: set[tuple[str, str]] = field(default_factory=set)
    rates: dict[tuple[str, str], PaymentRate] = field(default_factory=dict)
    allocations: dict[int, MonthAllocation] = field(default_factory=dict)
    care_days: dict[int, CareDay] = field(default_factory=dict)
    events: list[AllocationCreated] = field(default_factory=list)
    # What ``uow.jobs`` was asked for: (kind, job name, when or cron, args, kwargs); kept on commit only.
    jobs: list[AskedJob] = field(default_factory=list)
    # What ``uow.notifier`` was asked for, by idempotency key (id, message); kept on commit only.
    messages: dict[str, tuple[int, Message]] = field(default_factory=dict)
    # Bulk runs ``uow.notifier.start_batch`` recorded, by id; kept on commit only.
    batches: dict[int, NewBatch] = field(default_factory=dict)
    invitations: dict[str, Invitation] = field(default_factory=dict)  # by token
    # What ``uow.audit`` recorded, in order; kept on commit only.
    audit: list[AuditEntry] = field(default_factory=list)

    def copy(self) -> ProgrammeState:
        return ProgrammeState(
            dict(self.families),
            dict(self.children),
            dict(self.providers),
            set(self.links),
            dict(self.rates),
            dict(self.allocations),
            dict(self.care_days),
            list(self.events),
            list(self.jobs),
            dict(self.messages),
            dict(self.batches),
            dict(self.invitations),
            list(self.audit),
        )


def _refuse_a_taken_external_id(
    records: dict[str, Family] | dict[str, Child] | dict[str, Provider], record: Family | Child | Provider
) -> None:
    """As the unique constraints do in Postgres: one external_id, one record."""
    if record.external_id is not None and any(
        other.external_id == record.external_id and other.id != record.id for other in records.values()
    ):
        raise ExternalIdTaken(details={"field": "external_id"})


class _Repository:
    def __init__(self, uow: FakeProgrammeUnitOfWork) -> None:
        self._uow = uow

    @property
    def state(self) -> ProgrammeState:
        if not self._uow.is_open:
            raise RuntimeError("repository used outside `async with uow`")
        return self._uow.state


class FakeFamilies(_Repository):
    async def get(self, family_id: str) -> Family | None:
        return self.state.families.get(family_id)

    async def get_by_external_id(self, external_id: str) -> Family | None:
        return next((f for f in self.state.families.values() if f.external_id == external_id), None)

    async def list_all(self) -> list[Family]:
        return list(self.state.families.values())

    async def list_page(self, *, limit: int, offset: int) -> list[Family]:
        return list(self.state.families.values())[offset : offset + limit]

    async def add(self, family: Family) -> None:
        assert family.id not in self.state.families
        _refuse_a_taken_external_id(self.state.families, family)
        self.state.families[family.id] = family

    async def add_if_absent(self, family: Family) -> bool:
        if family.external_id is not None and await self.get_by_external_id(family.external_id):
            return False
        await self.add(family)
        return True

    async def save(self, family: Family) -> None:
        assert family.id in self.state.families
        _refuse_a_taken_external_id(self.state.families, family)
        self.state.families[family.id] = family


class FakeChildren(_Repository):
    def __init__(self, uow: FakeProgrammeUnitOfWork) -> None:
        super().__init__(uow)
        self.locked: list[str] = []

    async def get(self, child_id: str) -> Child | None:
        return self.state.children.get(child_id)

    async def get_for_update(self, child_id: str) -> Child | None:
        self.locked.append(child_id)
        return self.state.children.get(child_id)

    async def get_by_external_id(self, external_id: str) -> Child | None:
        return next((c for c in self.state.children.values() if c.external_id == external_id), None)

    async def list_for_family(self, family_id: str) -> list[Child]:
        return [c for c in self.state.children.values() if c.family_id == family_id]

    async def list_for_families(self, family_ids: Sequence[str]) -> dict[str, list[Child]]:
        by_family: dict[str, list[Child]] = {}
        for child in self.state.children.values():
            if child.family_id in family_ids:
                by_family.setdefault(child.family_id, []).append(child)
        return by_family

    async def list_cared_for_by(self, provider_id: str) -> list[Child]:
        linked = sorted(c for p, c in self.state.links if p == provider_id)
        return [self.state.children[c] for c in linked if c in self.state.children]

    async def list_payment_enabled(self) -> list[Child]:
        return [c for c in self.state.children.values() if c.payment_enabled]

    async def add(self, child: Child) -> None:
        assert child.id not in self.state.children
        _refuse_a_taken_external_id(self.state.children, child)
        self.state.children[child.id] = child

    async def add_if_absent(self, child: Child) -> bool:
        if child.external_id is not None and await self.get_by_external_id(child.external_id):
            return False
        await self.add(child)
        return True

    async def save(self, child: Child) -> None:
        assert child.id in self.state.children
        _refuse_a_taken_external_id(self.state.children, child)
        self.state.children[child.id] = child


class FakeProviders(_Repository):
    def __init__(self, uow: FakeProgrammeUnitOfWork) -> None:
        super().__init__(uow)
        self.locked: list[str] = []

    async def get(self, provider_id: str) -> Provider | None:
        return self.state.providers.get(provider_id)

    async def get_for_update(self, provider_id: str) -> Provider | None:
        self.locked.append(provider_id)
        return self.state.providers.get(provider_id)

    async def get_by_external_id(self, external_id: str) -> Provider | None:
        return next((p for p in self.state.providers.values() if p.external_id == external_id), None)

    async def list_all(self) -> list[Provider]:
        return list(self.state.providers.values())

    async def list_page(self, *, limit: int, offset: int) -> list[Provider]:
        return list(self.state.providers.values())[offset : offset + limit]

    async def list_caring_for(self, child_id: str) -> list[Provider]:
        linked = sorted(p for p, c in self.state.links if c == child_id)
        return [self.state.providers[p] for p in linked if p in self.state.providers]

    async def add(self, provider: Provider) -> None:
        assert provider.id not in self.state.providers
        _refuse_a_taken_external_id(self.state.providers, provider)
        self.state.providers[provider.id] = provider

    async def add_if_absent(self, provider: Provider) -> bool:
        if provider.external_id is not None and await self.get_by_external_id(provider.external_id):
            return False
        await self.add(provider)
        return True

    async def save(self, provider: Provider) -> None:
        assert provider.id in self.state.providers
        _refuse_a_taken_external_id(self.state.providers, provider)
        self.state.providers[provider.id] = provider


class FakeLinks(_Repository):
    async def is_linked(self, provider_id: str, child_id: str) -> bool:
        return (provider_id, child_id) in self.state.links

    async def children_of(self, provider_id: str) -> list[str]:
        return sorted(c for p, c in self.state.links if p == provider_id)

    async def providers_of(self, child_id: str) -> list[str]:
        return sorted(p for p, c in self.state.links if c == child_id)

    async def children_of_each(self, provider_ids: Sequence[str]) -> dict[str, list[str]]:
        by_provider: dict[str, list[str]] = {}
        for provider_id, child_id in sorted(self.state.links, key=lambda link: link[1]):
            if provider_id in provider_ids:
                by_provider.setdefault(provider_id, []).append(child_id)
        return by_provider

    async def link(self, provider_id: str, child_id: str) -> None:
        self.state.links.add((provider_id, child_id))

    async def unlink(self, provider_id: str, child_id: str) -> None:
        self.state.links.discard((provider_id, child_id))


class FakeInvitations(_Repository):
    """Satisfies ``InvitationRepository``; ``get_for_update`` is ``get`` (a fake has no concurrency)."""

    async def add(self, invitation: Invitation) -> Invitation:
        stored = replace(invitation, id=self._uow.next_id())
        self.state.invitations[stored.token] = stored
        return stored

    async def get(self, token: str) -> Invitation | None:
        return self.state.invitations.get(token)

    async def get_for_update(self, token: str) -> Invitation | None:
        return await self.get(token)

    def _by_id(self, invitation_id: int) -> Invitation:
        return next(i for i in self.state.invitations.values() if i.id == invitation_id)

    async def mark_opened(self, invitation_id: int, at: datetime) -> None:
        invitation = self._by_id(invitation_id)
        self.state.invitations[invitation.token] = invitation.opened(at)

    async def accept(
        self, invitation_id: int, at: datetime, *, family_id: str | None, provider_id: str | None,
        child_ids: Sequence[str],
    ) -> None:  # fmt: skip
        invitation = self._by_id(invitation_id)
        children = tuple(dict.fromkeys([*invitation.child_ids, *child_ids]))
        accepted = replace(
            invitation, accepted_at=at, family_id=family_id, provider_id=provider_id, child_ids=children
        )
        self.state.invitations[invitation.token] = accepted


class FakeRates(_Repository):
    async def get(self, provider_id: str, child_id: str) -> PaymentRate | None:
        return self.state.rates.get((provider_id, child_id))

    async def list_for_provider(self, provider_id: str) -> list[PaymentRate]:
        return [r for (p, _), r in self.state.rates.items() if p == provider_id]

    async def add(self, rate: PaymentRate) -> PaymentRate:
        key = (rate.provider_id, rate.child_id)
        assert key not in self.state.rates, "unique (provider, child)"
        stored = replace(rate, id=self._uow.next_id())
        self.state.rates[key] = stored
        return stored

    async def save(self, rate: PaymentRate) -> None:
        self.state.rates[(rate.provider_id, rate.child_id)] = rate


class FakeAllocations(_Repository):
    """Ignores locking, but records which allocations a use case asked to lock."""

    def __init__(self, uow: FakeProgrammeUnitOfWork) -> None:
        super().__init__(uow)
        self.locked: list[int] = []
        # Set to simulate another transaction inserting the same child and month first.
        self.racing_insert: MonthAllocation | None = None

    async def get(self, allocation_id: int) -> MonthAllocation | None:
        return self.state.allocations.get(allocation_id)

    async def get_for_update(self, allocation_id: int) -> MonthAllocation | None:
        self.locked.append(allocation_id)
        return self.state.allocations.get(allocation_id)

    async def get_for_child_month(self, child_id: str, month: date) -> MonthAllocation | None:
        found = (a for a in self.state.allocations.values() if (a.child_id, a.month) == (child_id, month))
        return next(found, None)

    async def child_has_any(self, child_id: str) -> bool:
        return any(a.child_id == child_id for a in self.state.allocations.values())

    async def add_if_absent(self, allocation: MonthAllocation) -> MonthAllocation | None:
        if self.racing_insert is not None:
            winner, self.racing_insert = self.racing_insert, None
            self.state.allocations[winner.id] = winner
        if await self.get_for_child_month(allocation.child_id, allocation.month) is not None:
            return None
        stored = replace(allocation, id=self._uow.next_id())
        self.state.allocations[stored.id] = stored
        return stored


class FakeCareDays(_Repository):
    async def get(self, care_day_id: int) -> CareDay | None:
        return self.state.care_days.get(care_day_id)

    async def find(self, allocation_id: int, provider_id: str, day: date) -> CareDay | None:
        key = (allocation_id, provider_id, day)
        found = (d for d in self.state.care_days.values() if (d.allocation_id, d.provider_id, d.date) == key)
        return next(found, None)

    async def list_for_allocation(self, allocation_id: int) -> list[CareDay]:
        days = [d for d in self.state.care_days.values() if d.allocation_id == allocation_id]
        return sorted(days, key=lambda d: (d.date, d.id))

    async def list_for_provider(
        self, provider_id: str, *, child_id: str | None, start: date | None, end: date | None
    ) -> list[CareDay]:
        days = [
            d
            for d in self.state.care_days.values()
            if d.provider_id == provider_id
            and (child_id is None or d.child_id == child_id)
            and (start is None or d.date >= start)
            and (end is None or d.date <= end)
        ]
        return sorted(days, key=lambda d: (d.date, d.id))

    async def add(self, care_day: CareDay) -> CareDay:
        assert await self.find(care_day.allocation_id, care_day.provider_id, care_day.date) is None, "unique"
        stored = replace(care_day, id=self._uow.next_id())
        self.state.care_days[stored.id] = stored
        return stored

    async def save(self, care_day: CareDay) -> None:
        assert care_day.id in self.state.care_days
        self.state.care_days[care_day.id] = care_day


class FakeAllocationEvents(_Repository):
    async def allocation_created(self, event: AllocationCreated) -> None:
        self.state.events.append(event)


class _JobsState(Protocol):
    jobs: list[AskedJob]


class _JobsTransaction(Protocol):
    """What the fake transaction jobs need of their unit of work: the programme's fake or the
    notifications' fake."""

    @property
    def is_open(self) -> bool: ...
    @property
    def state(self) -> _JobsState: ...
    def next_id(self) -> int: ...


class FakeTransactionJobs:
    """Satisfies ``domain.ports.TransactionJobs``: jobs join the fake transaction (lost on rollback)."""

    def __init__(self, uow: _JobsTransaction) -> None:
        self._uow = uow

    def _ask(
        self, kind: str, job_name: str, when: object, args: tuple[object, ...], kwargs: dict[str, object]
    ) -> str:
        assert self._uow.is_open, "uow.jobs used outside `async with uow`"
        check_json_arguments(job_name, args, kwargs)
        self._uow.state.jobs.append((kind, job_name, when, args, kwargs))
        return f"{kind}-{self._uow.next_id()}"

    async def enqueue(self, job_name: str, /, *args: object, **kwargs: object) -> str:
        return self._ask("job", job_name, None, args, kwargs)

    async def enqueue_at(self, when: datetime, job_name: str, /, *args: object, **kwargs: object) -> str:
        return self._ask("later", job_name, when, args, kwargs)

    async def schedule_cron(self, cron: str, job_name: str, /, *args: object, **kwargs: object) -> str:
        return self._ask("schedule", job_name, cron, args, kwargs)


class FakeNotifier(_Repository):
    """Satisfies ``domain.notifications.ports.Notifier``: one record per idempotency key, lost on rollback."""

    async def notify(self, message: Message) -> Queued:
        assert self._uow.is_open, "uow.notifier used outside `async with uow`"
        found = self.state.messages.get(message.idempotency_key)
        if found is not None:
            return Queued(found[0], False)
        message_id = self._uow.next_id()
        self.state.messages[message.idempotency_key] = (message_id, message)
        return Queued(message_id, True)

    async def start_batch(self, batch: NewBatch) -> int:
        assert self._uow.is_open, "uow.notifier used outside `async with uow`"
        batch_id = self._uow.next_id()
        self.state.batches[batch_id] = batch
        return batch_id

    def sent(self) -> list[Message]:
        """What committed transactions asked for (read after the use case, outside its block)."""
        return [message for _, message in self._uow._committed.messages.values()]


class FakeAuditLog(_Repository):
    """Satisfies ``domain.audit.AuditLog``: entries kept in order, lost on rollback."""

    async def record(self, entry: AuditEntry) -> None:
        self.state.audit.append(entry)

    def committed(self) -> list[AuditEntry]:
        return list(self._uow._committed.audit)


class FakeProgrammeUnitOfWork:
    """Changes made inside ``async with`` survive only if ``commit()`` ran, as with a real transaction."""

    def __init__(self) -> None:
        self.state = ProgrammeState()
        self.commits = 0
        self.is_open = False
        self._committed = self.state.copy()
        self._ids = itertools.count(1)
        self.families = FakeFamilies(self)
        self.children = FakeChildren(self)
        self.providers = FakeProviders(self)
        self.links = FakeLinks(self)
        self.invitations = FakeInvitations(self)
        self.rates = FakeRates(self)
        self.allocations = FakeAllocations(self)
        self.care_days = FakeCareDays(self)
        self.allocation_events = FakeAllocationEvents(self)
        self.jobs = FakeTransactionJobs(self)
        self.notifier = FakeNotifier(self)
        self.audit = FakeAuditLog(self)

    def next_id(self) -> int:
        # Like a database sequence: ids handed out are not given back on rollback.
        return next(self._ids)

    async def __aenter__(self) -> FakeProgrammeUnitOfWork:
        assert not self.is_open, "unit of work entered twice"
        self._committed = self.state.copy()
        self.is_open = True
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.rollback()
        self.is_open = False

    async def commit(self) -> None:
        assert self.is_open, "commit outside `async with uow`"
        self.commits += 1
        self._committed = self.state.copy()

    async def rollback(self) -> None:
        self.state = self._committed.copy()


class FakeJobQueue:
    """Satisfies ``domain.ports.JobQueue``; remembers what was asked for."""

    def __init__(self) -> None:
        self.enqueued: list[tuple[str, tuple[object, ...], dict[str, object]]] = []
        self.enqueued_at: list[tuple[datetime, str, tuple[object, ...], dict[str, object]]] = []
        self.schedules: list[tuple[str, str, tuple[object, ...], dict[str, object]]] = []

    def enqueue(self, job_name: str, /, *args: object, **kwargs: object) -> str:
        self.enqueued.append((job_name, args, kwargs))
        return f"job-{len(self.enqueued)}"

    def enqueue_at(self, when: datetime, job_name: str, /, *args: object, **kwargs: object) -> str:
        self.enqueued_at.append((when, job_name, args, kwargs))
        return f"later-{len(self.enqueued_at)}"

    def schedule_cron(self, cron: str, job_name: str, /, *args: object, **kwargs: object) -> str:
        self.schedules.append((cron, job_name, args, kwargs))
        return f"schedule-{len(self.schedules)}"

    async def aenqueue(self, job_name: str, /, *args: object, **kwargs: object) -> str:
        return self.enqueue(job_name, *args, **kwargs)

    async def aenqueue_at(self, when: datetime, job_name: str, /, *args: object, **kwargs: object) -> str:
        return self.enqueue_at(when, job_name, *args, **kwargs)

    async def aschedule_cron(self, cron: str, job_name: str, /, *args: object, **kwargs: object) -> str:
        return self.schedule_cron(cron, job_name, *args, **kwargs)
