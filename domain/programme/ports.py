"""The programme's repositories and its unit of work.

Repositories never commit; ``get_for_update`` methods take a row lock held until the unit of work
ends, which is what keeps two concurrent requests from over-selecting an allocation or over-filling a
provider. Reads that name another family's or provider's records are filtered by the use cases.

An external_id belongs to one family, one child and one provider at most. ``add`` and ``save`` of
families, children and providers raise ``ExternalIdTaken`` (field ``external_id``) when another record
holds the record's external_id — also when a concurrent transaction took it first — so a check made
beforehand cannot go stale; the unit of work then keeps nothing of the refused change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from types import TracebackType
from typing import Protocol, Self

from domain.audit import AuditLog
from domain.notifications.ports import Notifier
from domain.ports import TransactionJobs, UnitOfWork
from domain.programme.allocations import MonthAllocation
from domain.programme.care_days import CareDay
from domain.programme.events import AllocationCreated
from domain.programme.families import Child, Family
from domain.programme.providers import Provider
from domain.programme.rates import PaymentRate


class FamilyRepository(Protocol):
    async def get(self, family_id: str) -> Family | None: ...
    async def get_by_external_id(self, external_id: str) -> Family | None: ...
    async def list_all(self) -> list[Family]: ...
    async def list_page(self, *, limit: int, offset: int) -> list[Family]:
        """Families in a stable order (oldest first), at most ``limit`` of them after skipping ``offset``."""
        ...

    async def add(self, family: Family) -> None: ...
    async def add_if_absent(self, family: Family) -> bool:
        """Stores the new family with its guardians, or nothing and False when another family already holds
        its external_id (a concurrent push of the same new record committed first: update that one)."""
        ...

    async def save(self, family: Family) -> None:
        """Stores the family and replaces its guardians with ``family.guardians``, in that order
        (``ExternalIdTaken`` when another family holds its external_id)."""
        ...


class ChildRepository(Protocol):
    async def get(self, child_id: str) -> Child | None: ...
    async def get_for_update(self, child_id: str) -> Child | None: ...
    async def get_by_external_id(self, external_id: str) -> Child | None: ...
    async def list_for_family(self, family_id: str) -> list[Child]: ...
    async def list_for_families(self, family_ids: Sequence[str]) -> dict[str, list[Child]]:
        """Each named family's children (in ``list_for_family``'s order), in one query; a family
        without children has no entry."""
        ...

    async def list_cared_for_by(self, provider_id: str) -> list[Child]:
        """The children linked to the provider, by id, in one query."""
        ...

    async def list_payment_enabled(self) -> list[Child]: ...
    async def add(self, child: Child) -> None: ...
    async def add_if_absent(self, child: Child) -> bool:
        """Stores the new child, or nothing and False when another child already holds its external_id."""
        ...

    async def save(self, child: Child) -> None:
        """Stores the child (``ExternalIdTaken`` when another child holds its external_id)."""
        ...


class ProviderRepository(Protocol):
    async def get(self, provider_id: str) -> Provider | None: ...
    async def get_for_update(self, provider_id: str) -> Provider | None: ...
    async def get_by_external_id(self, external_id: str) -> Provider | None: ...
    async def list_all(self) -> list[Provider]: ...
    async def list_page(self, *, limit: int, offset: int) -> list[Provider]:
        """Providers in a stable order (oldest first), at most ``limit`` after skipping ``offset``."""
        ...

    async def list_caring_for(self, child_id: str) -> list[Provider]:
        """The providers linked to the child, by id, in one query."""
        ...

    async def add(self, provider: Provider) -> None: ...
    async def add_if_absent(self, provider: Provider) -> bool:
        """Stores the new provider, or nothing and False when another provider already holds its
        external_id (a concurrent push of the same new record committed first: update that one)."""
        ...

    async def save(self, provider: Provider) -> None:
        """Stores the provider (``ExternalIdTaken`` when another provider holds its external_id)."""
        ...


class ProviderChildLinks(Protocol):
    async def is_linked(self, provider_id: str, child_id: str) -> bool: ...
    async def children_of(self, provider_id: str) -> list[str]: ...
    async def providers_of(self, child_id: str) -> list[str]: ...
    async def children_of_each(self, provider_ids: Sequence[str]) -> dict[str, list[str]]:
        """Each named provider's child ids (sorted, as ``children_of``), in one query; a provider
        without children has no entry."""
        ...

    async def link(self, provider_id: str, child_id: str) -> None: ...
    async def unlink(self, provider_id: str, child_id: str) -> None: ...


class PaymentRateRepository(Protocol):
    async def get(self, provider_id: str, child_id: str) -> PaymentRate | None: ...
    async def list_for_provider(self, provider_id: str) -> list[PaymentRate]:
        """Every rate the provider has set, one per child, in one query."""
        ...

    async def add(self, rate: PaymentRate) -> PaymentRate:
        """Stores a new rate and returns it with its database id."""
        ...

    async def save(self, rate: PaymentRate) -> None: ...


class AllocationRepository(Protocol):
    async def get(self, allocation_id: int) -> MonthAllocation | None: ...
    async def get_for_update(self, allocation_id: int) -> MonthAllocation | None:
        """Locks the allocation's row: every care-day write on it waits for the previous one to commit."""
        ...

    async def get_for_child_month(self, child_id: str, month: date) -> MonthAllocation | None: ...
    async def child_has_any(self, child_id: str) -> bool: ...
    async def add_if_absent(self, allocation: MonthAllocation) -> MonthAllocation | None:
        """Stores the allocation with its database id, or returns None if the child already has one
        for that month (one per child per month is a unique constraint, so a racing insert loses here)."""
        ...


class CareDayRepository(Protocol):
    async def get(self, care_day_id: int) -> CareDay | None: ...
    async def find(self, allocation_id: int, provider_id: str, day: date) -> CareDay | None:
        """The care day for that allocation, provider and date, soft-deleted or not."""
        ...

    async def list_for_allocation(self, allocation_id: int) -> list[CareDay]:
        """All of the allocation's care days, soft-deleted ones included, ordered by date."""
        ...

    async def list_for_provider(
        self, provider_id: str, *, child_id: str | None, start: date | None, end: date | None
    ) -> list[CareDay]:
        """The provider's care days (soft-deleted included) within the inclusive date range, by date."""
        ...

    async def add(self, care_day: CareDay) -> CareDay:
        """Stores a new care day and returns it with its database id."""
        ...

    async def save(self, care_day: CareDay) -> None: ...


class AllocationEventPublisher(Protocol):
    async def allocation_created(self, event: AllocationCreated) -> None:
        """Records the event in the current unit of work; consumers see it only once it commits."""
        ...


class ChildReads(Protocol):
    async def get(self, child_id: str) -> Child | None: ...


class AllocationReads(Protocol):
    async def get_for_child_month(self, child_id: str, month: date) -> MonthAllocation | None: ...


class CareDayReads(Protocol):
    async def list_for_allocation(self, allocation_id: int) -> list[CareDay]:
        """All of the allocation's care days, soft-deleted ones included, ordered by date."""
        ...


class ChildMonthReads(Protocol):
    """What a child's month view reads: the family's hottest page, so an adapter may answer it on a
    faster path than the unit of work (the programme unit of work satisfies it too)."""

    @property
    def children(self) -> ChildReads: ...
    @property
    def allocations(self) -> AllocationReads: ...
    @property
    def care_days(self) -> CareDayReads: ...
    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None: ...


class FamilyChildReads(Protocol):
    async def list_for_family(self, family_id: str) -> list[Child]: ...


class CaringProviderReads(Protocol):
    async def list_caring_for(self, child_id: str) -> list[Provider]: ...


class FamilyHomeReads(Protocol):
    """What the family's home page reads (its children, the selected child's providers): a hot page,
    so an adapter may answer it on a faster path than the unit of work, which satisfies it too."""

    @property
    def children(self) -> FamilyChildReads: ...
    @property
    def providers(self) -> CaringProviderReads: ...
    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None: ...


class ProviderReads(Protocol):
    async def get(self, provider_id: str) -> Provider | None: ...


class CaredForChildReads(Protocol):
    async def list_cared_for_by(self, provider_id: str) -> list[Child]: ...


class ProviderRateReads(Protocol):
    async def list_for_provider(self, provider_id: str) -> list[PaymentRate]: ...


class ProviderHomeReads(Protocol):
    """What the provider's home page reads (the provider, the children it cares for, their rates); the
    programme unit of work satisfies it too."""

    @property
    def providers(self) -> ProviderReads: ...
    @property
    def children(self) -> CaredForChildReads: ...
    @property
    def rates(self) -> ProviderRateReads: ...
    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None: ...


class AllocationLocks(Protocol):
    async def get(self, allocation_id: int) -> MonthAllocation | None: ...
    async def get_for_update(self, allocation_id: int) -> MonthAllocation | None: ...


class LinkReads(Protocol):
    async def is_linked(self, provider_id: str, child_id: str) -> bool: ...


class RateReads(Protocol):
    async def get(self, provider_id: str, child_id: str) -> PaymentRate | None: ...


class CareDayWrites(Protocol):
    async def get(self, care_day_id: int) -> CareDay | None: ...
    async def find(self, allocation_id: int, provider_id: str, day: date) -> CareDay | None: ...
    async def list_for_allocation(self, allocation_id: int) -> list[CareDay]: ...
    async def add(self, care_day: CareDay) -> CareDay: ...
    async def save(self, care_day: CareDay) -> None: ...


class CareDayUnitOfWork(UnitOfWork, Protocol):
    """What scheduling, changing and removing a care day need, in one transaction: the family's
    hottest write, so an adapter may run it on a faster path than the programme unit of work (which
    satisfies it too). The allocation's row lock (``get_for_update``) serialises every change to its
    budget, whichever path takes it."""

    @property
    def children(self) -> ChildReads: ...
    @property
    def allocations(self) -> AllocationLocks: ...
    @property
    def links(self) -> LinkReads: ...
    @property
    def rates(self) -> RateReads: ...
    @property
    def care_days(self) -> CareDayWrites: ...


class ProgrammeUnitOfWork(UnitOfWork, Protocol):
    """One business transaction over the programme's records (``async with uow: ...; await uow.commit()``).

    It may be entered again once it has exited: the whole-month allocation run uses one transaction per child.
    """

    @property
    def families(self) -> FamilyRepository: ...
    @property
    def children(self) -> ChildRepository: ...
    @property
    def providers(self) -> ProviderRepository: ...
    @property
    def links(self) -> ProviderChildLinks: ...
    @property
    def rates(self) -> PaymentRateRepository: ...
    @property
    def allocations(self) -> AllocationRepository: ...
    @property
    def care_days(self) -> CareDayRepository: ...
    @property
    def allocation_events(self) -> AllocationEventPublisher: ...
    @property
    def jobs(self) -> TransactionJobs:
        """Background work that joins this transaction (written now, sent after the commit)."""
        ...

    @property
    def notifier(self) -> Notifier:
        """Messages that join this transaction (recorded now, sent by a job after the commit)."""
        ...

    @property
    def audit(self) -> AuditLog:
        """Staff changes' audit entries, written in this transaction."""
        ...
